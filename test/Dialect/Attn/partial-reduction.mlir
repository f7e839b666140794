// RUN: attn-opt %s --transform-interpreter -split-input-file -canonicalize -cse | FileCheck %s

// The reductions over the last dimension split by upstream's
// tile_reduction_using_for (lanes of a chunk, PartialReductionOuterReduction)
// and tile_reduction_using_forall (one slot per chunk,
// PartialReductionOuterParallel) through PartialReductionOpInterface, and
// merged by their combiner.

// Lanes: entry 16 k + t of a row accumulates into lane t; the merge sums
// the lanes.
// CHECK-LABEL: func.func @sum_sq(
// CHECK-SAME:      %[[X:.*]]: tensor<8x100xf32>
// CHECK:         %[[ZERO:.*]] = arith.constant 0.000000e+00 : f32
// CHECK:         %[[LANES:.*]] = linalg.fill ins(%[[ZERO]] : f32) outs(%{{.*}} : tensor<8x16xf32>)
// CHECK:         %[[PART:.*]] = scf.for %[[K:.*]] = %c0 to %c100 step %c16 iter_args(%[[ACC:.*]] = %[[LANES]])
// CHECK:           %[[SIZE:.*]] = affine.min
// CHECK:           %[[OLD:.*]] = tensor.extract_slice %[[ACC]][0, 0] [8, %[[SIZE]]] [1, 1]
// CHECK:           %[[XK:.*]] = tensor.extract_slice %[[X]][0, %[[K]]] [8, %[[SIZE]]] [1, 1]
// CHECK:           %[[NEW:.*]] = linalg.generic {{.*}} iterator_types = ["parallel", "parallel"]} ins(%[[XK]] : tensor<8x?xf32>) outs(%[[OLD]] : tensor<8x?xf32>)
// CHECK:           ^bb0(%[[IN:.*]]: f32, %[[OUT:.*]]: f32):
// CHECK:             %[[SQ:.*]] = arith.mulf %[[IN]], %[[IN]]
// CHECK:             %[[SUM:.*]] = arith.addf %[[OUT]], %[[SQ]]
// CHECK:             linalg.yield %[[SUM]]
// CHECK:           tensor.insert_slice %[[NEW]] into %[[ACC]][0, 0] [8, %[[SIZE]]] [1, 1]
// CHECK:         %[[INIT:.*]] = linalg.fill ins(%[[ZERO]] : f32) outs(%{{.*}} : tensor<8xf32>)
// CHECK:         linalg.reduce { arith.addf } ins(%[[PART]] : tensor<8x16xf32>) outs(%[[INIT]] : tensor<8xf32>) dimensions = [1]

func.func @sum_sq(%x: tensor<8x100xf32>) -> tensor<8xf32> {
  %r = attn.sum_sq %x : tensor<8x100xf32>
  return %r : tensor<8xf32>
}
module attributes {transform.with_named_sequence} {
  transform.named_sequence @__transform_main(%root: !transform.any_op {transform.readonly}) {
    %s = transform.structured.match ops{["attn.sum_sq"]} in %root : (!transform.any_op) -> !transform.any_op
    %fill, %split, %comb, %loop = transform.structured.tile_reduction_using_for %s by tile_sizes = [0, 16] : (!transform.any_op) -> (!transform.any_op, !transform.any_op, !transform.any_op, !transform.any_op)
    transform.yield
  }
}

// -----

