func.func @f(%q: tensor<8x16xf32>) -> tensor<8x16xf32> {
  %r = "attn.attention"(%q, %q, %q) <{operandSegmentSizes = array<i32: 1, 1, 1, 0, 0, 0, 0, 0>, scale = 0x7FF8000000000000 : f64}> ({}, {}) : (tensor<8x16xf32>, tensor<8x16xf32>, tensor<8x16xf32>) -> tensor<8x16xf32>
  return %r : tensor<8x16xf32>
}
