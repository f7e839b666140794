// RUN: attn-opt %s --transform-interpreter -split-input-file -canonicalize -cse | FileCheck %s

// The attn ops tiled along their parallel loops by upstream's
// tile_using_for / tile_using_forall (TilingInterface): each tile is the op
// on slices of its operands.

// CHECK-LABEL: func.func @masked_max(
// CHECK-SAME:      %[[S:.*]]: tensor<4x64x128xf32>, %[[M:.*]]: tensor<64x128xf32>
// CHECK:         scf.for %[[B:.*]] = %c0 to %c4 step %c2
// CHECK:           scf.for %[[I:.*]] = %c0 to %c64 step %c16 iter_args(%[[ACC:.*]] =
// CHECK:             %[[ST:.*]] = tensor.extract_slice %[[S]][%[[B]], %[[I]], 0] [2, 16, 128] [1, 1, 1]
// The [M, N] mask is sliced along the rows only.
// CHECK:             %[[MT:.*]] = tensor.extract_slice %[[M]][%[[I]], 0] [16, 128] [1, 1]
// CHECK:             %[[R:.*]] = attn.masked_max %[[ST]], %[[MT]] : tensor<2x16x128xf32>, tensor<16x128xf32>
// CHECK:             tensor.insert_slice %[[R]] into %[[ACC]][%[[B]], %[[I]]] [2, 16] [1, 1]

func.func @masked_max(%s: tensor<4x64x128xf32>, %m: tensor<64x128xf32>) -> tensor<4x64xf32> {
  %r = attn.masked_max %s, %m : tensor<4x64x128xf32>, tensor<64x128xf32>
  return %r : tensor<4x64xf32>
}
module attributes {transform.with_named_sequence} {
  transform.named_sequence @__transform_main(%root: !transform.any_op {transform.readonly}) {
    %s = transform.structured.match ops{["attn.masked_max"]} in %root : (!transform.any_op) -> !transform.any_op
    %t, %l:2 = transform.structured.tile_using_for %s tile_sizes [2, 16] : (!transform.any_op) -> (!transform.any_op, !transform.any_op, !transform.any_op)
    transform.yield
  }
}

// -----

// CHECK-LABEL: func.func @sum_sq(
// CHECK-SAME:      %[[X:.*]]: tensor<10x256xf32>
// CHECK:         scf.forall (%[[T:.*]]) in (3) shared_outs(%[[OUT:.*]] =
// CHECK:           %[[OFF:.*]] = affine.apply #{{.*}}(%[[T]])
// CHECK:           %[[SIZE:.*]] = affine.min #{{.*}}(%[[T]])
// CHECK:           %[[XT:.*]] = tensor.extract_slice %[[X]][%[[OFF]], 0] [%[[SIZE]], 256] [1, 1]
// CHECK:           %[[R:.*]] = attn.sum_sq %[[XT]] : tensor<?x256xf32>
// CHECK:           tensor.parallel_insert_slice %[[R]] into %[[OUT]][%[[OFF]]] [%[[SIZE]]] [1]

func.func @sum_sq(%x: tensor<10x256xf32>) -> tensor<10xf32> {
  %r = attn.sum_sq %x : tensor<10x256xf32>
  return %r : tensor<10xf32>
}
module attributes {transform.with_named_sequence} {
  transform.named_sequence @__transform_main(%root: !transform.any_op {transform.readonly}) {
    %s = transform.structured.match ops{["attn.sum_sq"]} in %root : (!transform.any_op) -> !transform.any_op
    %t, %l = transform.structured.tile_using_forall %s tile_sizes [4] : (!transform.any_op) -> (!transform.any_op, !transform.any_op)
    transform.yield
  }
}

// -----

// A tile of causal rows keeps its mask: diagonal = (N - M) + offset.
// CHECK:       #[[SHIFT:.*]] = affine_map<()[s0] -> (s0 + 64)>
// CHECK-LABEL: func.func @softmax_causal(
// CHECK-SAME:      %[[X:.*]]: tensor<2x64x128xf32>
// CHECK:         scf.for %[[I:.*]] = %c0 to %c64 step %c16
// CHECK:           %[[XT:.*]] = tensor.extract_slice %[[X]][0, %[[I]], 0] [2, 16, 128] [1, 1, 1]
// CHECK:           %[[D:.*]] = affine.apply #[[SHIFT]]()[%[[I]]]
// CHECK:           attn.softmax %[[XT]] causal diagonal %[[D]] : tensor<2x16x128xf32>

