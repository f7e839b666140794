// RUN: attn-opt %s --convert-attn-to-linalg="block-q=32 block-kv=64" --canonicalize --cse --split-input-file | FileCheck %s --check-prefix=FLASH
// RUN: attn-opt %s --convert-attn-to-linalg="attention=decomposed" --canonicalize --cse --split-input-file | FileCheck %s --check-prefix=DECOMP
// RUN: attn-opt %s --convert-attn-to-linalg="block-q=32 block-kv=64" --canonicalize --split-input-file \
// RUN:   --one-shot-bufferize="bufferize-function-boundaries function-boundary-type-conversion=identity-layout-map" \
// RUN:   | FileCheck %s --check-prefix=BUF

// Grouped-query causal attention: 4 query heads over 2 key/value heads,
// M = 128 queries, N = 256 keys.

// FLASH-DAG: #[[$Q:.+]] = affine_map<(d0, d1, d2, d3, d4) -> (d0, d1, d2, d4)>
// FLASH-DAG: #[[$K:.+]] = affine_map<(d0, d1, d2, d3, d4) -> (d0, d1 floordiv 2, d3, d4)>
// FLASH-DAG: #[[$V:.+]] = affine_map<(d0, d1, d2, d3, d4) -> (d0, d1 floordiv 2, d4, d3)>
// FLASH-LABEL: func.func @gqa_causal(
// FLASH-SAME:    %[[Q:[a-zA-Z0-9_]+]]: tensor<1x4x128x16xf32>, %[[K:[a-zA-Z0-9_]+]]: tensor<1x2x256x16xf32>, %[[V:[a-zA-Z0-9_]+]]: tensor<1x2x256x8xf32>)
// The M x N scores never exist: no tensor<...x128x256x...> anywhere.
// FLASH-NOT:     128x256
// FLASH-DAG:     %[[C32:.*]] = arith.constant 32 : index
// FLASH-DAG:     %[[C64:.*]] = arith.constant 64 : index
// FLASH-DAG:     %[[C128:.*]] = arith.constant 128 : index
// FLASH-DAG:     %[[C256:.*]] = arith.constant 256 : index
// FLASH-DAG:     %[[SCALE:.*]] = arith.constant 2.500000e-01 : f32
// Outer loop: blocks of 32 query rows, carrying the output.
// FLASH:         %[[OUT:.*]] = scf.for %[[QB:[a-zA-Z0-9_]+]] = %{{.*}} to %[[C128]] step %[[C32]] iter_args(%[[ACCOUT:.*]] = %{{.*}}) -> (tensor<1x4x128x8xf32>) {
// FLASH:           %[[MQ:.*]] = arith.minsi %{{.*}}, %[[C32]] : index
// FLASH:           %[[QBLK:.*]] = tensor.extract_slice %[[Q]][0, 0, %[[QB]], 0] [1, 4, %[[MQ]], 16] [1, 1, 1, 1]
// Causal: keys past qb + mq + (N - M) are never visited.
// FLASH:           %[[END:.*]] = arith.addi %[[QB]], %[[MQ]] : index
// FLASH:           %[[SEEN:.*]] = arith.addi %[[END]], %[[C128]] : index
// FLASH:           %[[POS:.*]] = arith.maxsi %[[SEEN]], %{{.*}} : index
// FLASH:           %[[KVEND:.*]] = arith.minsi %[[POS]], %[[C256]] : index
// Inner loop: blocks of 64 keys, carrying the running max, sum and output.
// FLASH:           %[[STATE:.*]]:3 = scf.for %[[KB:[a-zA-Z0-9_]+]] = %{{.*}} to %[[KVEND]] step %[[C64]] iter_args(%[[M:.*]] = %{{.*}}, %[[L:.*]] = %{{.*}}, %[[ACC:.*]] = %{{.*}}) -> (tensor<1x4x?xf32>, tensor<1x4x?xf32>, tensor<1x4x?x8xf32>) {
// FLASH:             %[[KBLK:.*]] = tensor.extract_slice %[[K]][0, 0, %[[KB]], 0] [1, 2, %{{.*}}, 16]
// FLASH:             %[[VBLK:.*]] = tensor.extract_slice %[[V]][0, 0, %[[KB]], 0] [1, 2, %{{.*}}, 8]
// S = q kᵀ over d, heads grouped by floordiv.
// FLASH:             %[[QK:.*]] = linalg.generic {indexing_maps = [#[[$Q]], #[[$K]], #{{.*}}], iterator_types = ["parallel", "parallel", "parallel", "parallel", "reduction"]} ins(%[[QBLK]], %[[KBLK]] : tensor<1x4x?x16xf32>, tensor<1x2x?x16xf32>) outs(%{{.*}} : tensor<1x4x?x?xf32>)
// FLASH:             %[[S:.*]] = linalg.generic {{.*}} ins(%[[QK]] : tensor<1x4x?x?xf32>)
// FLASH:               arith.mulf %{{.*}}, %[[SCALE]]
// FLASH:               arith.cmpi sgt
// FLASH:               arith.select
// FLASH:             %[[ROWMAX:.*]] = linalg.generic {{.*}} iterator_types = ["parallel", "parallel", "parallel", "reduction"]} ins(%[[S]] : tensor<1x4x?x?xf32>)
// FLASH:               arith.maximumf
// a = m == -inf ? 0 : exp(m - max(m, rowmax))
// FLASH:             %[[RESCALE:.*]] = linalg.generic {{.*}} ins(%[[M]], %[[ROWMAX]] : tensor<1x4x?xf32>, tensor<1x4x?xf32>)
// FLASH:               arith.maximumf
// FLASH:               arith.subf
// FLASH:               math.exp
// FLASH:               arith.cmpf oeq
// FLASH:               arith.select
// m' = max(m, rowmax), in place of m
// FLASH:             %[[MNEW:.*]] = linalg.generic {{.*}} ins(%[[ROWMAX]] : tensor<1x4x?xf32>) outs(%[[M]] : tensor<1x4x?xf32>)
// P = exp(S - shift(m'))
// FLASH:             %[[P:.*]] = linalg.generic {{.*}} ins(%[[S]], %[[MNEW]] : tensor<1x4x?x?xf32>, tensor<1x4x?xf32>)
// FLASH:               math.exp
// l' = l * a + rowsum(P)
// FLASH:             %[[LS:.*]] = linalg.generic {{.*}} ins(%[[RESCALE]] : tensor<1x4x?xf32>) outs(%[[L]] : tensor<1x4x?xf32>)
// FLASH:             %[[LNEW:.*]] = linalg.generic {{.*}} iterator_types = ["parallel", "parallel", "parallel", "reduction"]} ins(%[[P]] : tensor<1x4x?x?xf32>) outs(%[[LS]] : tensor<1x4x?xf32>)
// acc' = acc * a + P v
// FLASH:             %[[AS:.*]] = linalg.generic {{.*}} ins(%[[RESCALE]] : tensor<1x4x?xf32>) outs(%[[ACC]] : tensor<1x4x?x8xf32>)
// FLASH:             %[[ACCNEW:.*]] = linalg.generic {indexing_maps = [#[[$Q]], #[[$V]], #{{.*}}], iterator_types = ["parallel", "parallel", "parallel", "parallel", "reduction"]} ins(%[[P]], %[[VBLK]] : tensor<1x4x?x?xf32>, tensor<1x2x?x8xf32>) outs(%[[AS]] : tensor<1x4x?x8xf32>)
// FLASH:             scf.yield %[[MNEW]], %[[LNEW]], %[[ACCNEW]]
// Normalize once: out = l == 0 ? 0 : acc / l.
// FLASH:           %[[NORM:.*]] = linalg.generic {{.*}} ins(%[[STATE]]#2, %[[STATE]]#1 : tensor<1x4x?x8xf32>, tensor<1x4x?xf32>)
// FLASH:             arith.divf
// FLASH:             arith.select
// FLASH:           %[[INS:.*]] = tensor.insert_slice %[[NORM]] into %[[ACCOUT]][0, 0, %[[QB]], 0] [1, 4, %[[MQ]], 8]
// FLASH:           scf.yield %[[INS]]
// FLASH:         return %[[OUT]]

