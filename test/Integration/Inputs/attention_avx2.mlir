// Causal grouped-query attention at a head dim of 64 (register-blocked
// contractions), with 70 queries and keys (padded to blocks of 64).
func.func @attention(%q: tensor<1x2x70x64xf32>, %k: tensor<1x1x70x64xf32>, %v: tensor<1x1x70x64xf32>) -> tensor<1x2x70x64xf32> {
  %r = attn.attention %q, %k, %v causal : tensor<1x2x70x64xf32>, tensor<1x1x70x64xf32>, tensor<1x1x70x64xf32>
  return %r : tensor<1x2x70x64xf32>
}
