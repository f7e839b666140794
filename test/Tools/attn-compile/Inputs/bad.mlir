// Not a valid attn program: the op's operand types do not match.
func.func @f(%x: tensor<4x8xf32>) -> tensor<4xf32> {
  %r = attn.sum_sq %x : tensor<4x9xf32>
  return %r : tensor<4xf32>
}
