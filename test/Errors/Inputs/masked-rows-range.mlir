func.func @f(%x: tensor<4x8xf32>) -> tensor<4x8xf32> {
  %r = "attn.softmax"(%x) {masked_rows = 7 : i32, operandSegmentSizes = array<i32: 1, 0, 0>} : (tensor<4x8xf32>) -> tensor<4x8xf32>
  return %r : tensor<4x8xf32>
}