func.func @softmax_causal(%x: tensor<2x64x128xf32>) -> tensor<2x64x128xf32> {
  %r = attn.softmax %x causal : tensor<2x64x128xf32>
  return %r : tensor<2x64x128xf32>
}
module attributes {transform.with_named_sequence} {
  transform.named_sequence @__transform_main(%root: !transform.any_op {transform.readonly}) {
    %s = transform.structured.match ops{["attn.softmax"]} in %root : (!transform.any_op) -> !transform.any_op
    %t, %l = transform.structured.tile_using_for %s tile_sizes [0, 16] : (!transform.any_op) -> (!transform.any_op, !transform.any_op)
    transform.yield
  }
}

// -----

// An explicit diagonal moves by the tile's offset.
// CHECK:       #[[ADD:.*]] = affine_map<()[s0, s1] -> (s0 + s1)>
// CHECK-LABEL: func.func @logsumexp_diagonal(
// CHECK-SAME:      %[[X:.*]]: tensor<?x32xf32>, %[[DIAG:.*]]: index
// CHECK:         %[[ROWS:.*]] = tensor.dim %[[X]], %c0
// CHECK:         %[[INIT:.*]] = tensor.empty(%[[ROWS]]) : tensor<?xf32>
// CHECK:         scf.for %[[I:.*]] = %c0 to %[[ROWS]] step %c8 iter_args(%{{.*}} = %[[INIT]])
// CHECK:           %[[XT:.*]] = tensor.extract_slice %[[X]][%[[I]], 0]
// CHECK:           %[[D:.*]] = affine.apply #[[ADD]]()[%[[DIAG]], %[[I]]]
// CHECK:           attn.logsumexp %[[XT]] causal diagonal %[[D]] : tensor<?x32xf32>

func.func @logsumexp_diagonal(%x: tensor<?x32xf32>, %d: index) -> tensor<?xf32> {
  %r = attn.logsumexp %x causal diagonal %d : tensor<?x32xf32>
  return %r : tensor<?xf32>
}
module attributes {transform.with_named_sequence} {
  transform.named_sequence @__transform_main(%root: !transform.any_op {transform.readonly}) {
    %s = transform.structured.match ops{["attn.logsumexp"]} in %root : (!transform.any_op) -> !transform.any_op
    %t, %l = transform.structured.tile_using_for %s tile_sizes [8] : (!transform.any_op) -> (!transform.any_op, !transform.any_op)
    transform.yield
  }
}

// -----

// CHECK-LABEL: func.func @xent_logits(
// CHECK-SAME:      %[[Z:.*]]: tensor<64x1000xf32>, %[[T:.*]]: tensor<64xi64>
// CHECK:         scf.for %[[I:.*]] = %c0 to %c64 step %c16
// CHECK:           %[[ZT:.*]] = tensor.extract_slice %[[Z]][%[[I]], 0] [16, 1000] [1, 1]
// CHECK:           %[[TT:.*]] = tensor.extract_slice %[[T]][%[[I]]] [16] [1]
// CHECK:           attn.xent_logits %[[ZT]], %[[TT]] reduction = none : tensor<16x1000xf32>, tensor<16xi64>

func.func @xent_logits(%z: tensor<64x1000xf32>, %t: tensor<64xi64>) -> tensor<64xf32> {
  %r = attn.xent_logits %z, %t reduction = none : tensor<64x1000xf32>, tensor<64xi64>
  return %r : tensor<64xf32>
}
module attributes {transform.with_named_sequence} {
  transform.named_sequence @__transform_main(%root: !transform.any_op {transform.readonly}) {
    %s = transform.structured.match ops{["attn.xent_logits"]} in %root : (!transform.any_op) -> !transform.any_op
    %t, %l = transform.structured.tile_using_for %s tile_sizes [16] : (!transform.any_op) -> (!transform.any_op, !transform.any_op)
    transform.yield
  }
}