// The decomposed form holds all [M, N] scores and reuses attn.softmax's
// lowering (online max and sum, then the normalization).
// DECOMP-LABEL: func.func @gqa_causal(
// DECOMP-NOT:     scf.for
// DECOMP:         %[[QK:.*]] = linalg.generic {{.*}} iterator_types = ["parallel", "parallel", "parallel", "parallel", "reduction"]} ins(%{{.*}}, %{{.*}} : tensor<1x4x128x16xf32>, tensor<1x2x256x16xf32>) outs(%{{.*}} : tensor<1x4x128x256xf32>)
// DECOMP:         %[[S:.*]] = linalg.generic {{.*}} ins(%[[QK]] : tensor<1x4x128x256xf32>)
// DECOMP:         linalg.index 2
// DECOMP:         linalg.index 3
// DECOMP:         linalg.reduce ins(%{{.*}} : tensor<1x4x128x256xf32>) outs(%{{.*}} : tensor<1x4x128xf32>) dimensions = [3]
// DECOMP:           arith.maximumf
// DECOMP:         %[[P:.*]] = linalg.mul
// DECOMP:         linalg.generic {{.*}} iterator_types = ["parallel", "parallel", "parallel", "parallel", "reduction"]} ins(%[[P]], %{{.*}} : tensor<1x4x128x256xf32>, tensor<1x2x256x8xf32>) outs(%{{.*}} : tensor<1x4x128x8xf32>)
// After bufferization, the only score buffers are blocks (at most 32 x 64).
// BUF-LABEL: func.func @gqa_causal(
// BUF-NOT:     128x256
// BUF:         scf.for
// BUF:           scf.for
// BUF:             memref.alloc(%{{.*}}, %{{.*}}) {{.*}} : memref<1x4x?x?xf32>
// BUF-NOT:     128x256
// BUF:         return
func.func @gqa_causal(%q: tensor<1x4x128x16xf32>, %k: tensor<1x2x256x16xf32>, %v: tensor<1x2x256x8xf32>) -> tensor<1x4x128x8xf32> {
  %r = attn.attention %q, %k, %v causal : tensor<1x4x128x16xf32>, tensor<1x2x256x16xf32>, tensor<1x2x256x8xf32>
  return %r : tensor<1x4x128x8xf32>
}

