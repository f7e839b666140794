// The loss of a language model head: mean cross-entropy of logits over a
// 32000-token vocabulary against target ids, skipping padding (-100).
func.func @cross_entropy(%logits: tensor<64x32000xf32>, %targets: tensor<64xi64>)
    -> tensor<f32> {
  %loss = attn.xent_logits %logits, %targets : tensor<64x32000xf32>, tensor<64xi64>
  return %loss : tensor<f32>
}
