// RUN: attn-opt %s --convert-attn-to-linalg --canonicalize --split-input-file | FileCheck %s
// RUN: attn-opt %s --convert-attn-to-linalg="parallel-query-blocks=true" --canonicalize --split-input-file | FileCheck %s --check-prefix=THREADS

// A block mask (FlexAttention's BlockMask: kinds 0 empty, 1 partial, 2
// full, per block of 64 x 64) makes every flash block an scf.if on its
// block's kind: an empty block is never computed, in the forward and in
// both passes of the backward.

// CHECK-LABEL: func.func @forward
//  CHECK-SAME:   %[[KINDS:[a-zA-Z0-9_]+]]: tensor<1x1x2x2xi8>
//       CHECK:   scf.for
//       CHECK:     scf.for
//       CHECK:       %[[KIND:.+]] = tensor.extract %[[KINDS]]
//       CHECK:       scf.if
func.func @forward(%q: tensor<1x1x128x16xf32>, %kinds: tensor<1x1x2x2xi8>) -> tensor<1x1x128x16xf32> {
  %o = attn.attention %q, %q, %q block_mask %kinds sizes = [64, 64] : tensor<1x1x128x16xf32>, tensor<1x1x128x16xf32>, tensor<1x1x128x16xf32> block_mask tensor<1x1x2x2xi8>
  return %o : tensor<1x1x128x16xf32>
}

// -----

// The keys pass: per key block, per query block, the block's products under
// `kind != 0`; else dK, dV and dQ pass through unchanged.
// CHECK-LABEL: func.func @backward
//  CHECK-SAME:   %[[KINDS:[a-zA-Z0-9_]+]]: tensor<1x1x2x2xi8>
//       CHECK:   scf.for {{.+}} iter_args(%[[DK:[a-zA-Z0-9_]+]] = {{.+}}, %[[DV:[a-zA-Z0-9_]+]] = {{.+}}, %[[DQ:[a-zA-Z0-9_]+]] = {{.+}}) -> (tensor<64x16xf32>, tensor<64x16xf32>, tensor<1x1x128x16xf32>)
//       CHECK:     %[[KIND:.+]] = tensor.extract %[[KINDS]]
//       CHECK:     %[[SEEN:.+]] = arith.cmpi ne, %[[KIND]], %{{.+}} : i8
//       CHECK:     %[[R:.+]]:3 = scf.if %[[SEEN]]
//       CHECK:       linalg.generic
//       CHECK:     } else {
//       CHECK:       scf.yield %[[DK]], %[[DV]], %[[DQ]]
//       CHECK:     scf.yield %[[R]]#0, %[[R]]#1, %[[R]]#2

// With threads, the queries pass too (dQ).
// THREADS-LABEL: func.func @backward
//       THREADS:   scf.forall
//       THREADS:     scf.if
//       THREADS:   scf.forall
//       THREADS:     scf.for {{.+}} iter_args(%[[DQ:[a-zA-Z0-9_]+]] =
//       THREADS:       %[[R:.+]] = scf.if
//       THREADS:       } else {
//       THREADS:         scf.yield %[[DQ]]
func.func @backward(%do: tensor<1x1x128x16xf32>, %q: tensor<1x1x128x16xf32>, %lse: tensor<1x1x128xf32>, %kinds: tensor<1x1x2x2xi8>) -> (tensor<1x1x128x16xf32>, tensor<1x1x128x16xf32>, tensor<1x1x128x16xf32>) {
  %dq, %dk, %dv = attn.attention_backward %do, %q, %q, %q, %q, %lse block_mask %kinds sizes = [64, 64] : tensor<1x1x128x16xf32>, tensor<1x1x128x16xf32>, tensor<1x1x128x16xf32>, tensor<1x1x128x16xf32>, tensor<1x1x128x16xf32>, tensor<1x1x128xf32> block_mask tensor<1x1x2x2xi8>
  return %dq, %dk, %dv : tensor<1x1x128x16xf32>, tensor<1x1x128x16xf32>, tensor<1x1x128x16xf32>
}
