// A public function with a scalar argument: no C header for it.
func.func @f(%s: f32, %x: tensor<4x8xf32>) -> tensor<4xf32> {
  %r = attn.sum_sq %x : tensor<4x8xf32>
  return %r : tensor<4xf32>
}
