func.func @f(%x: tensor<4x8xi32>) -> tensor<4xi32> {
  %r = "attn.sum_sq"(%x) : (tensor<4x8xi32>) -> tensor<4xi32>
  return %r : tensor<4xi32>
}
