func.func @f(%x: tensor<4x8xf32>, %t: tensor<4xi32>) -> tensor<4xf32> {
  %r = attn.xent_logits %x, %t ignore_index = 4294967296 reduction = none : tensor<4x8xf32>, tensor<4xi32>
  return %r : tensor<4xf32>
}
