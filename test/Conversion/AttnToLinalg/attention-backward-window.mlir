// RUN: attn-opt %s --convert-attn-to-linalg --canonicalize | FileCheck %s
// RUN: attn-opt %s --convert-attn-to-linalg="parallel-query-blocks=true" --canonicalize | FileCheck %s --check-prefix=THREADS

// The flash backward of a causal sliding window [64, 0] visits only the
// blocks that some row's window reaches. Key block kb is seen by rows
// kb .. kb + 63 + 64: the keys pass runs its query blocks from kb's to the
// one of row kb + 127 (exclusive end rounded up to a block), not to M.
// CHECK-DAG: #[[FIRST:.+]] = affine_map<()[s0] -> ((s0 floordiv 64) * 64, 0)>
// CHECK-DAG: #[[END:.+]] = affine_map<()[s0] -> (((s0 + 127) floordiv 64) * 64 + 64, 256)>
// CHECK-LABEL: func.func @window_backward
//       CHECK:   scf.for %{{.+}} = %{{.+}} to %{{.+}} step %{{.+}} iter_args
//       CHECK:     %[[KB:.+]] = arith.muli
//       CHECK:     %[[LO:.+]] = affine.max #[[FIRST]]()[%[[KB]]]
//       CHECK:     %[[HI:.+]] = affine.min #[[END]]()[%[[KB]]]
//       CHECK:     scf.for %{{.+}} = %[[LO]] to %[[HI]] step

// With threads, the queries pass (dQ) runs each query block's key loop from
// the block of key qb - 64 (its first row's leftmost) to its diagonal.
// THREADS-DAG: #[[START:.+]] = affine_map<()[s0] -> ((s0 floordiv 64) * 64 - 64, 0)>
// THREADS-LABEL: func.func @window_backward
//       THREADS:   scf.forall
//       THREADS:   scf.forall
//       THREADS:     %[[QB:.+]] = arith.muli
//       THREADS:     %[[LO:.+]] = affine.max #[[START]]()[%[[QB]]]
//       THREADS:     scf.for %{{.+}} = %[[LO]] to %{{.+}} step
func.func @window_backward(%do: tensor<1x1x256x16xf32>, %q: tensor<1x1x256x16xf32>, %o: tensor<1x1x256x16xf32>, %lse: tensor<1x1x256xf32>) -> (tensor<1x1x256x16xf32>, tensor<1x1x256x16xf32>, tensor<1x1x256x16xf32>) {
  %dq, %dk, %dv = attn.attention_backward %do, %q, %q, %q, %o, %lse causal window = [64, 0] : tensor<1x1x256x16xf32>, tensor<1x1x256x16xf32>, tensor<1x1x256x16xf32>, tensor<1x1x256x16xf32>, tensor<1x1x256x16xf32>, tensor<1x1x256xf32>
  return %dq, %dk, %dv : tensor<1x1x256x16xf32>, tensor<1x1x256x16xf32>, tensor<1x1x256x16xf32>
}
