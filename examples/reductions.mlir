// An attn program: the reductions of an attention layer and a loss.
// scripts/demo compiles it to native code and calls it from C
// (examples/run_reductions.c), which checks every number against a double
// precision reference.

// Pass 1 of a stable softmax over causally masked scores: the row maximum.
func.func @row_max(%scores: tensor<2x4x8xf32>, %mask: tensor<4x8xf32>)
    -> tensor<2x4xf32> {
  %m = attn.masked_max %scores, %mask : tensor<2x4x8xf32>, tensor<4x8xf32>
  return %m : tensor<2x4xf32>
}

// The sum of squares of an RMS norm, on any [rows, cols] shape.
func.func @sum_sq(%x: tensor<?x?xf32>) -> tensor<?xf32> {
  %s = attn.sum_sq %x : tensor<?x?xf32>
  return %s : tensor<?xf32>
}

// Cross-entropy of predicted distributions against targets, one per row.
func.func @xent(%p: tensor<4x10xf32>, %q: tensor<4x10xf32>) -> tensor<4xf32> {
  %l = attn.xent %p, %q : tensor<4x10xf32>, tensor<4x10xf32>
  return %l : tensor<4xf32>
}
