// RUN: attn-opt %s -split-input-file --pass-pipeline='builtin.module(func.func(sharding-propagation,shard-partition))' | FileCheck %s

// ShardingInterface: leading dimensions split are each process's rows with
// no communication; a split reduced dimension is the op on the part plus
// the collectives of its merge.

shard.grid @procs(shape = 2)

// CHECK-LABEL: func.func @rows_local
// CHECK-SAME: (%[[X:.*]]: tensor<4x64xf32>) -> tensor<4xf32>
// CHECK: %[[R:.*]] = attn.sum_sq %[[X]] : tensor<4x64xf32>
// CHECK-NOT: shard.all_reduce
// CHECK: return %[[R]]
func.func @rows_local(%x: tensor<8x64xf32>) -> tensor<8xf32> {
  %s = shard.sharding @procs split_axes = [[0]] : !shard.sharding
  %xs = shard.shard %x to %s : tensor<8x64xf32>
  %r = attn.sum_sq %xs : tensor<8x64xf32>
  return %r : tensor<8xf32>
}

// -----

shard.grid @procs(shape = 2)

// CHECK-LABEL: func.func @max_by_max
// CHECK-SAME: (%[[X:.*]]: tensor<8x32xf32>, %[[M:.*]]: tensor<8x32xf32>)
// CHECK: %[[P:.*]] = attn.masked_max %[[X]], %[[M]] : tensor<8x32xf32>, tensor<8x32xf32>
// CHECK: %[[R:.*]] = shard.all_reduce %[[P]] on @procs grid_axes = [0] reduction = max : tensor<8xf32> -> tensor<8xf32>
// CHECK: return %[[R]]
func.func @max_by_max(%x: tensor<8x64xf32>, %m: tensor<8x64xf32>) -> tensor<8xf32> {
  %s = shard.sharding @procs split_axes = [[], [0]] : !shard.sharding
  %xs = shard.shard %x to %s : tensor<8x64xf32>
  %ms = shard.shard %m to %s : tensor<8x64xf32>
  %r = attn.masked_max %xs, %ms : tensor<8x64xf32>, tensor<8x64xf32>
  return %r : tensor<8xf32>
}

// -----

shard.grid @procs(shape = 2)

// CHECK-LABEL: func.func @sum_by_sum
// CHECK: %[[P:.*]] = attn.xent %{{.*}}, %{{.*}} : tensor<8x32xf32>, tensor<8x32xf32>
// CHECK: shard.all_reduce %[[P]] on @procs grid_axes = [0] : tensor<8xf32> -> tensor<8xf32>
func.func @sum_by_sum(%p: tensor<8x64xf32>, %q: tensor<8x64xf32>) -> tensor<8xf32> {
  %s = shard.sharding @procs split_axes = [[], [0]] : !shard.sharding
  %ps = shard.shard %p to %s : tensor<8x64xf32>
  %r = attn.xent %ps, %q : tensor<8x64xf32>, tensor<8x64xf32>
  return %r : tensor<8xf32>
}

// -----

shard.grid @procs(shape = 2)

// The causal diagonal of process p's keys [32p, 32p + 32): d = (N - M) - 32p.
// CHECK-LABEL: func.func @logsumexp_causal
// CHECK: %[[P:.*]] = shard.process_multi_index on @procs axes = [0]
// CHECK: %[[C32:.*]] = arith.constant 32 : index
// CHECK: %[[FIRST:.*]] = arith.muli %[[P]], %[[C32]]
// CHECK: %[[D:.*]] = arith.subi %{{.*}}, %[[FIRST]]
// CHECK: %[[L:.*]] = attn.logsumexp %{{.*}} causal diagonal %[[D]] : tensor<8x32xf32>
// CHECK: %[[MAX:.*]] = shard.all_reduce %[[L]] on @procs grid_axes = [0] reduction = max
// CHECK: %[[W:.*]] = linalg.generic {{.*}} ins(%[[L]], %[[MAX]]
// CHECK:   math.exp
// CHECK: %[[SUM:.*]] = shard.all_reduce %[[W]] on @procs grid_axes = [0] : tensor<8xf32>
// CHECK: linalg.generic {{.*}} ins(%[[MAX]], %[[SUM]]
// CHECK:   math.log
func.func @logsumexp_causal(%x: tensor<8x64xf32>) -> tensor<8xf32> {
  %s = shard.sharding @procs split_axes = [[], [0]] : !shard.sharding
  %xs = shard.shard %x to %s : tensor<8x64xf32>
  %r = attn.logsumexp %xs causal : tensor<8x64xf32>
  return %r : tensor<8xf32>
}