// Slots: chunk k is the op on its keys, its causal diagonal moved by the
// chunk's first key (N - M - k = 92 - k); the merge is a logsumexp of the
// slots.
// CHECK:       #[[DIAG:.*]] = affine_map<()[s0] -> (-s0 + 92)>
// CHECK:       #[[SLOT:.*]] = affine_map<()[s0] -> (s0 floordiv 32)>
// CHECK-LABEL: func.func @lse(
// CHECK-SAME:      %[[X:.*]]: tensor<8x100xf32>
// CHECK:         %[[NEGINF:.*]] = arith.constant 0xFF800000 : f32
// CHECK:         %[[SLOTS:.*]] = linalg.fill ins(%[[NEGINF]] : f32) outs(%{{.*}} : tensor<8x4xf32>)
// CHECK:         %[[PART:.*]] = scf.forall (%[[K:.*]]) = (0) to (100) step (32) shared_outs(%[[OUT:.*]] = %[[SLOTS]])
// CHECK:           %[[XK:.*]] = tensor.extract_slice %[[X]][0, %[[K]]] [8, %{{.*}}] [1, 1]
// CHECK:           %[[D:.*]] = affine.apply #[[DIAG]]()[%[[K]]]
// CHECK:           %[[L:.*]] = attn.logsumexp %[[XK]] causal diagonal %[[D]] : tensor<8x?xf32>
// CHECK:           %[[S:.*]] = affine.apply #[[SLOT]]()[%[[K]]]
// CHECK:           tensor.parallel_insert_slice %[[L]] into %[[OUT]][0, %[[S]]] [8, 1] [1, 1] : tensor<8xf32> into tensor<8x4xf32>
// CHECK:         attn.logsumexp %[[PART]] : tensor<8x4xf32>

func.func @lse(%x: tensor<8x100xf32>) -> tensor<8xf32> {
  %r = attn.logsumexp %x causal : tensor<8x100xf32>
  return %r : tensor<8xf32>
}
module attributes {transform.with_named_sequence} {
  transform.named_sequence @__transform_main(%root: !transform.any_op {transform.readonly}) {
    %s = transform.structured.match ops{["attn.logsumexp"]} in %root : (!transform.any_op) -> !transform.any_op
    %fill, %split, %comb, %loop = transform.structured.tile_reduction_using_forall %s by tile_sizes = [0, 32] : (!transform.any_op) -> (!transform.any_op, !transform.any_op, !transform.any_op, !transform.any_op)
    transform.yield
  }
}

// -----

// Lanes of a logsumexp: acc' = ms + log(exp(acc - ms) + exp(x - ms)), with
// ms = max(acc, x), or 0 when both are -inf.
// CHECK-LABEL: func.func @lse(
// CHECK:         %[[ZERO:.*]] = arith.constant 0.000000e+00 : f32
// CHECK:         %[[NEGINF:.*]] = arith.constant 0xFF800000 : f32
// CHECK:         %[[PART:.*]] = scf.for %[[K:.*]] = %c0 to %c100 step %c32
// CHECK:           %[[D:.*]] = affine.apply #{{.*}}()[%[[K]]]
// CHECK:           linalg.generic
// CHECK:           ^bb0(%[[IN:.*]]: f32, %[[ACC:.*]]: f32):
// CHECK:             %[[I:.*]] = linalg.index 0
// CHECK:             %[[J:.*]] = linalg.index 1
// CHECK:             %[[LAST:.*]] = arith.addi %[[I]], %[[D]]
// CHECK:             %[[HIDDEN:.*]] = arith.cmpi sgt, %[[J]], %[[LAST]]
// CHECK:             %[[X:.*]] = arith.select %[[HIDDEN]], %[[NEGINF]], %[[IN]]
// CHECK:             %[[MAX:.*]] = arith.maximumf %[[ACC]], %[[X]]
// CHECK:             %[[EMPTY:.*]] = arith.cmpf oeq, %[[MAX]], %[[NEGINF]]
// CHECK:             %[[MS:.*]] = arith.select %[[EMPTY]], %[[ZERO]], %[[MAX]]
// CHECK:             %[[A:.*]] = arith.subf %[[ACC]], %[[MS]]
// CHECK:             %[[EA:.*]] = math.exp %[[A]]
// CHECK:             %[[B:.*]] = arith.subf %[[X]], %[[MS]]
// CHECK:             %[[EB:.*]] = math.exp %[[B]]
// CHECK:             %[[S:.*]] = arith.addf %[[EA]], %[[EB]]
// CHECK:             %[[LOG:.*]] = math.log %[[S]]
// CHECK:             %[[R:.*]] = arith.addf %[[MS]], %[[LOG]]
// CHECK:             linalg.yield %[[R]]
// CHECK:         attn.logsumexp %[[PART]] : tensor<8x32xf32>

