func.func @f(%p: tensor<4x8xf32>, %q: tensor<4x9xf32>) -> tensor<4xf32> {
  %r = attn.xent %p, %q : tensor<4x8xf32>, tensor<4x9xf32>
  return %r : tensor<4xf32>
}
