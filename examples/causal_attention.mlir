// One causal grouped-query attention layer: 8 query heads share 2 key/value
// heads; 256 new queries attend to a KV cache of 1024 keys whose last 256
// are their own (the causal diagonal is aligned bottom-right).
func.func @causal_attention(%q: tensor<1x8x256x64xf32>, %k: tensor<1x2x1024x64xf32>,
                            %v: tensor<1x2x1024x64xf32>) -> tensor<1x8x256x64xf32> {
  %o = attn.attention %q, %k, %v causal
      : tensor<1x8x256x64xf32>, tensor<1x2x1024x64xf32>, tensor<1x2x1024x64xf32>
  return %o : tensor<1x8x256x64xf32>
}
