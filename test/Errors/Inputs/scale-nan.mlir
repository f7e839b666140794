func.func @f(%q: tensor<8x16xf32>) -> tensor<8x16xf32> {
  %r = "attn.attention"(%q, %q, %q) <{scale = 0x7FF8000000000000 : f64}> : (tensor<8x16xf32>, tensor<8x16xf32>, tensor<8x16xf32>) -> tensor<8x16xf32>
  return %r : tensor<8x16xf32>
}
