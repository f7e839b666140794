// Attention probabilities: a stable softmax of scores under an additive
// padding mask and the causal mask, for 8 heads of 128 queries over 128 keys.
// Fully masked rows (none here) would give zeros.
func.func @masked_softmax(%scores: tensor<8x128x128xf32>, %mask: tensor<128x128xf32>)
    -> tensor<8x128x128xf32> {
  %p = attn.softmax %scores mask %mask causal : tensor<8x128x128xf32>, tensor<128x128xf32>
  return %p : tensor<8x128x128xf32>
}