// -----

shard.grid @procs(shape = 2)

// The rows of process p start at row 4p: d = (N - M) + 4p.
// CHECK-LABEL: func.func @softmax_rows_causal
// CHECK-SAME: tensor<4x64xf32>
// CHECK: %[[P:.*]] = shard.process_multi_index on @procs axes = [0]
// CHECK: %[[FIRST:.*]] = arith.muli %[[P]]
// CHECK: %[[D:.*]] = arith.addi %{{.*}}, %[[FIRST]]
// CHECK: attn.softmax %{{.*}} causal diagonal
// CHECK-NOT: shard.all_reduce
func.func @softmax_rows_causal(%x: tensor<8x64xf32>) -> tensor<8x64xf32> {
  %s = shard.sharding @procs split_axes = [[0]] : !shard.sharding
  %xs = shard.shard %x to %s : tensor<8x64xf32>
  %r = attn.softmax %xs causal : tensor<8x64xf32>
  return %r : tensor<8x64xf32>
}

// -----

shard.grid @procs(shape = 2)

// softmax = the part's softmax * exp(l_p - lse), the row's lse merged from
// the parts' logsumexps.
// CHECK-LABEL: func.func @softmax_keys
// CHECK-SAME: -> tensor<8x32xf32>
// CHECK: %[[S:.*]] = attn.softmax %[[X:.*]] : tensor<8x32xf32>
// CHECK: %[[L:.*]] = attn.logsumexp %[[X]] : tensor<8x32xf32>
// CHECK: shard.all_reduce %[[L]] {{.*}} reduction = max
// CHECK: shard.all_reduce
// CHECK: linalg.generic {{.*}} ins(%[[S]], %[[L]], %{{.*}} : tensor<8x32xf32>, tensor<8xf32>, tensor<8xf32>)
func.func @softmax_keys(%x: tensor<8x64xf32>) -> tensor<8x64xf32> {
  %s = shard.sharding @procs split_axes = [[], [0]] : !shard.sharding
  %xs = shard.shard %x to %s : tensor<8x64xf32>
  %r = attn.softmax %xs : tensor<8x64xf32>
  return %r : tensor<8x64xf32>
}

// -----

shard.grid @procs(shape = 2)

// Vocabulary-parallel cross-entropy: the part's logsumexp and the target's
// logit read where the part holds it (classes from 32p), three all-reduces
// (max, sum of exps, logit).
// CHECK-LABEL: func.func @vocab_xent
// CHECK-SAME: (%[[Z:.*]]: tensor<8x32xf32>, %[[T:.*]]: tensor<8xi64>)
// CHECK: %[[LSE:.*]] = attn.logsumexp %[[Z]] : tensor<8x32xf32>
// CHECK: %[[PICK:.*]] = linalg.generic {{.*}} ins(%[[T]] : tensor<8xi64>)
// CHECK:   tensor.extract %[[Z]]
// CHECK: shard.all_reduce %[[LSE]] {{.*}} reduction = max
// CHECK: shard.all_reduce
// CHECK: shard.all_reduce %[[PICK]] on @procs grid_axes = [0] : tensor<8xf32>
// CHECK-NOT: shard.all_reduce
// CHECK: return
func.func @vocab_xent(%z: tensor<8x64xf32>, %t: tensor<8xi64>) -> tensor<8xf32> {
  %s = shard.sharding @procs split_axes = [[], [0]] : !shard.sharding
  %zs = shard.shard %z to %s : tensor<8x64xf32>
  %r = attn.xent_logits %zs, %t reduction = none : tensor<8x64xf32>, tensor<8xi64>
  return %r : tensor<8xf32>
}

// -----

shard.grid @procs(shape = 2)

// Rows split and a mean: each process's losses, their f64 sum and kept
// count all-reduced (as one-element tensors).
// CHECK-LABEL: func.func @rows_xent_mean
// CHECK: attn.xent_logits %{{.*}}, %{{.*}} reduction = none : tensor<4x64xf32>, tensor<4xi64>
// CHECK: shard.all_reduce %{{.*}} on @procs grid_axes = [0] : tensor<1xf64> -> tensor<1xf64>
// CHECK: shard.all_reduce %{{.*}} on @procs grid_axes = [0] : tensor<1xf64> -> tensor<1xf64>
// CHECK: arith.divf
// CHECK: arith.truncf
func.func @rows_xent_mean(%z: tensor<8x64xf32>, %t: tensor<8xi64>) -> tensor<f32> {
  %s = shard.sharding @procs split_axes = [[0]] : !shard.sharding
  %zs = shard.shard %z to %s : tensor<8x64xf32>
  %r = attn.xent_logits %zs, %t : tensor<8x64xf32>, tensor<8xi64>
  return %r : tensor<f32>
}

