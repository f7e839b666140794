// attn ops split across two processes with the shard dialect: each
// function's annotations say which dimension of which operand is split over
// the grid @procs; `attn-opt --attn-lower-to-llvm` (or attn-compile) makes
// each op one process's part plus MPI collectives. Run by
// examples/run_sharded.c under `mpirun -np 2`, which checks every process's
// result against a double precision reference of the whole computation.
module {
shard.grid @procs(shape = 2)

// Vocabulary-parallel cross-entropy (Megatron-LM's): each process holds half
// of the classes; the row's max, its sum of exponentials and the target's
// logit are combined by all-reduces.
func.func @vocab_xent(%logits: tensor<8x64xf32>, %target: tensor<8xi64>)
    -> tensor<8xf32> {
  %split = shard.sharding @procs split_axes = [[], [0]] : !shard.sharding
  %part = shard.shard %logits to %split : tensor<8x64xf32>
  %loss = attn.xent_logits %part, %target reduction = none
      : tensor<8x64xf32>, tensor<8xi64>
  return %loss : tensor<8xf32>
}

// The same with rows ignored and the mean over the kept ones.
func.func @vocab_xent_mean(%logits: tensor<8x64xf32>, %target: tensor<8xi64>)
    -> tensor<f32> {
  %split = shard.sharding @procs split_axes = [[], [0]] : !shard.sharding
  %part = shard.shard %logits to %split : tensor<8x64xf32>
  %loss = attn.xent_logits %part, %target : tensor<8x64xf32>, tensor<8xi64>
  return %loss : tensor<f32>
}

// Causal attention with the keys and values split (sequence parallel): each
// process attends to its keys, the outputs are merged by their logsumexps.
func.func @key_attention(%q: tensor<2x16x8xf32>, %k: tensor<2x32x8xf32>,
                         %v: tensor<2x32x8xf32>) -> tensor<2x16x8xf32> {
  %split = shard.sharding @procs split_axes = [[], [0]] : !shard.sharding
  %kp = shard.shard %k to %split : tensor<2x32x8xf32>
  %vp = shard.shard %v to %split : tensor<2x32x8xf32>
  %o = attn.attention %q, %kp, %vp causal
      : tensor<2x16x8xf32>, tensor<2x32x8xf32>, tensor<2x32x8xf32>
  return %o : tensor<2x16x8xf32>
}

// Row reductions with their last dimension split.
func.func @row_logsumexp(%x: tensor<8x64xf32>, %m: tensor<8x64xf32>)
    -> tensor<8xf32> {
  %split = shard.sharding @procs split_axes = [[], [0]] : !shard.sharding
  %xp = shard.shard %x to %split : tensor<8x64xf32>
  %mp = shard.shard %m to %split : tensor<8x64xf32>
  %r = attn.logsumexp %xp mask %mp : tensor<8x64xf32>, tensor<8x64xf32>
  return %r : tensor<8xf32>
}

func.func @row_softmax(%x: tensor<8x64xf32>, %m: tensor<8x64xf32>)
    -> tensor<8x64xf32> {
  %split = shard.sharding @procs split_axes = [[], [0]] : !shard.sharding
  %xp = shard.shard %x to %split : tensor<8x64xf32>
  %mp = shard.shard %m to %split : tensor<8x64xf32>
  %r = attn.softmax %xp mask %mp : tensor<8x64xf32>, tensor<8x64xf32>
  return %r : tensor<8x64xf32>
}

func.func @row_log_softmax(%x: tensor<8x64xf32>) -> tensor<8x64xf32> {
  %split = shard.sharding @procs split_axes = [[], [0]] : !shard.sharding
  %xp = shard.shard %x to %split : tensor<8x64xf32>
  %r = attn.log_softmax %xp causal : tensor<8x64xf32>
  return %r : tensor<8x64xf32>
}

func.func @row_masked_max(%x: tensor<8x64xf32>, %m: tensor<8x64xf32>)
    -> tensor<8xf32> {
  %split = shard.sharding @procs split_axes = [[], [0]] : !shard.sharding
  %xp = shard.shard %x to %split : tensor<8x64xf32>
  %mp = shard.shard %m to %split : tensor<8x64xf32>
  %r = attn.masked_max %xp, %mp : tensor<8x64xf32>, tensor<8x64xf32>
  return %r : tensor<8xf32>
}

func.func @row_sum_sq(%x: tensor<8x64xf32>) -> tensor<8xf32> {
  %split = shard.sharding @procs split_axes = [[], [0]] : !shard.sharding
  %xp = shard.shard %x to %split : tensor<8x64xf32>
  %r = attn.sum_sq %xp : tensor<8x64xf32>
  return %r : tensor<8xf32>
}

// Rows split (data parallel): each process's rows, no communication.
func.func @batch_softmax(%x: tensor<8x64xf32>) -> tensor<8x64xf32> {
  %split = shard.sharding @procs split_axes = [[0]] : !shard.sharding
  %xp = shard.shard %x to %split : tensor<8x64xf32>
  %r = attn.softmax %xp causal : tensor<8x64xf32>
  return %r : tensor<8x64xf32>
}
}