func.func @lse(%x: tensor<8x100xf32>) -> tensor<8xf32> {
  %r = attn.logsumexp %x causal : tensor<8x100xf32>
  return %r : tensor<8xf32>
}
module attributes {transform.with_named_sequence} {
  transform.named_sequence @__transform_main(%root: !transform.any_op {transform.readonly}) {
    %s = transform.structured.match ops{["attn.logsumexp"]} in %root : (!transform.any_op) -> !transform.any_op
    %fill, %split, %comb, %loop = transform.structured.tile_reduction_using_for %s by tile_sizes = [0, 32] : (!transform.any_op) -> (!transform.any_op, !transform.any_op, !transform.any_op, !transform.any_op)
    transform.yield
  }
}

// -----

// The [M, N] mask is read along the chunk's keys; lanes combine by max.
// CHECK:       #[[ID:.*]] = affine_map<(d0, d1, d2) -> (d0, d1, d2)>
// CHECK:       #[[MASK:.*]] = affine_map<(d0, d1, d2) -> (d1, d2)>
// CHECK-LABEL: func.func @masked_max(
// CHECK-SAME:      %[[S:.*]]: tensor<4x64x128xf32>, %[[M:.*]]: tensor<64x128xf32>
// CHECK:         %[[NEGINF:.*]] = arith.constant 0xFF800000 : f32
// CHECK:         %[[LANES:.*]] = linalg.fill ins(%[[NEGINF]] : f32) outs(%{{.*}} : tensor<4x64x32xf32>)
// CHECK:         %[[PART:.*]] = scf.for %[[K:.*]] = %c0 to %c128 step %c32 iter_args(%[[ACC:.*]] = %[[LANES]])
// CHECK:           %[[SK:.*]] = tensor.extract_slice %[[S]][0, 0, %[[K]]] [4, 64, 32] [1, 1, 1]
// CHECK:           %[[MK:.*]] = tensor.extract_slice %[[M]][0, %[[K]]] [64, 32] [1, 1]
// CHECK:           linalg.generic {indexing_maps = [#[[ID]], #[[MASK]], #[[ID]]], iterator_types = ["parallel", "parallel", "parallel"]} ins(%[[SK]], %[[MK]] : tensor<4x64x32xf32>, tensor<64x32xf32>) outs(%[[ACC]] : tensor<4x64x32xf32>)
// CHECK:             %[[T:.*]] = arith.addf
// CHECK:             arith.maximumf %{{.*}}, %[[T]]
// CHECK:         linalg.reduce { arith.maximumf } ins(%[[PART]] : tensor<4x64x32xf32>) outs(%{{.*}} : tensor<4x64xf32>) dimensions = [2]

func.func @masked_max(%s: tensor<4x64x128xf32>, %m: tensor<64x128xf32>) -> tensor<4x64xf32> {
  %r = attn.masked_max %s, %m : tensor<4x64x128xf32>, tensor<64x128xf32>
  return %r : tensor<4x64xf32>
}
module attributes {transform.with_named_sequence} {
  transform.named_sequence @__transform_main(%root: !transform.any_op {transform.readonly}) {
    %s = transform.structured.match ops{["attn.masked_max"]} in %root : (!transform.any_op) -> !transform.any_op
    %fill, %split, %comb, %loop = transform.structured.tile_reduction_using_for %s by tile_sizes = [0, 0, 32] : (!transform.any_op) -> (!transform.any_op, !transform.any_op, !transform.any_op, !transform.any_op)
    transform.yield
  }
}

// -----