// -----

shard.grid @procs(shape = 2)

// Keys and values split: each process's output and logsumexp, merged.
// Grouped heads: kv heads split with the query heads elsewhere; here the
// keys.
// CHECK-LABEL: func.func @attention_keys
// CHECK-SAME: (%[[Q:.*]]: tensor<4x16x8xf32>, %[[K:.*]]: tensor<2x16x8xf32>, %[[V:.*]]: tensor<2x16x8xf32>)
// CHECK: %[[O:.*]], %[[L:.*]] = attn.attention %[[Q]], %[[K]], %[[V]] causal diagonal %{{.*}} with_lse
// CHECK: shard.all_reduce %[[L]] {{.*}} reduction = max : tensor<4x16xf32>
// CHECK: %[[SUM:.*]] = shard.all_reduce %{{.*}} on @procs grid_axes = [0] : tensor<4x16xf32>
// CHECK: %[[NUM:.*]] = shard.all_reduce %{{.*}} on @procs grid_axes = [0] : tensor<4x16x8xf32>
// CHECK-NOT: shard.all_reduce
// CHECK: linalg.generic {{.*}} ins(%[[NUM]], %[[SUM]]
// CHECK:   arith.divf
func.func @attention_keys(%q: tensor<4x16x8xf32>, %k: tensor<2x32x8xf32>, %v: tensor<2x32x8xf32>) -> tensor<4x16x8xf32> {
  %s = shard.sharding @procs split_axes = [[], [0]] : !shard.sharding
  %ks = shard.shard %k to %s : tensor<2x32x8xf32>
  %vs = shard.shard %v to %s : tensor<2x32x8xf32>
  %o = attn.attention %q, %ks, %vs causal : tensor<4x16x8xf32>, tensor<2x32x8xf32>, tensor<2x32x8xf32>
  return %o : tensor<4x16x8xf32>
}

// -----

shard.grid @procs(shape = 2)

// Query heads split: key/value heads h floordiv G split with them.
// CHECK-LABEL: func.func @attention_heads
// CHECK-SAME: (%[[Q:.*]]: tensor<2x16x8xf32>, %[[K:.*]]: tensor<1x32x8xf32>, %[[V:.*]]: tensor<1x32x8xf32>) -> tensor<2x16x8xf32>
// CHECK: attn.attention %[[Q]], %[[K]], %[[V]] :
// CHECK-NOT: shard.all_reduce
func.func @attention_heads(%q: tensor<4x16x8xf32>, %k: tensor<2x32x8xf32>, %v: tensor<2x32x8xf32>) -> tensor<4x16x8xf32> {
  %s = shard.sharding @procs split_axes = [[0]] : !shard.sharding
  %qs = shard.shard %q to %s : tensor<4x16x8xf32>
  %ks = shard.shard %k to %s : tensor<2x32x8xf32>
  %vs = shard.shard %v to %s : tensor<2x32x8xf32>
  %o = attn.attention %qs, %ks, %vs : tensor<4x16x8xf32>, tensor<2x32x8xf32>, tensor<2x32x8xf32>
  return %o : tensor<4x16x8xf32>
}

// -----

shard.grid @procs(shape = 2)

// The fused loss with its classifier split: the part's op on targets moved
// to its classes (-1 elsewhere), its logsumexp merged, the picked logits
// summed.
// CHECK-LABEL: func.func @linear_xent_classes
// CHECK-SAME: (%[[H:.*]]: tensor<16x32xf32>, %[[W:.*]]: tensor<64x32xf32>, %[[T:.*]]: tensor<16xi64>)
// CHECK: %[[PT:.*]] = linalg.generic {{.*}} ins(%[[T]] : tensor<16xi64>)
// CHECK: %[[L:.*]], %[[LSE:.*]] = attn.linear_xent %[[H]], %[[W]], %[[PT]] ignore_index = -1 reduction = none with_lse
// CHECK: shard.all_reduce %[[LSE]] {{.*}} reduction = max
// CHECK: shard.all_reduce
// CHECK: shard.all_reduce %{{.*}} on @procs grid_axes = [0] : tensor<16xf32>
// CHECK-NOT: shard.all_reduce
// CHECK: return
func.func @linear_xent_classes(%h: tensor<16x32xf32>, %w: tensor<128x32xf32>, %t: tensor<16xi64>) -> tensor<16xf32> {
  %s = shard.sharding @procs split_axes = [[0]] : !shard.sharding
  %ws = shard.shard %w to %s : tensor<128x32xf32>
  %l = attn.linear_xent %h, %ws, %t reduction = none : tensor<16x32xf32>, tensor<128x32xf32>, tensor<16xi64>
  return %l : tensor<16xf32>
}