// -----

// Two query heads of a group of 4 read one key/value head, h floordiv 4; the
// mask's broadcast head dimension is read whole.
// CHECK:       #[[HEADS:.*]] = affine_map<(d0) -> (d0 * 2)>
// CHECK:       #[[ROWS:.*]] = affine_map<(d0) -> (d0 * 64)>
// CHECK:       #[[GROUP:.*]] = affine_map<(d0) -> (d0 floordiv 2)>
// CHECK:       #[[DIAG:.*]] = affine_map<(d0) -> (d0 * 64 + 128)>
// CHECK-LABEL: func.func @attention_gqa(
// CHECK-SAME:      %[[Q:.*]]: tensor<2x8x128x64xf32>, %[[K:.*]]: tensor<2x2x256x64xf32>, %[[V:.*]]: tensor<2x2x256x32xf32>, %[[M:.*]]: tensor<2x1x128x256xf32>
// CHECK:         scf.forall (%[[B:.*]], %[[H:.*]], %[[I:.*]]) in (2, 4, 2)
// CHECK-DAG:       %[[H0:.*]] = affine.apply #[[HEADS]](%[[H]])
// CHECK-DAG:       %[[I0:.*]] = affine.apply #[[ROWS]](%[[I]])
// CHECK:           %[[QT:.*]] = tensor.extract_slice %[[Q]][%[[B]], %[[H0]], %[[I0]], 0] [1, 2, 64, 64]
// CHECK:           %[[G:.*]] = affine.apply #[[GROUP]](%[[H]])
// CHECK:           %[[KT:.*]] = tensor.extract_slice %[[K]][%[[B]], %[[G]], 0, 0] [1, 1, 256, 64]
// CHECK:           %[[VT:.*]] = tensor.extract_slice %[[V]][%[[B]], %[[G]], 0, 0] [1, 1, 256, 32]
// CHECK:           %[[MT:.*]] = tensor.extract_slice %[[M]][%[[B]], 0, %[[I0]], 0] [1, 1, 64, 256]
// CHECK:           %[[D:.*]] = affine.apply #[[DIAG]](%[[I]])
// CHECK:           %[[R:.*]] = attn.attention %[[QT]], %[[KT]], %[[VT]] mask %[[MT]] causal diagonal %[[D]] : tensor<1x2x64x64xf32>, tensor<1x1x256x64xf32>, tensor<1x1x256x32xf32>, tensor<1x1x64x256xf32>
// CHECK:           tensor.parallel_insert_slice %[[R]] into %{{.*}}[%[[B]], %[[H0]], %[[I0]], 0] [1, 2, 64, 32]

func.func @attention_gqa(%q: tensor<2x8x128x64xf32>, %k: tensor<2x2x256x64xf32>, %v: tensor<2x2x256x32xf32>, %m: tensor<2x1x128x256xf32>) -> tensor<2x8x128x32xf32> {
  %r = attn.attention %q, %k, %v mask %m causal : tensor<2x8x128x64xf32>, tensor<2x2x256x64xf32>, tensor<2x2x256x32xf32>, tensor<2x1x128x256xf32>
  return %r : tensor<2x8x128x32xf32>
}
module attributes {transform.with_named_sequence} {
  transform.named_sequence @__transform_main(%root: !transform.any_op {transform.readonly}) {
    %s = transform.structured.match ops{["attn.attention"]} in %root : (!transform.any_op) -> !transform.any_op
    %t, %l = transform.structured.tile_using_forall %s tile_sizes [1, 2, 64] : (!transform.any_op) -> (!transform.any_op, !transform.any_op)
    transform.yield
  }
}

// -----

