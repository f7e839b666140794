func.func @f(%q: tensor<2x8x16xf32>, %k: tensor<0x8x16xf32>) -> tensor<2x8x16xf32> {
  %r = attn.attention %q, %k, %k : tensor<2x8x16xf32>, tensor<0x8x16xf32>, tensor<0x8x16xf32>
  return %r : tensor<2x8x16xf32>
}
