// RUN: attn-opt %s --convert-attn-to-linalg="block-q=32 block-kv=32" --canonicalize --cse --split-input-file | FileCheck %s

// Causal attention whose diagonal runs through the corners of the 32 x 32
// blocks (N - M = 0): the one block on the diagonal is done in halves, and
// its last 16 keys only for the last 16 rows of the query block.

// CHECK-LABEL: func.func @diagonal_halves(
// CHECK:       %[[QT:.*]] = linalg.generic {{.*}} ins(%{{.*}} : tensor<32x16xf32>) outs(%{{.*}} : tensor<16x32xf32>)
// Below the diagonal: whole blocks, no causal mask.
// CHECK:       scf.for %{{.*}} = %[[ZERO:.*]] to %[[FULL:.*]] step %[[C32:.*]] iter_args
// CHECK:         linalg.generic {{.*}} ins(%{{.*}}, %[[QT]] : tensor<32x16xf32>, tensor<16x32xf32>) outs(%{{.*}} : tensor<32x32xf32>)
// CHECK-NOT:     arith.cmpi sgt
// CHECK:         scf.yield
// On the diagonal: the first 16 keys, every row.
// CHECK:       scf.for %[[KB:.*]] = %[[FULL]] to %{{.*}} step %[[C32]] iter_args(%[[M:.*]] = %{{.*}}, %[[L:.*]] = %{{.*}}, %[[ACC:.*]] = %{{.*}})
// CHECK:         linalg.generic {{.*}} ins(%{{.*}}, %[[QT]] : tensor<16x16xf32>, tensor<16x32xf32>) outs(%{{.*}} : tensor<16x32xf32>)
// CHECK:           arith.cmpi sgt
// CHECK:         %[[M1:.*]] = linalg.generic {{.*}} outs(%[[M]] : tensor<32xf32>)
// CHECK:         %[[PL1:[a-zA-Z0-9_]+]]:2 = linalg.generic {{.*}} ins(%{{.*}}, %[[M1]] : tensor<16x32xf32>, tensor<32xf32>)
// CHECK:         %[[ACC1:.*]] = linalg.generic {{.*}} ins(%[[PL1]]#0, %{{.*}} : tensor<16x32xf32>, tensor<16x8xf32>) outs(%{{.*}} : tensor<32x8xf32>)
// The last 16 keys, the last 16 rows: their share of the state and of qᵀ.
// CHECK:         %[[KB2:.*]] = arith.addi %[[KB]], %{{.*}} : index
// CHECK-DAG:     %[[M2:.*]] = tensor.extract_slice %[[M1]][16] [16] [1] : tensor<32xf32> to tensor<16xf32>
// CHECK-DAG:     %[[L2:.*]] = tensor.extract_slice %[[PL1]]#1[16] [16] [1] : tensor<32xf32> to tensor<16xf32>
// CHECK-DAG:     %[[ACC2:.*]] = tensor.extract_slice %[[ACC1]][16, 0] [16, 8] [1, 1] : tensor<32x8xf32> to tensor<16x8xf32>
// CHECK-DAG:     %[[QT2:.*]] = tensor.extract_slice %[[QT]][0, 16] [16, 16] [1, 1] : tensor<16x32xf32> to tensor<16x16xf32>
// CHECK-DAG:     %[[K2:.*]] = tensor.extract_slice %{{.*}}[%{{.*}}, 0, %[[KB2]], 0] [1, 1, 16, 16] [1, 1, 1, 1] : tensor<1x1x64x16xf32> to tensor<16x16xf32>
// CHECK:         linalg.generic {{.*}} ins(%[[K2]], %[[QT2]] : tensor<16x16xf32>, tensor<16x16xf32>) outs(%{{.*}} : tensor<16x16xf32>)
// CHECK:           arith.cmpi sgt
// CHECK:         %[[M3:.*]] = linalg.generic {{.*}} outs(%[[M2]] : tensor<16xf32>)
// CHECK:         %[[SCALED:.*]] = linalg.generic {{.*}} outs(%[[ACC2]] : tensor<16x8xf32>)
// CHECK:         %[[ACC3:.*]] = linalg.generic {{.*}} ins(%{{.*}}, %{{.*}} : tensor<16x16xf32>, tensor<16x8xf32>) outs(%[[SCALED]] : tensor<16x8xf32>)
// CHECK:         %[[MOUT:.*]] = tensor.insert_slice %[[M3]] into %[[M1]][16] [16] [1] : tensor<16xf32> into tensor<32xf32>
// CHECK:         %[[LOUT:.*]] = tensor.insert_slice %{{.*}} into %[[PL1]]#1[16] [16] [1] : tensor<16xf32> into tensor<32xf32>
// CHECK:         %[[AOUT:.*]] = tensor.insert_slice %[[ACC3]] into %[[ACC1]][16, 0] [16, 8] [1, 1] : tensor<16x8xf32> into tensor<32x8xf32>
// CHECK:         scf.yield %[[MOUT]], %[[LOUT]], %[[AOUT]]
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