// CHECK-LABEL: func.func @xent(
// CHECK-SAME:      %[[P:.*]]: tensor<16x1000xf64>, %[[Q:.*]]: tensor<16x1000xf64>
// CHECK:         %[[PART:.*]] = scf.forall (%[[K:.*]]) = (0) to (1000) step (250) shared_outs(%[[OUT:.*]] = %{{.*}}) -> (tensor<16x4xf64>)
// CHECK:           %[[PK:.*]] = tensor.extract_slice %[[P]][0, %[[K]]] [16, 250] [1, 1]
// CHECK:           %[[QK:.*]] = tensor.extract_slice %[[Q]][0, %[[K]]] [16, 250] [1, 1]
// CHECK:           %[[L:.*]] = attn.xent %[[PK]], %[[QK]] : tensor<16x250xf64>, tensor<16x250xf64>
// CHECK:           tensor.parallel_insert_slice %[[L]] into %[[OUT]][0, %{{.*}}] [16, 1] [1, 1] : tensor<16xf64> into tensor<16x4xf64>
// CHECK:         linalg.reduce { arith.addf } ins(%[[PART]] : tensor<16x4xf64>) outs(%{{.*}} : tensor<16xf64>) dimensions = [1]

func.func @xent(%p: tensor<16x1000xf64>, %q: tensor<16x1000xf64>) -> tensor<16xf64> {
  %r = attn.xent %p, %q : tensor<16x1000xf64>, tensor<16x1000xf64>
  return %r : tensor<16xf64>
}
module attributes {transform.with_named_sequence} {
  transform.named_sequence @__transform_main(%root: !transform.any_op {transform.readonly}) {
    %s = transform.structured.match ops{["attn.xent"]} in %root : (!transform.any_op) -> !transform.any_op
    %fill, %split, %comb, %loop = transform.structured.tile_reduction_using_forall %s by tile_sizes = [0, 250] : (!transform.any_op) -> (!transform.any_op, !transform.any_op, !transform.any_op, !transform.any_op)
    transform.yield
  }
}

// -----