// -----

shard.grid @procs(shape = 2)

// The attention backward with its keys split: dQ summed over the parts,
// dK and dV each process's keys.
// CHECK-LABEL: func.func @attention_backward_keys
// CHECK-SAME: -> (tensor<2x16x8xf32>, tensor<2x16x8xf32>, tensor<2x16x8xf32>)
// CHECK: %[[DQ:.*]], %[[DK:.*]], %[[DV:.*]] = attn.attention_backward {{.*}} causal diagonal
// CHECK: %[[SUM:.*]] = shard.all_reduce %[[DQ]] on @procs grid_axes = [0] : tensor<2x16x8xf32>
// CHECK-NOT: shard.all_reduce
// CHECK: return %[[SUM]], %[[DK]], %[[DV]]
func.func @attention_backward_keys(%g: tensor<2x16x8xf32>, %q: tensor<2x16x8xf32>, %k: tensor<2x32x8xf32>, %v: tensor<2x32x8xf32>, %o: tensor<2x16x8xf32>, %lse: tensor<2x16xf32>) -> (tensor<2x16x8xf32>, tensor<2x32x8xf32>, tensor<2x32x8xf32>) {
  %s = shard.sharding @procs split_axes = [[], [0]] : !shard.sharding
  %ks = shard.shard %k to %s : tensor<2x32x8xf32>
  %vs = shard.shard %v to %s : tensor<2x32x8xf32>
  %dq, %dk, %dv = attn.attention_backward %g, %q, %ks, %vs, %o, %lse causal : tensor<2x16x8xf32>, tensor<2x16x8xf32>, tensor<2x32x8xf32>, tensor<2x32x8xf32>, tensor<2x16x8xf32>, tensor<2x16xf32>
  return %dq, %dk, %dv : tensor<2x16x8xf32>, tensor<2x32x8xf32>, tensor<2x32x8xf32>
}

// -----

shard.grid @procs(shape = 2)

// The cross-entropy's gradient with its classes split: the rows' max logit
// and sum of exponentials all-reduced, then each part's gradients, the
// target's share where the part holds it (classes from 64p).
// CHECK-LABEL: func.func @xent_logits_backward_classes
// CHECK-SAME: (%[[G:.*]]: tensor<16xf32>, %[[Z:.*]]: tensor<16x64xf32>, %[[T:.*]]: tensor<16xi64>) -> tensor<16x64xf32>
// CHECK: %[[MAX:.*]] = linalg.generic {{.*}} iterator_types = ["parallel", "reduction"]} ins(%[[Z]]
// CHECK: shard.all_reduce %[[MAX]] on @procs grid_axes = [0] reduction = max
// CHECK: %[[SUM:.*]] = linalg.generic {{.*}} iterator_types = ["parallel", "reduction"]} ins(%[[Z]]
// CHECK: shard.all_reduce %[[SUM]] on @procs grid_axes = [0] : tensor<16xf32>
// CHECK-NOT: shard.all_reduce
// CHECK: %[[DZ:.*]] = linalg.generic {{.*}} iterator_types = ["parallel", "parallel"]} ins(%[[Z]]
// CHECK: return %[[DZ]]
func.func @xent_logits_backward_classes(%g: tensor<16xf32>, %z: tensor<16x128xf32>, %t: tensor<16xi64>) -> tensor<16x128xf32> {
  %s = shard.sharding @procs split_axes = [[], [0]] : !shard.sharding
  %zs = shard.shard %z to %s : tensor<16x128xf32>
  %dz = attn.xent_logits_backward %g, %zs, %t reduction = none : tensor<16xf32>, tensor<16x128xf32>, tensor<16xi64>
  return %dz : tensor<16x128xf32>
}

// -----

shard.grid @procs(shape = 2)