// The online form tiled along queries and keys: the flash-attention loop
// nest. The key loop threads the state (acc, max, sum) through its
// iterations, each step the op on a block of keys with its diagonal moved
// to the block's first row and key (N - M + i - j = 84 + i - j).
// CHECK:       #[[DIAG:.*]] = affine_map<()[s0, s1] -> (s0 - s1 + 84)>
// CHECK-LABEL: func.func @online_attention_keys(
// CHECK-SAME:      %[[Q:[^:]*]]: tensor<16x8xf32>, %[[K:[^:]*]]: tensor<100x8xf32>, %[[V:[^:]*]]: tensor<100x4xf32>, %[[ACC:[^:]*]]: tensor<16x4xf32>, %[[MAX:[^:]*]]: tensor<16xf32>, %[[SUM:[^:]*]]: tensor<16xf32>
// CHECK:         %[[R:.*]]:3 = scf.for %[[I:.*]] = %c0 to %c16 step %c8 iter_args(%[[A0:.*]] = %[[ACC]], %[[M0:.*]] = %[[MAX]], %[[L0:.*]] = %[[SUM]])
// CHECK:           %[[S:.*]]:3 = scf.for %[[J:.*]] = %c0 to %c100 step %c32 iter_args(%[[A:.*]] = %[[A0]], %[[M:.*]] = %[[M0]], %[[L:.*]] = %[[L0]])
// CHECK:             %[[QI:.*]] = tensor.extract_slice %[[Q]][%[[I]], 0] [8, 8] [1, 1]
// CHECK:             %[[KJ:.*]] = tensor.extract_slice %[[K]][%[[J]], 0] [%{{.*}}, 8] [1, 1]
// CHECK:             %[[VJ:.*]] = tensor.extract_slice %[[V]][%[[J]], 0] [%{{.*}}, 4] [1, 1]
// CHECK:             %[[AI:.*]] = tensor.extract_slice %[[A]][%[[I]], 0] [8, 4] [1, 1]
// CHECK:             %[[MI:.*]] = tensor.extract_slice %[[M]][%[[I]]] [8] [1]
// CHECK:             %[[LI:.*]] = tensor.extract_slice %[[L]][%[[I]]] [8] [1]
// CHECK:             %[[D:.*]] = affine.apply #[[DIAG]]()[%[[I]], %[[J]]]
// CHECK:             %[[NA:.*]], %[[NM:.*]], %[[NL:.*]] = attn.online_attention %[[QI]], %[[KJ]], %[[VJ]] causal diagonal %[[D]] into %[[AI]], %[[MI]], %[[LI]] : tensor<8x8xf32>, tensor<?x8xf32>, tensor<?x4xf32> -> tensor<8x4xf32>, tensor<8xf32>, tensor<8xf32>
// CHECK:             %[[A1:.*]] = tensor.insert_slice %[[NA]] into %[[A]][%[[I]], 0] [8, 4] [1, 1]
// CHECK:             %[[M1:.*]] = tensor.insert_slice %[[NM]] into %[[M]][%[[I]]] [8] [1]
// CHECK:             %[[L1:.*]] = tensor.insert_slice %[[NL]] into %[[L]][%[[I]]] [8] [1]
// CHECK:             scf.yield %[[A1]], %[[M1]], %[[L1]]
// CHECK:         return %[[R]]#0, %[[R]]#1, %[[R]]#2
func.func @online_attention_keys(%q: tensor<16x8xf32>, %k: tensor<100x8xf32>, %v: tensor<100x4xf32>, %acc: tensor<16x4xf32>, %m: tensor<16xf32>, %l: tensor<16xf32>) -> (tensor<16x4xf32>, tensor<16xf32>, tensor<16xf32>) {
  %r:3 = attn.online_attention %q, %k, %v causal into %acc, %m, %l : tensor<16x8xf32>, tensor<100x8xf32>, tensor<100x4xf32> -> tensor<16x4xf32>, tensor<16xf32>, tensor<16xf32>
  return %r#0, %r#1, %r#2 : tensor<16x4xf32>, tensor<16xf32>, tensor<16xf32>
}
module attributes {transform.with_named_sequence} {
  transform.named_sequence @__transform_main(%root: !transform.any_op {transform.readonly}) {
    %s = transform.structured.match ops{["attn.online_attention"]} in %root : (!transform.any_op) -> !transform.any_op
    %t, %l:2 = transform.structured.tile_using_for %s tile_sizes [8, 32] : (!transform.any_op) -> (!transform.any_op, !transform.any_op, !transform.any_op)
    transform.yield
  }
}