// Attention split over its keys into slots (split-K): chunk c is
// attn.online_attention from the empty state (acc 0, max -inf, sum 0), its
// causal diagonal moved by the chunk's first key (N - M - k = 84 - k).
// The merge rescales each slot by exp(m_c - M), M = max_c m_c (0 while
// -inf), and divides, a row with no key seen giving 0 (masked_rows = zero).
// The transform op's handles: 3 fills, the split op and 4 merge ops.
// CHECK-DAG:   #[[DIAG:.*]] = affine_map<()[s0] -> (-s0 + 84)>
// CHECK-DAG:   #[[SLOT:.*]] = affine_map<()[s0] -> (s0 floordiv 32)>
// CHECK-DAG:   #[[ID4:.*]] = affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>
// CHECK-DAG:   #[[ROW4:.*]] = affine_map<(d0, d1, d2, d3) -> (d0, d1, d2)>
// CHECK-LABEL: func.func @attention(
// CHECK-SAME:      %[[Q:.*]]: tensor<16x8xf32>, %[[K:.*]]: tensor<100x8xf32>, %[[V:.*]]: tensor<100x4xf32>
// CHECK-DAG:     %[[NEGINF:.*]] = arith.constant 0xFF800000 : f32
// CHECK-DAG:     %[[ZERO:.*]] = arith.constant 0.000000e+00 : f32
// CHECK:         %[[ACC0:.*]] = linalg.fill ins(%[[ZERO]] : f32) outs(%{{.*}} : tensor<16x4x4xf32>)
// CHECK:         %[[MAX0:.*]] = linalg.fill ins(%[[NEGINF]] : f32) outs(%{{.*}} : tensor<16x4xf32>)
// CHECK:         %[[SUM0:.*]] = linalg.fill ins(%[[ZERO]] : f32) outs(%{{.*}} : tensor<16x4xf32>)
// CHECK:         %[[PARTS:.*]]:3 = scf.forall (%[[C:.*]]) = (0) to (100) step (32) shared_outs(%[[ACCS:.*]] = %[[ACC0]], %[[MAXS:.*]] = %[[MAX0]], %[[SUMS:.*]] = %[[SUM0]])
// CHECK:           %[[KC:.*]] = tensor.extract_slice %[[K]][%[[C]], 0] [%{{.*}}, 8] [1, 1]
// CHECK:           %[[VC:.*]] = tensor.extract_slice %[[V]][%[[C]], 0] [%{{.*}}, 4] [1, 1]
// CHECK:           %[[EMPTYMAX:.*]] = linalg.fill ins(%[[NEGINF]] : f32) outs(%{{.*}} : tensor<16xf32>)
// CHECK:           %[[EMPTYSUM:.*]] = linalg.fill ins(%[[ZERO]] : f32) outs(%{{.*}} : tensor<16xf32>)
// CHECK:           %[[D:.*]] = affine.apply #[[DIAG]]()[%[[C]]]
// CHECK:           %[[A:.*]], %[[M:.*]], %[[L:.*]] = attn.online_attention %[[Q]], %[[KC]], %[[VC]] causal diagonal %[[D]] into %{{.*}}, %[[EMPTYMAX]], %[[EMPTYSUM]] : tensor<16x8xf32>, tensor<?x8xf32>, tensor<?x4xf32> -> tensor<16x4xf32>, tensor<16xf32>, tensor<16xf32>
// CHECK:           %[[S:.*]] = affine.apply #[[SLOT]]()[%[[C]]]
// CHECK:             tensor.parallel_insert_slice %[[A]] into %[[ACCS]][0, 0, %[[S]]] [16, 4, 1] [1, 1, 1] : tensor<16x4xf32> into tensor<16x4x4xf32>
// CHECK:             tensor.parallel_insert_slice %[[M]] into %[[MAXS]][0, %[[S]]] [16, 1] [1, 1] : tensor<16xf32> into tensor<16x4xf32>
// CHECK:             tensor.parallel_insert_slice %[[L]] into %[[SUMS]][0, %[[S]]] [16, 1] [1, 1] : tensor<16xf32> into tensor<16x4xf32>
// CHECK:         %[[ACCP:.*]] = tensor.expand_shape %[[PARTS]]#0
// CHECK:         %[[MAXP:.*]] = tensor.expand_shape %[[PARTS]]#1
// CHECK:         %[[SUMP:.*]] = tensor.expand_shape %[[PARTS]]#2
// CHECK:         %[[ROWMAX:.*]] = linalg.generic {indexing_maps = [#[[ID4]], #[[ROW4]]], iterator_types = ["parallel", "parallel", "parallel", "reduction"]} ins(%[[MAXP]] : tensor<1x1x16x4xf32>)
// CHECK:           arith.maximumf
// CHECK:         %[[ROWSUM:.*]] = linalg.generic {{.*}} iterator_types = ["parallel", "parallel", "parallel", "reduction"]} ins(%[[SUMP]], %[[MAXP]], %[[ROWMAX]] :
// CHECK:         ^bb0(%[[LC:.*]]: f32, %[[MC:.*]]: f32, %[[MR:.*]]: f32, %[[OUT:.*]]: f32):
// CHECK:           %[[NONE:.*]] = arith.cmpf oeq, %[[MR]], %[[NEGINF]]
// CHECK:           %[[SHIFT:.*]] = arith.select %[[NONE]], %[[ZERO]], %[[MR]]
// CHECK:           %[[DIFF:.*]] = arith.subf %[[MC]], %[[SHIFT]]
// CHECK:           %[[W:.*]] = math.exp %[[DIFF]]
// CHECK:           %[[WL:.*]] = arith.mulf %[[W]], %[[LC]]
// CHECK:           arith.addf %[[OUT]], %[[WL]]
// CHECK:         %[[OUTPUT:.*]] = linalg.generic {{.*}} iterator_types = ["parallel", "parallel", "parallel", "parallel", "reduction"]} ins(%[[ACCP]], %[[MAXP]], %[[ROWMAX]] :
// CHECK:         %[[NORM:.*]] = linalg.generic {{.*}} ins(%[[OUTPUT]], %[[ROWSUM]] :
// CHECK:         ^bb0(%[[AO:.*]]: f32, %[[LR:.*]]: f32, %{{.*}}: f32):
// CHECK:           %[[QUOT:.*]] = arith.divf %[[AO]], %[[LR]]
// CHECK:           %[[NOKEY:.*]] = arith.cmpf oeq, %[[LR]], %[[ZERO]]
// CHECK:           arith.select %[[NOKEY]], %[[ZERO]], %[[QUOT]]
// CHECK:         %[[R:.*]] = tensor.collapse_shape %[[NORM]] {{\[\[}}0, 1, 2], [3]] : tensor<1x1x16x4xf32> into tensor<16x4xf32>
// CHECK:         return %[[R]]