// The fused loss's gradients with the classifier split: the part's op on
// targets moved to its classes (class 0 for the tokens it lacks), the
// target's share restored at class 0, dhidden summed over the parts.
// CHECK-LABEL: func.func @linear_xent_backward_classes
// CHECK-SAME: -> (tensor<16x32xf32>, tensor<64x32xf32>)
// CHECK: %[[PT:.*]] = linalg.generic {{.*}} ins(%{{.*}} : tensor<16xi64>)
// CHECK: %[[DH:.*]], %[[DW:.*]] = attn.linear_xent_backward %{{.*}}, %{{.*}}, %{{.*}}, %[[PT]], %{{.*}} reduction = none
// CHECK-NOT: shard.all_reduce %[[DW]]
// CHECK: %[[SUM:.*]] = shard.all_reduce %{{.*}} on @procs grid_axes = [0] : tensor<16x32xf32>
// CHECK-NOT: shard.all_reduce
// CHECK: return %[[SUM]], %{{.*}}
func.func @linear_xent_backward_classes(%g: tensor<16xf32>, %h: tensor<16x32xf32>, %w: tensor<128x32xf32>, %t: tensor<16xi64>, %lse: tensor<16xf32>) -> (tensor<16x32xf32>, tensor<128x32xf32>) {
  %s = shard.sharding @procs split_axes = [[0]] : !shard.sharding
  %ws = shard.shard %w to %s : tensor<128x32xf32>
  %dh, %dw = attn.linear_xent_backward %g, %h, %ws, %t, %lse reduction = none : tensor<16xf32>, tensor<16x32xf32>, tensor<128x32xf32>, tensor<16xi64>, tensor<16xf32>
  return %dh, %dw : tensor<16x32xf32>, tensor<128x32xf32>
}

// -----

shard.grid @procs(shape = 2)

// softmax_backward with its last dimension split: the row's sum of dy y
// all-reduced, then y (dy - sum) on the part.
// CHECK-LABEL: func.func @softmax_backward_classes
// CHECK-SAME: (%[[DY:.*]]: tensor<8x32xf32>, %[[Y:.*]]: tensor<8x32xf32>) -> tensor<8x32xf32>
// CHECK: %[[PART:.*]] = linalg.generic {{.*}} iterator_types = ["parallel", "reduction"]} ins(%[[DY]], %[[Y]]
// CHECK: %[[SUM:.*]] = shard.all_reduce %[[PART]] on @procs grid_axes = [0] : tensor<8xf32>
// CHECK: linalg.generic {{.*}} ins(%[[DY]], %[[Y]], %[[SUM]]
// CHECK-NOT: attn.softmax_backward
func.func @softmax_backward_classes(%dy: tensor<8x64xf32>, %y: tensor<8x64xf32>) -> tensor<8x64xf32> {
  %s = shard.sharding @procs split_axes = [[], [0]] : !shard.sharding
  %dys = shard.shard %dy to %s : tensor<8x64xf32>
  %ys = shard.shard %y to %s : tensor<8x64xf32>
  %dx = attn.softmax_backward %dys, %ys : tensor<8x64xf32>, tensor<8x64xf32>
  return %dx : tensor<8x64xf32>
}

// -----

shard.grid @procs(shape = 2)

// masked_max_backward with its last dimension split: each part's first
// maximizing global index (from 32p), all-reduced by min.
// CHECK-LABEL: func.func @masked_max_backward_classes
// CHECK: %[[FIRST:.*]] = linalg.generic {{.*}} iterator_types = ["parallel", "reduction"]
// CHECK:   arith.minsi
// CHECK: %[[WIN:.*]] = shard.all_reduce %[[FIRST]] on @procs grid_axes = [0] reduction = min : tensor<8xi64>
// CHECK: linalg.generic {{.*}} ins(%{{.*}}, %{{.*}}, %[[WIN]] : tensor<8xf32>, tensor<8xf32>, tensor<8xi64>)
func.func @masked_max_backward_classes(%g: tensor<8xf32>, %x: tensor<8x64xf32>, %m: tensor<8x64xf32>, %o: tensor<8xf32>) -> tensor<8x64xf32> {
  %s = shard.sharding @procs split_axes = [[], [0]] : !shard.sharding
  %xs = shard.shard %x to %s : tensor<8x64xf32>
  %ms = shard.shard %m to %s : tensor<8x64xf32>
  %dx = attn.masked_max_backward %g, %xs, %ms, %o : tensor<8xf32>, tensor<8x64xf32>, tensor<8x64xf32>, tensor<8xf32>
  return %dx : tensor<8x64xf32>
}