// -----

// Rank 2 with a mask: expanded to [1, 1, M, D]; the [M, N] mask is sliced
// per block; no causal bound on the key loop.
// FLASH-LABEL: func.func @rank2_mask(
// FLASH-SAME:    %[[Q:[a-zA-Z0-9_]+]]: tensor<100x32xf32>, %{{.*}}: tensor<300x32xf32>, %{{.*}}: tensor<300x32xf32>, %[[MASK:[a-zA-Z0-9_]+]]: tensor<100x300xf32>)
// FLASH-NOT:     1x1x100x300
// FLASH:         %[[Q4:.*]] = tensor.expand_shape %[[Q]] {{\[}}[0, 1, 2], [3]] output_shape [1, 1, 100, 32]
// FLASH:         %[[M4:.*]] = tensor.expand_shape %[[MASK]] {{\[}}[0, 1, 2], [3]] output_shape [1, 1, 100, 300]
// FLASH:         scf.for %[[QB:[a-zA-Z0-9_]+]] =
// FLASH:           scf.for %[[KB:[a-zA-Z0-9_]+]] = %{{.*}} to %{{.*}} step
// FLASH:             tensor.extract_slice %[[M4]][0, 0, %[[QB]], %[[KB]]]
// FLASH:         tensor.collapse_shape %{{.*}} {{\[}}[0, 1, 2], [3]] : tensor<1x1x100x32xf32> into tensor<100x32xf32>
func.func @rank2_mask(%q: tensor<100x32xf32>, %k: tensor<300x32xf32>, %v: tensor<300x32xf32>, %m: tensor<100x300xf32>) -> tensor<100x32xf32> {
  %r = attn.attention %q, %k, %v mask %m : tensor<100x32xf32>, tensor<300x32xf32>, tensor<300x32xf32>, tensor<100x300xf32>
  return %r : tensor<100x32xf32>
}

// -----

// For threads, the query blocks are an scf.forall over block numbers, taken
// alternately from the start and the end (equal causal work per half).
// RUN: attn-opt %s --convert-attn-to-linalg="block-q=32 parallel-query-blocks" --split-input-file | FileCheck %s --check-prefix=PARALLEL
// PARALLEL-LABEL: func.func @parallel_blocks(
// PARALLEL:         %[[NB:.*]] = arith.ceildivsi %{{.*}}, %{{.*}} : index
// PARALLEL:         scf.forall (%[[T:[a-zA-Z0-9_]+]]) in (%[[NB]]) shared_outs(%[[OUT:[a-zA-Z0-9_]+]] = %{{.*}}) -> (tensor<1x4x128x8xf32>)
// PARALLEL:           %[[HALF:.*]] = arith.divui %[[T]], %{{.*}} : index
// PARALLEL:           arith.remui %[[T]]
// PARALLEL:           %[[BLOCK:.*]] = arith.select %{{.*}}, %{{.*}}, %[[HALF]] : index
// PARALLEL:           %[[QB:.*]] = arith.muli %[[BLOCK]], %{{.*}} : index
// PARALLEL:           scf.for
// PARALLEL:           scf.forall.in_parallel
// PARALLEL-NEXT:        tensor.parallel_insert_slice %{{.*}} into %[[OUT]][0, 0, %[[QB]], 0]
func.func @parallel_blocks(%q: tensor<1x4x128x16xf32>, %k: tensor<1x2x256x16xf32>, %v: tensor<1x2x256x8xf32>) -> tensor<1x4x128x8xf32> {
  %r = attn.attention %q, %k, %v causal : tensor<1x4x128x16xf32>, tensor<1x2x256x16xf32>, tensor<1x2x256x8xf32>
  return %r : tensor<1x4x128x8xf32>
}