func.func @attention(%q: tensor<16x8xf32>, %k: tensor<100x8xf32>, %v: tensor<100x4xf32>) -> tensor<16x4xf32> {
  %r = attn.attention %q, %k, %v causal : tensor<16x8xf32>, tensor<100x8xf32>, tensor<100x4xf32>
  return %r : tensor<16x4xf32>
}
module attributes {transform.with_named_sequence} {
  transform.named_sequence @__transform_main(%root: !transform.any_op {transform.readonly}) {
    %s = transform.structured.match ops{["attn.attention"]} in %root : (!transform.any_op) -> !transform.any_op
    %fill:3, %split, %comb:4, %loop = transform.structured.tile_reduction_using_forall %s by tile_sizes = [0, 32, 0, 0] : (!transform.any_op) -> (!transform.any_op, !transform.any_op, !transform.any_op, !transform.any_op, !transform.any_op, !transform.any_op, !transform.any_op, !transform.any_op, !transform.any_op)
    transform.yield
  }
}

// -----

// Lanes of attention: lane t of the [16, (4,) 32] state folds in key t of
// each chunk (m' = max(m, s), l' = exp(m - m') l + exp(s - m'), acc' =
// exp(m - m') acc + exp(s - m') v); the merge is the slots' one.
// CHECK-LABEL: func.func @attention(
// CHECK:         %[[PARTS:.*]]:3 = scf.for %[[C:.*]] = %c0 to %c100 step %c32 iter_args(%[[ACCS:.*]] = %{{.*}}, %[[MAXS:.*]] = %{{.*}}, %[[SUMS:.*]] = %{{.*}}) -> (tensor<16x4x32xf32>, tensor<16x32xf32>, tensor<16x32xf32>)
// CHECK:           %[[T:.*]] = affine.min
// CHECK:           %[[ACCL:.*]] = tensor.extract_slice %[[ACCS]][0, 0, 0] [16, 4, %[[T]]] [1, 1, 1]
// CHECK:           %[[MAXL:.*]] = tensor.extract_slice %[[MAXS]][0, 0] [16, %[[T]]] [1, 1]
// CHECK:           %[[SUML:.*]] = tensor.extract_slice %[[SUMS]][0, 0] [16, %[[T]]] [1, 1]
// CHECK:           %[[QK:.*]] = linalg.generic {{.*}} iterator_types = ["parallel", "parallel", "parallel", "parallel", "reduction"]
// CHECK:           %[[SCORES:.*]] = linalg.generic
// CHECK:             arith.cmpi sgt
// CHECK:           %[[NEWMAX:.*]] = linalg.generic {{.*}} ins(%{{.*}}, %[[SCORES]] : tensor<1x1x16x?xf32>, tensor<1x1x16x?xf32>)
// CHECK:             arith.maximumf
// CHECK:           %[[NEWSUM:.*]] = linalg.generic {{.*}} iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
// CHECK:           %[[NEWACC:.*]] = linalg.generic {{.*}} iterator_types = ["parallel", "parallel", "parallel", "parallel", "parallel"]}
// CHECK:           tensor.insert_slice %{{.*}} into %[[ACCS]][0, 0, 0] [16, 4, %[[T]]] [1, 1, 1]
// CHECK:           tensor.insert_slice %{{.*}} into %[[MAXS]][0, 0] [16, %[[T]]] [1, 1]
// CHECK:           tensor.insert_slice %{{.*}} into %[[SUMS]][0, 0] [16, %[[T]]] [1, 1]
// CHECK:         tensor.expand_shape %[[PARTS]]#0
// CHECK:         arith.divf

