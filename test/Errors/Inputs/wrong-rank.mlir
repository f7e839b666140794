func.func @f(%x: tensor<f32>) -> tensor<f32> {
  %r = "attn.sum_sq"(%x) : (tensor<f32>) -> tensor<f32>
  return %r : tensor<f32>
}
