// RUN: attn-opt %s --convert-attn-to-linalg="block-q=32 block-kv=32" --canonicalize --cse --split-input-file | FileCheck %s

// Causal attention whose diagonal runs through the corners of the 32 x 32
// blocks (N - M = 0): the one block on the diagonal is done in halves, and
// its last 16 keys only for the last 16 rows of the query block.

// CHECK-LABEL: func.func @diagonal_halves(
// The query block's qᵀ, hoisted out of the key loops.
// CHECK:       %[[QBLOCK:.*]] = tensor.extract_slice %{{.*}}[%{{.*}}, 0, %{{.*}}, 0] [1, 1, 32, 16] [1, 1, 1, 1] : tensor<1x1x64x16xf32> to tensor<1x1x32x16xf32>
// CHECK:       %[[Q:.*]] = tensor.extract_slice %[[QBLOCK]][0, 0, 0, 0] [1, 1, 32, 16] [1, 1, 1, 1] : tensor<1x1x32x16xf32> to tensor<32x16xf32>
// CHECK:       %[[QT:.*]] = linalg.generic {{.*}} ins(%[[Q]] : tensor<32x16xf32>) outs(%{{.*}} : tensor<16x32xf32>)
// Below the diagonal: whole blocks, no causal mask.
// CHECK:       %[[FULL:.*]]:3 = scf.for %{{.*}} = %{{.*}} to %[[FULLEND:.*]] step %[[C32:.*]] iter_args
// CHECK:         linalg.generic {{.*}} ins(%{{.*}}, %[[QT]] : tensor<32x16xf32>, tensor<16x32xf32>) outs(%{{.*}} : tensor<32x32xf32>)
// CHECK-NOT:     arith.cmpi sgt
// CHECK:         scf.yield
// The last 16 rows' qᵀ, for the diagonal's second half.
// CHECK:       %[[QROWS:.*]] = tensor.extract_slice %[[QBLOCK]][0, 0, 16, 0] [1, 1, 16, 16] [1, 1, 1, 1] : tensor<1x1x32x16xf32> to tensor<1x1x16x16xf32>
// CHECK:       %[[Q2:.*]] = tensor.extract_slice %[[QROWS]][0, 0, 0, 0] [1, 1, 16, 16] [1, 1, 1, 1] : tensor<1x1x16x16xf32> to tensor<16x16xf32>
// CHECK:       %[[QT2:.*]] = linalg.generic {{.*}} ins(%[[Q2]] : tensor<16x16xf32>) outs(%{{.*}} : tensor<16x16xf32>)
// On the diagonal: the first 16 keys, every row, the state updated in place.
// CHECK:       scf.for %[[KB:.*]] = %[[FULLEND]] to %{{.*}} step %[[C32]] iter_args(%[[ACC:.*]] = %[[FULL]]#0, %[[MAX:.*]] = %[[FULL]]#1, %[[SUM:.*]] = %[[FULL]]#2)
// CHECK:         linalg.generic {{.*}} ins(%{{.*}}, %[[QT]] : tensor<16x16xf32>, tensor<16x32xf32>) outs(%{{.*}} : tensor<16x32xf32>)
// CHECK:           arith.cmpi sgt
// CHECK:         %[[ACC1:.*]] = tensor.insert_slice %{{.*}} into %[[ACC]][0, 0, 0, 0] [1, 1, 32, 8] [1, 1, 1, 1] : tensor<32x8xf32> into tensor<1x1x32x8xf32>
// CHECK:         %[[MAX1:.*]] = tensor.insert_slice %{{.*}} into %[[MAX]][0, 0, 0] [1, 1, 32] [1, 1, 1] : tensor<32xf32> into tensor<1x1x32xf32>
// CHECK:         %[[SUM1:.*]] = tensor.insert_slice %{{.*}} into %[[SUM]][0, 0, 0] [1, 1, 32] [1, 1, 1] : tensor<32xf32> into tensor<1x1x32xf32>
// The last 16 keys, the last 16 rows: their share of the state.
// CHECK:         %[[KB2:.*]] = arith.addi %[[KB]], %{{.*}} : index
// CHECK:         %[[K2:.*]] = tensor.extract_slice %{{.*}}[0, 0, %[[KB2]], 0] [1, 1, 16, 16] [1, 1, 1, 1] : tensor<1x1x64x16xf32> to tensor<1x1x16x16xf32>
// CHECK-DAG:     %[[ACC2:.*]] = tensor.extract_slice %[[ACC1]][0, 0, 16, 0] [1, 1, 16, 8] [1, 1, 1, 1]
// CHECK-DAG:     %[[MAX2:.*]] = tensor.extract_slice %[[MAX1]][0, 0, 16] [1, 1, 16] [1, 1, 1]
// CHECK-DAG:     %[[SUM2:.*]] = tensor.extract_slice %[[SUM1]][0, 0, 16] [1, 1, 16] [1, 1, 1]
// CHECK:         %[[K2D:.*]] = tensor.extract_slice %[[K2]][0, 0, 0, 0] [1, 1, 16, 16] [1, 1, 1, 1] : tensor<1x1x16x16xf32> to tensor<16x16xf32>
// CHECK:         linalg.generic {{.*}} ins(%[[K2D]], %[[QT2]] : tensor<16x16xf32>, tensor<16x16xf32>) outs(%{{.*}} : tensor<16x16xf32>)
// CHECK:           arith.cmpi sgt
// CHECK:         %[[ACC3:.*]] = tensor.insert_slice %{{.*}} into %[[ACC2]]
// CHECK:         %[[MAX3:.*]] = tensor.insert_slice %{{.*}} into %[[MAX2]]
// CHECK:         %[[SUM3:.*]] = tensor.insert_slice %{{.*}} into %[[SUM2]]
// CHECK:         %[[AOUT:.*]] = tensor.insert_slice %[[ACC3]] into %[[ACC1]][0, 0, 16, 0] [1, 1, 16, 8] [1, 1, 1, 1]
// CHECK:         %[[MOUT:.*]] = tensor.insert_slice %[[MAX3]] into %[[MAX1]][0, 0, 16] [1, 1, 16] [1, 1, 1]
// CHECK:         %[[LOUT:.*]] = tensor.insert_slice %[[SUM3]] into %[[SUM1]][0, 0, 16] [1, 1, 16] [1, 1, 1]
// CHECK:         scf.yield %[[AOUT]], %[[MOUT]], %[[LOUT]]
func.func @diagonal_halves(%q: tensor<64x16xf32>, %k: tensor<64x16xf32>, %v: tensor<64x8xf32>) -> tensor<64x8xf32> {
  %o = attn.attention %q, %k, %v causal : tensor<64x16xf32>, tensor<64x16xf32>, tensor<64x8xf32>
  return %o : tensor<64x8xf32>
}

// -----

// N - M = 16 is not a multiple of the block: the diagonal crosses up to two
// key blocks of a query block, each done whole under the causal mask.

// CHECK-LABEL: func.func @diagonal_off_corner(
// CHECK:       scf.for
// CHECK:       scf.for
// CHECK:       scf.for %[[KB:.*]] = %{{.*}} to %{{.*}} step %{{.*}} iter_args
// CHECK:         linalg.generic {{.*}} ins(%{{.*}}, %{{.*}} : tensor<32x16xf32>, tensor<16x32xf32>) outs(%{{.*}} : tensor<32x32xf32>)
// CHECK:           arith.cmpi sgt
// CHECK-NOT:     tensor.extract_slice {{.*}} to tensor<16xf32>
// CHECK:         scf.yield
func.func @diagonal_off_corner(%q: tensor<64x16xf32>, %k: tensor<80x16xf32>, %v: tensor<80x8xf32>) -> tensor<64x8xf32> {
  %o = attn.attention %q, %k, %v causal : tensor<64x16xf32>, tensor<80x16xf32>, tensor<80x8xf32>
  return %o : tensor<64x8xf32>
}
