func.func @f(%x: tensor<4x8xf32>, %t: tensor<4xf32>) -> tensor<f32> {
  %r = "attn.xent_logits"(%x, %t) : (tensor<4x8xf32>, tensor<4xf32>) -> tensor<f32>
  return %r : tensor<f32>
}