func.func @attention(%q: tensor<16x8xf32>, %k: tensor<100x8xf32>, %v: tensor<100x4xf32>) -> tensor<16x4xf32> {
  %r = attn.attention %q, %k, %v causal : tensor<16x8xf32>, tensor<100x8xf32>, tensor<100x4xf32>
  return %r : tensor<16x4xf32>
}
module attributes {transform.with_named_sequence} {
  transform.named_sequence @__transform_main(%root: !transform.any_op {transform.readonly}) {
    %s = transform.structured.match ops{["attn.attention"]} in %root : (!transform.any_op) -> !transform.any_op
    %fill:3, %split:3, %comb:4, %loop = transform.structured.tile_reduction_using_for %s by tile_sizes = [0, 32, 0, 0] : (!transform.any_op) -> (!transform.any_op, !transform.any_op, !transform.any_op, !transform.any_op, !transform.any_op, !transform.any_op, !transform.any_op, !transform.any_op, !transform.any_op, !transform.any_op, !transform.any_op)
    transform.yield
  }
}

// -----

// xent_logits split over its classes: chunk c keeps a partial logsumexp
// (logaddexp of its logits) and the logit of the target class if the chunk
// holds it (class k + j == t); the merge is the logsumexp of the slots
// minus their summed picked logits, then ignore_index and range rules.
// CHECK-LABEL: func.func @xent_logits(
// CHECK-SAME:      %[[Z:.*]]: tensor<8x100xf32>, %[[T:.*]]: tensor<8xi64>
// CHECK:         %[[PARTS:.*]]:2 = scf.forall (%[[K:.*]]) = (0) to (100) step (32) shared_outs(%[[LSES:.*]] = %{{.*}}, %[[PICKS:.*]] = %{{.*}}) -> (tensor<8x4xf32>, tensor<8x4xf32>)
// CHECK:           %[[ZK:.*]] = tensor.extract_slice %[[Z]][0, %[[K]]] [8, %{{.*}}] [1, 1]
// CHECK:           %[[CHUNK:.*]]:2 = linalg.generic {{.*}} iterator_types = ["parallel", "reduction"]} ins(%[[ZK]], %[[T]] : tensor<8x?xf32>, tensor<8xi64>)
// CHECK:           ^bb0(%[[IN:.*]]: f32, %[[TI:.*]]: i64, %[[LSE:.*]]: f32, %[[PICK:.*]]: f32):
// CHECK:             %[[J:.*]] = linalg.index 1
// CHECK:             %[[CLS:.*]] = arith.addi %[[K]], %[[J]]
// CHECK:             %[[TIDX:.*]] = arith.index_cast %[[TI]] : i64 to index
// CHECK:             %[[HIT:.*]] = arith.cmpi eq, %[[TIDX]], %[[CLS]]
// CHECK:             %[[TERM:.*]] = arith.select %[[HIT]], %[[IN]]
// CHECK:             math.log
// CHECK:             %[[NEWLSE:.*]] = arith.addf
// CHECK:             %[[NEWPICK:.*]] = arith.addf %[[PICK]], %[[TERM]]
// CHECK:             linalg.yield %[[NEWLSE]], %[[NEWPICK]]
// CHECK:         %[[L:.*]] = attn.logsumexp %[[PARTS]]#0 : tensor<8x4xf32>
// CHECK:         %[[P:.*]] = linalg.reduce ins(%[[PARTS]]#1 : tensor<8x4xf32>)
// CHECK:         linalg.generic {{.*}} ins(%[[T]], %[[L]], %[[P]] : tensor<8xi64>, tensor<8xf32>, tensor<8xf32>)
// CHECK:           arith.subf
func.func @xent_logits(%z: tensor<8x100xf32>, %t: tensor<8xi64>) -> tensor<8xf32> {
  %r = attn.xent_logits %z, %t reduction = none : tensor<8x100xf32>, tensor<8xi64>
  return %r : tensor<8xf32>
}
module attributes {transform.with_named_sequence} {
  transform.named_sequence @__transform_main(%root: !transform.any_op {transform.readonly}) {
    %s = transform.structured.match ops{["attn.xent_logits"]} in %root : (!transform.any_op) -> !transform.any_op
    %fill:2, %split, %comb:3, %loop = transform.structured.tile_reduction_using_forall %s by tile_sizes = [0, 32] : (!transform.any_op) -> (!transform.any_op, !transform.any_op, !transform.any_op, !transform.any_op, !transform.any_op, !transform.any_op, !transform.any_op)
    transform.yield
  }
}
