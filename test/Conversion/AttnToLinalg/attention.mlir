// RUN: attn-opt %s --convert-attn-to-linalg="block-q=32 block-kv=64" --canonicalize --cse --split-input-file | FileCheck %s --check-prefix=FLASH
// RUN: attn-opt %s --convert-attn-to-linalg="attention=decomposed" --canonicalize --cse --split-input-file | FileCheck %s --check-prefix=DECOMP
// RUN: attn-opt %s --convert-attn-to-linalg="block-q=32 block-kv=64" --canonicalize --split-input-file \
// RUN:   --one-shot-bufferize="bufferize-function-boundaries function-boundary-type-conversion=identity-layout-map" \
// RUN:   | FileCheck %s --check-prefix=BUF

// Grouped-query causal attention: 4 query heads over 2 key/value heads,
// M = 128 queries, N = 256 keys.

// FLASH-DAG: #[[$LHS:.+]] = affine_map<(d0, d1, d2) -> (d0, d2)>
// FLASH-DAG: #[[$LHST:.+]] = affine_map<(d0, d1, d2) -> (d2, d0)>
// FLASH-DAG: #[[$RHS:.+]] = affine_map<(d0, d1, d2) -> (d2, d1)>
// FLASH-DAG: #[[$OUT:.+]] = affine_map<(d0, d1, d2) -> (d0, d1)>
// FLASH-DAG: #[[$ID2:.+]] = affine_map<(d0, d1) -> (d0, d1)>
// FLASH-DAG: #[[$T2:.+]] = affine_map<(d0, d1) -> (d1, d0)>
// FLASH-DAG: #[[$COL:.+]] = affine_map<(d0, d1) -> (d1)>
// FLASH-DAG: #[[$ROW:.+]] = affine_map<(d0, d1) -> (d0)>
// FLASH-DAG: #[[$GROUP:.+]] = affine_map<()[s0] -> (s0 floordiv 2)>
// FLASH-DAG: #[[$DIAG:.+]] = affine_map<()[s0, s1] -> (-s0 + s1 + 128)>
// FLASH-DAG: #[[$LASTROW:.+]] = affine_map<()[s0] -> (127, s0 + 31)>
// FLASH-DAG: #[[$SEEN:.+]] = affine_map<()[s0] -> (0, s0 + 129)>
// FLASH-DAG: #[[$KVEND:.+]] = affine_map<()[s0] -> (256, s0)>
// FLASH-DAG: #[[$FIRST:.+]] = affine_map<()[s0] -> (((s0 + 129) floordiv 64) * 64, 0)>
// FLASH-DAG: #[[$FULLEND:.+]] = affine_map<()[s0, s1] -> (256, s1, s0)>
// FLASH-LABEL: func.func @gqa_causal(
// FLASH-SAME:    %[[Q:[a-zA-Z0-9_]+]]: tensor<1x4x128x16xf32>, %[[K:[a-zA-Z0-9_]+]]: tensor<1x2x256x16xf32>, %[[V:[a-zA-Z0-9_]+]]: tensor<1x2x256x8xf32>)
// The M x N scores never exist: no tensor<...x128x256x...> anywhere. N and M
// are whole blocks: nothing is padded, nothing is copied whole. No attn op
// is left: the online attention was tiled and decomposed.
// FLASH-NOT:     128x256
// FLASH-NOT:     linalg.transpose
// FLASH-NOT:     attn.
// FLASH-DAG:     %[[C4:.*]] = arith.constant 4 : index
// FLASH-DAG:     %[[C16:.*]] = arith.constant 16 : index
// FLASH-DAG:     %[[C32:.*]] = arith.constant 32 : index
// FLASH-DAG:     %[[C64:.*]] = arith.constant 64 : index
// FLASH-DAG:     %[[SCALE:.*]] = arith.constant 2.500000e-01 : f32
// FLASH-DAG:     %[[LOG2E:.*]] = arith.constant 1.44269502 : f32
// FLASH-DAG:     %[[ZERO:.*]] = arith.constant 0.000000e+00 : f32
// FLASH-DAG:     %[[NEGINF:.*]] = arith.constant 0xFF800000 : f32
// One loop over the 16 query blocks of all heads (4 heads x 4 blocks of 32
// rows), carrying the output.
// FLASH:         %[[OUT:.*]] = scf.for %[[T:[a-zA-Z0-9_]+]] = %{{.*}} to %[[C16]] step %{{.*}} iter_args(%[[ACCOUT:.*]] = %{{.*}}) -> (tensor<1x4x128x8xf32>) {
// FLASH:           %[[HEAD:.*]] = arith.divui %[[T]], %[[C4]] : index
// FLASH:           %[[R:.*]] = arith.remui %[[T]], %[[C4]] : index
// FLASH:           %[[BLOCK:.*]] = arith.select %{{.*}}, %{{.*}}, %{{.*}} : index
// FLASH:           %[[QB:.*]] = arith.muli %[[BLOCK]], %[[C32]] : index
// FLASH:           %[[H:.*]] = arith.remui %[[HEAD]], %[[C4]] : index
// The tile of the online attention's rows: the query block of head h, its
// key/value head h floordiv 2 (grouped-query attention), all its keys.
// FLASH:           %[[QBLK:.*]] = tensor.extract_slice %[[Q]][%{{.*}}, %[[H]], %[[QB]], 0] [1, 1, 32, 16] [1, 1, 1, 1] : tensor<1x4x128x16xf32> to tensor<1x1x32x16xf32>
// FLASH:           %[[HKV:.*]] = affine.apply #[[$GROUP]]()[%[[H]]]
// FLASH:           %[[KH:.*]] = tensor.extract_slice %[[K]][%{{.*}}, %[[HKV]], 0, 0] [1, 1, 256, 16] [1, 1, 1, 1]
// FLASH:           %[[VH:.*]] = tensor.extract_slice %[[V]][%{{.*}}, %[[HKV]], 0, 0] [1, 1, 256, 8] [1, 1, 1, 1]
// From the empty state: acc = 0, max = -inf, sum = 0.
// FLASH:           %[[ACC0:.*]] = linalg.fill ins(%[[ZERO]] : f32) outs(%{{.*}} : tensor<1x1x32x8xf32>)
// FLASH:           %[[MAX0:.*]] = linalg.fill ins(%[[NEGINF]] : f32) outs(%{{.*}} : tensor<1x1x32xf32>)
// FLASH:           %[[SUM0:.*]] = linalg.fill ins(%[[ZERO]] : f32) outs(%{{.*}} : tensor<1x1x32xf32>)
// Keys past the last one the block's last row sees (row 127 sees key
// 127 + 128) are never visited: the key loop ends at
// min(max(min(qb + 31, 127) + 129, 0), 256).
// FLASH:           %[[LAST:.*]] = affine.min #[[$LASTROW]]()[%[[QB]]]
// FLASH:           %[[SEEN:.*]] = affine.max #[[$SEEN]]()[%[[LAST]]]
// FLASH:           %[[KVEND:.*]] = affine.min #[[$KVEND]]()[%[[SEEN]]]
// The key blocks that the block's first row sees whole, (qb + 129) / 64
// of them (at most the keys the loop visits), need no causal mask.
// FLASH:           %[[FIRST:.*]] = affine.max #[[$FIRST]]()[%[[QB]]]
// FLASH:           %[[FULLEND:.*]] = affine.min #[[$FULLEND]]()[%[[FIRST]], %[[SEEN]]]
// qᵀ * scale, hoisted out of the key loops: once per query block.
// FLASH:           %[[QROWS:.*]] = tensor.extract_slice %[[QBLK]][0, 0, 0, 0] [1, 1, 32, 16] [1, 1, 1, 1] : tensor<1x1x32x16xf32> to tensor<32x16xf32>
// FLASH:           %[[QT:.*]] = linalg.generic {indexing_maps = [#[[$T2]], #[[$ID2]]], iterator_types = ["parallel", "parallel"]} ins(%[[QROWS]] : tensor<32x16xf32>) outs(%{{.*}} : tensor<16x32xf32>)
// FLASH:             arith.mulf %{{.*}}, %[[SCALE]] : f32
// FLASH:           %[[VISIBLE:.*]]:3 = scf.for %{{.*}} = %{{.*}} to %[[FULLEND]] step %[[C64]] iter_args(%{{.*}} = %[[ACC0]], %{{.*}} = %[[MAX0]], %{{.*}} = %[[SUM0]])
// FLASH-NOT:         arith.cmpi
// FLASH:             scf.yield
// The blocks the diagonal crosses: each step is the row tile tiled to 64
// keys (its diagonal moved to 128 + qb - kb) and decomposed, the state
// updated in place.
// FLASH:           %[[STATE:.*]]:3 = scf.for %[[KB:[a-zA-Z0-9_]+]] = %[[FULLEND]] to %[[KVEND]] step %[[C64]] iter_args(%[[ACC:.*]] = %[[VISIBLE]]#0, %[[MAX:.*]] = %[[VISIBLE]]#1, %[[SUM:.*]] = %[[VISIBLE]]#2)
// FLASH:             %[[KSTEP:.*]] = tensor.extract_slice %[[KH]][0, 0, %[[KB]], 0] [1, 1, 64, 16] [1, 1, 1, 1]
// FLASH:             %[[VSTEP:.*]] = tensor.extract_slice %[[VH]][0, 0, %[[KB]], 0] [1, 1, 64, 8] [1, 1, 1, 1]
// FLASH:             %[[DIAG:.*]] = affine.apply #[[$DIAG]]()[%[[KB]], %[[QB]]]
// FLASH:             %[[KBLK:.*]] = tensor.extract_slice %[[KSTEP]][0, 0, 0, 0] [1, 1, 64, 16] [1, 1, 1, 1] : tensor<1x1x64x16xf32> to tensor<64x16xf32>
// FLASH:             %[[VBLK:.*]] = tensor.extract_slice %[[VSTEP]][0, 0, 0, 0] [1, 1, 64, 8] [1, 1, 1, 1] : tensor<1x1x64x8xf32> to tensor<64x8xf32>
// FLASH:             %[[ACCS:.*]] = tensor.extract_slice %[[ACC]][0, 0, 0, 0] [1, 1, 32, 8] [1, 1, 1, 1] : tensor<1x1x32x8xf32> to tensor<32x8xf32>
// FLASH:             %[[MAXS:.*]] = tensor.extract_slice %[[MAX]][0, 0, 0] [1, 1, 32] [1, 1, 1] : tensor<1x1x32xf32> to tensor<32xf32>
// FLASH:             %[[SUMS:.*]] = tensor.extract_slice %[[SUM]][0, 0, 0] [1, 1, 32] [1, 1, 1] : tensor<1x1x32xf32> to tensor<32xf32>
// S = k qᵀ [64 keys, 32 queries]: a matmul (i, j, r) of k [i, r] and qᵀ [r, j].
// FLASH:             %[[KQ:.*]] = linalg.generic {indexing_maps = [#[[$LHS]], #[[$RHS]], #[[$OUT]]], iterator_types = ["parallel", "parallel", "reduction"]} ins(%[[KBLK]], %[[QT]] : tensor<64x16xf32>, tensor<16x32xf32>) outs(%{{.*}} : tensor<64x32xf32>)
// FLASH:               arith.mulf
// FLASH:               arith.addf
// The causal mask: key j (dim 0) hidden from query i (dim 1) when j > i + d.
// FLASH:             %[[S:.*]] = linalg.generic {indexing_maps = [#[[$ID2]], #[[$ID2]]], {{.*}} ins(%[[KQ]] : tensor<64x32xf32>)
// FLASH-NOT:             arith.mulf
// FLASH:               %[[J:.*]] = linalg.index 0 : index
// FLASH:               %[[I:.*]] = linalg.index 1 : index
// FLASH:               %[[LASTSEEN:.*]] = arith.addi %[[I]], %[[DIAG]] : index
// FLASH:               arith.cmpi sgt, %[[J]], %[[LASTSEEN]] : index
// FLASH:               arith.select
// Each query's max runs down its column (dim 1 parallel, dim 0 reduced).
// FLASH:             %[[COLMAX:.*]] = linalg.generic {indexing_maps = [#[[$ID2]], #[[$COL]]], iterator_types = ["reduction", "parallel"]} ins(%[[S]] : tensor<64x32xf32>)
// FLASH:               arith.maxnumf %{{.*}}, %{{.*}} : f32
// a = exp2((m - max(m, colmax)) log2(e)), 0 where m is -inf.
// FLASH:             %[[RESCALE:.*]] = linalg.generic {{.*}} ins(%[[MAXS]], %[[COLMAX]] : tensor<32xf32>, tensor<32xf32>)
// FLASH:               arith.maxnumf
// FLASH:               arith.cmpf oeq
// FLASH:               arith.subf
// FLASH:               arith.mulf %{{.*}}, %[[LOG2E]] : f32
// FLASH:               math.exp2 %{{.*}} {attn.nonpositive} : f32
// FLASH:               arith.select
// m' = max(m, colmax), written over m.
// FLASH:             %[[MNEW:.*]] = linalg.generic {{.*}} ins(%[[COLMAX]] : tensor<32xf32>) outs(%[[MAXS]] : tensor<32xf32>)
// FLASH:               arith.maxnumf
// l' = l * a + colsum(P), P = exp2((S - m') log2(e)) written and summed in
// one pass.
// FLASH:             %[[LS:.*]] = linalg.generic {{.*}} ins(%[[RESCALE]] : tensor<32xf32>) outs(%[[SUMS]] : tensor<32xf32>)
// FLASH:             %[[PL:.*]]:2 = linalg.generic {indexing_maps = [#[[$ID2]], #[[$COL]], #[[$ID2]], #[[$COL]]], iterator_types = ["reduction", "parallel"]} ins(%[[S]], %[[MNEW]] : tensor<64x32xf32>, tensor<32xf32>) outs(%{{.*}}, %[[LS]] : tensor<64x32xf32>, tensor<32xf32>)
// FLASH:             ^bb0(%[[SV:.*]]: f32, %[[MV:.*]]: f32, %{{.*}}: f32, %[[LV:.*]]: f32):
// FLASH:               %[[D:.*]] = arith.subf %[[SV]], %{{.*}} : f32
// FLASH:               %[[D2:.*]] = arith.mulf %[[D]], %[[LOG2E]] : f32
// FLASH:               %[[E:.*]] = math.exp2 %[[D2]] {attn.nonpositive} : f32
// FLASH:               %[[SUMV:.*]] = arith.addf %[[LV]], %[[E]] : f32
// FLASH:               linalg.yield %[[E]], %[[SUMV]] : f32, f32
// acc' = acc * a + Pᵀ v: a matmul (i, j, r) of Pᵀ (read as [r, i]) and v.
// FLASH:             %[[AS:.*]] = linalg.generic {indexing_maps = [#[[$ROW]], #[[$ID2]]], {{.*}} ins(%[[RESCALE]] : tensor<32xf32>) outs(%[[ACCS]] : tensor<32x8xf32>)
// FLASH:             %[[ACCNEW:.*]] = linalg.generic {indexing_maps = [#[[$LHST]], #[[$RHS]], #[[$OUT]]], iterator_types = ["parallel", "parallel", "reduction"]} ins(%[[PL]]#0, %[[VBLK]] : tensor<64x32xf32>, tensor<64x8xf32>) outs(%[[AS]] : tensor<32x8xf32>)
// FLASH:             %[[ACCNEXT:.*]] = tensor.insert_slice %[[ACCNEW]] into %[[ACC]][0, 0, 0, 0] [1, 1, 32, 8] [1, 1, 1, 1]
// FLASH:             %[[MAXNEXT:.*]] = tensor.insert_slice %[[MNEW]] into %[[MAX]][0, 0, 0] [1, 1, 32] [1, 1, 1]
// FLASH:             %[[SUMNEXT:.*]] = tensor.insert_slice %[[PL]]#1 into %[[SUM]][0, 0, 0] [1, 1, 32] [1, 1, 1]
// FLASH:             scf.yield %[[ACCNEXT]], %[[MAXNEXT]], %[[SUMNEXT]]
// out = acc * (1 / l), stored into the query block's rows.
// FLASH:           %[[ACCF:.*]] = tensor.extract_slice %[[STATE]]#0[0, 0, 0, 0] [1, 1, 32, 8] [1, 1, 1, 1] : tensor<1x1x32x8xf32> to tensor<32x8xf32>
// FLASH:           %[[SUMF:.*]] = tensor.extract_slice %[[STATE]]#2[0, 0, 0] [1, 1, 32] [1, 1, 1] : tensor<1x1x32xf32> to tensor<32xf32>
// FLASH:           %[[INV:.*]] = linalg.generic {{.*}} ins(%[[SUMF]] : tensor<32xf32>)
// FLASH:             arith.divf %{{.*}}, %{{.*}} : f32
// FLASH:           %[[NORM:.*]] = linalg.generic {{.*}} ins(%[[ACCF]], %[[INV]] : tensor<32x8xf32>, tensor<32xf32>)
// FLASH:             arith.mulf
// FLASH:           %[[INS:.*]] = tensor.insert_slice %[[NORM]] into %[[ACCOUT]][%{{.*}}, %[[H]], %[[QB]], 0] [1, 1, 32, 8]
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
// After bufferization, the only score buffers are blocks (64 keys x 32).
// BUF-LABEL: func.func @gqa_causal(
// BUF-NOT:     128x256
// BUF:         scf.for
// BUF:           scf.for
// BUF:             memref.alloc() {{.*}} : memref<64x32xf32>
// BUF-NOT:     128x256
// BUF:         return
func.func @gqa_causal(%q: tensor<1x4x128x16xf32>, %k: tensor<1x2x256x16xf32>, %v: tensor<1x2x256x8xf32>) -> tensor<1x4x128x8xf32> {
  %r = attn.attention %q, %k, %v causal : tensor<1x4x128x16xf32>, tensor<1x2x256x16xf32>, tensor<1x2x256x8xf32>
  return %r : tensor<1x4x128x8xf32>
}

// -----

// Rank 2 with a mask, M = 100 and N = 300 not whole blocks: expanded to
// [1, 1, M, D]; queries, keys and values padded with zeros to whole blocks
// (128 rows, 320 keys), the mask with 0 along its rows and -inf along its
// keys (padding keys get -inf scores through it); padding rows are not
// stored. No causal bound on the key loop. No copy of the mask:
// each block of it is read transposed, key-major like the scores.
// FLASH-DAG: #[[$ID2M:.+]] = affine_map<(d0, d1) -> (d0, d1)>
// FLASH-DAG: #[[$T2M:.+]] = affine_map<(d0, d1) -> (d1, d0)>
// FLASH-LABEL: func.func @rank2_mask(
// FLASH-SAME:    %[[Q:[a-zA-Z0-9_]+]]: tensor<100x32xf32>, %[[K:[a-zA-Z0-9_]+]]: tensor<300x32xf32>, %{{.*}}: tensor<300x32xf32>, %[[MASK:[a-zA-Z0-9_]+]]: tensor<100x300xf32>)
// FLASH-DAG:     %[[NEGINF:.*]] = arith.constant 0xFF800000 : f32
// FLASH-DAG:     %[[C100:.*]] = arith.constant 100 : index
// FLASH-DAG:     %[[C300:.*]] = arith.constant 300 : index
// FLASH:         %[[Q4:.*]] = tensor.expand_shape %[[Q]] {{\[}}[0, 1, 2], [3]] output_shape [1, 1, 100, 32]
// FLASH:         %[[K4:.*]] = tensor.expand_shape %[[K]] {{\[}}[0, 1, 2], [3]] output_shape [1, 1, 300, 32]
// FLASH:         %[[M4:.*]] = tensor.expand_shape %[[MASK]] {{\[}}[0, 1, 2], [3]] output_shape [1, 1, 100, 300]
// Each copied into a tensor whose padding alone is filled with zeros.
// FLASH:         %[[QIN:.*]] = tensor.insert_slice %[[Q4]] into %{{.*}}[0, 0, 0, 0] [1, 1, 100, 32] [1, 1, 1, 1] : tensor<1x1x100x32xf32> into tensor<1x1x128x32xf32>
// FLASH:         %[[QZ:.*]] = linalg.fill ins(%{{.*}} : f32) outs(%{{.*}} : tensor<1x1x28x32xf32>)
// FLASH:         %[[QPAD:.*]] = tensor.insert_slice %[[QZ]] into %[[QIN]][0, 0, 100, 0] [1, 1, 28, 32] [1, 1, 1, 1]
// FLASH:         %[[KIN:.*]] = tensor.insert_slice %[[K4]] into %{{.*}} : tensor<1x1x300x32xf32> into tensor<1x1x320x32xf32>
// FLASH:         %[[KPAD:.*]] = tensor.insert_slice %{{.*}} into %[[KIN]][0, 0, 300, 0] [1, 1, 20, 32] [1, 1, 1, 1] : tensor<1x1x20x32xf32> into tensor<1x1x320x32xf32>
// FLASH:         %[[MIN:.*]] = tensor.insert_slice %[[M4]] into %{{.*}}[0, 0, 0, 0] [1, 1, 100, 300] [1, 1, 1, 1] : tensor<1x1x100x300xf32> into tensor<1x1x128x320xf32>
// FLASH:         %[[MROWS:.*]] = tensor.insert_slice %{{.*}} into %[[MIN]][0, 0, 100, 0] [1, 1, 28, 320] [1, 1, 1, 1] : tensor<1x1x28x320xf32> into tensor<1x1x128x320xf32>
// FLASH:         %[[KEYPAD:.*]] = linalg.fill ins(%[[NEGINF]] : f32) outs(%{{.*}} : tensor<1x1x100x20xf32>)
// FLASH:         %[[MPAD:.*]] = tensor.insert_slice %[[KEYPAD]] into %[[MROWS]][0, 0, 0, 300] [1, 1, 100, 20] [1, 1, 1, 1] : tensor<1x1x100x20xf32> into tensor<1x1x128x320xf32>
// FLASH-NOT:     linalg.transpose
// FLASH:         scf.for %[[T:[a-zA-Z0-9_]+]] =
// FLASH:           %[[QB:.*]] = arith.muli
// FLASH:           tensor.extract_slice %[[QPAD]][%{{.*}}, 0, %[[QB]], 0] [1, 1, 32, 32]
// FLASH:           %[[KH:.*]] = tensor.extract_slice %[[KPAD]][%{{.*}}, 0, 0, 0] [1, 1, 320, 32]
// FLASH:           %[[MROWBLK:.*]] = tensor.extract_slice %[[MPAD]][0, 0, %[[QB]], 0] [1, 1, 32, 320] [1, 1, 1, 1] : tensor<1x1x128x320xf32> to tensor<1x1x32x320xf32>
// FLASH:           scf.for %[[KB:[a-zA-Z0-9_]+]] = %{{.*}} to %[[C300]] step
// FLASH:             tensor.extract_slice %[[KH]][0, 0, %[[KB]], 0] [1, 1, 64, 32]
// FLASH:             %[[MSTEP:.*]] = tensor.extract_slice %[[MROWBLK]][0, 0, 0, %[[KB]]] [1, 1, 32, 64] [1, 1, 1, 1] : tensor<1x1x32x320xf32> to tensor<1x1x32x64xf32>
// FLASH:             %[[MBLK:.*]] = tensor.extract_slice %[[MSTEP]][0, 0, 0, 0] [1, 1, 32, 64] [1, 1, 1, 1] : tensor<1x1x32x64xf32> to tensor<32x64xf32>
// FLASH:             %[[KQ:.*]] = linalg.generic
// FLASH:             linalg.generic {indexing_maps = [#[[$ID2M]], #[[$T2M]], #[[$ID2M]]], {{.*}} ins(%[[KQ]], %[[MBLK]] : tensor<64x32xf32>, tensor<32x64xf32>)
// The mask is added as it is (the scores are in natural units), with no
// test of the key index: the mask hides the padding keys.
// FLASH-NEXT:          ^bb0(%[[SV:.*]]: f32, %[[MV:.*]]: f32, %{{.*}}: f32):
// FLASH-NEXT:          %[[SM:.*]] = arith.addf %[[SV]], %[[MV]] : f32
// FLASH-NEXT:          linalg.yield %[[SM]] : f32
// FLASH:           %[[LEFT:.*]] = arith.subi %[[C100]], %[[QB]] : index
// FLASH:           %[[VALID:.*]] = arith.minsi %[[LEFT]], %{{.*}} : index
// FLASH:           %[[ROWS:.*]] = tensor.extract_slice %{{.*}}[0, 0] [%[[VALID]], 32] [1, 1] : tensor<32x32xf32> to tensor<?x32xf32>
// FLASH:           tensor.insert_slice %[[ROWS]] into %{{.*}}[%{{.*}}, 0, %[[QB]], 0] [1, 1, %[[VALID]], 32] [1, 1, 1, 1] : tensor<?x32xf32> into tensor<1x1x100x32xf32>
// FLASH:         tensor.collapse_shape %{{.*}} {{\[}}[0, 1, 2], [3]] : tensor<1x1x100x32xf32> into tensor<100x32xf32>
// Decomposed: no padding; the mask is added to the scaled scores of the
// [M, N] contraction.
// DECOMP-LABEL: func.func @rank2_mask(
// DECOMP-SAME:    %[[Q:[a-zA-Z0-9_]+]]: tensor<100x32xf32>, %[[K:[a-zA-Z0-9_]+]]: tensor<300x32xf32>, %[[V:[a-zA-Z0-9_]+]]: tensor<300x32xf32>, %[[MASK:[a-zA-Z0-9_]+]]: tensor<100x300xf32>)
// DECOMP-NOT:     tensor<1x1x128x
// DECOMP-DAG:     %[[SCALE:.*]] = arith.constant 0.176776692 : f32
// DECOMP-DAG:     %[[Q4:.*]] = tensor.expand_shape %[[Q]] {{\[}}[0, 1, 2], [3]] output_shape [1, 1, 100, 32]
// DECOMP-DAG:     %[[K4:.*]] = tensor.expand_shape %[[K]] {{\[}}[0, 1, 2], [3]] output_shape [1, 1, 300, 32]
// DECOMP-DAG:     %[[V4:.*]] = tensor.expand_shape %[[V]] {{\[}}[0, 1, 2], [3]] output_shape [1, 1, 300, 32]
// DECOMP-DAG:     %[[M4:.*]] = tensor.expand_shape %[[MASK]] {{\[}}[0, 1, 2], [3]] output_shape [1, 1, 100, 300]
// DECOMP:         %[[QK:.*]] = linalg.generic {{.*}} ins(%[[Q4]], %[[K4]] : tensor<1x1x100x32xf32>, tensor<1x1x300x32xf32>) outs(%{{.*}} : tensor<1x1x100x300xf32>)
// DECOMP:         linalg.generic {{.*}} ins(%[[QK]], %[[M4]] : tensor<1x1x100x300xf32>, tensor<1x1x100x300xf32>)
// DECOMP-NEXT:    ^bb0(%[[S:.*]]: f32, %[[MB:.*]]: f32, %{{.*}}: f32):
// DECOMP-NEXT:      %[[SS:.*]] = arith.mulf %[[S]], %[[SCALE]] : f32
// DECOMP-NEXT:      %[[SUM:.*]] = arith.addf %[[SS]], %[[MB]] : f32
// DECOMP-NEXT:      linalg.yield %[[SUM]] : f32
// DECOMP:         %[[O:.*]] = linalg.generic {{.*}} ins(%{{.*}}, %[[V4]] : tensor<1x1x100x300xf32>, tensor<1x1x300x32xf32>) outs(%{{.*}} : tensor<1x1x100x32xf32>)
// DECOMP:         tensor.collapse_shape %[[O]] {{\[}}[0, 1, 2], [3]] : tensor<1x1x100x32xf32> into tensor<100x32xf32>
func.func @rank2_mask(%q: tensor<100x32xf32>, %k: tensor<300x32xf32>, %v: tensor<300x32xf32>, %m: tensor<100x300xf32>) -> tensor<100x32xf32> {
  %r = attn.attention %q, %k, %v mask %m : tensor<100x32xf32>, tensor<300x32xf32>, tensor<300x32xf32>, tensor<100x300xf32>
  return %r : tensor<100x32xf32>
}

// -----

// A decode step: one query against 40 keys. The blocks shrink to the next
// multiple of 16 (16 rows, 48 keys) instead of padding to 32 x 64.
// FLASH-LABEL: func.func @decode_step(
// FLASH:         %[[QIN:.*]] = tensor.insert_slice %{{.*}} into %{{.*}}[0, 0, 0, 0] [1, 4, 1, 64] [1, 1, 1, 1] : tensor<1x4x1x64xf32> into tensor<1x4x16x64xf32>
// FLASH:         %[[QPAD:.*]] = tensor.insert_slice %{{.*}} into %[[QIN]][0, 0, 1, 0] [1, 4, 15, 64]
// FLASH:         %[[KIN:.*]] = tensor.insert_slice %{{.*}} into %{{.*}}[0, 0, 0, 0] [1, 4, 40, 64] [1, 1, 1, 1] : tensor<1x4x40x64xf32> into tensor<1x4x48x64xf32>
// FLASH:         %[[KPAD:.*]] = tensor.insert_slice %{{.*}} into %[[KIN]][0, 0, 40, 0] [1, 4, 8, 64]
// FLASH:         scf.for
// FLASH:           %[[QBLK:.*]] = tensor.extract_slice %[[QPAD]][%{{.*}}, %{{.*}}, 0, 0] [1, 1, 16, 64] [1, 1, 1, 1] : tensor<1x4x16x64xf32> to tensor<1x1x16x64xf32>
// FLASH:           %[[KH:.*]] = tensor.extract_slice %[[KPAD]][%{{.*}}, %{{.*}}, 0, 0] [1, 1, 48, 64] [1, 1, 1, 1] : tensor<1x4x48x64xf32> to tensor<1x1x48x64xf32>
// FLASH:           %[[Q2:.*]] = tensor.extract_slice %[[QBLK]][0, 0, 0, 0] [1, 1, 16, 64] [1, 1, 1, 1] : tensor<1x1x16x64xf32> to tensor<16x64xf32>
// FLASH:           %[[QT:.*]] = linalg.generic {{.*}} ins(%[[Q2]] : tensor<16x64xf32>) outs(%{{.*}} : tensor<64x16xf32>)
// The one block of 48 keys: its key loop folds away.
// FLASH-NOT:       scf.for
// FLASH:           %[[KB:.*]] = tensor.extract_slice %[[KH]][0, 0, 0, 0] [1, 1, 48, 64] [1, 1, 1, 1] : tensor<1x1x48x64xf32> to tensor<48x64xf32>
// FLASH:           linalg.generic {{.*}} ins(%[[KB]], %[[QT]] : tensor<48x64xf32>, tensor<64x16xf32>) outs(%{{.*}} : tensor<48x16xf32>)
// Decomposed: one query sees all 40 keys (key j hidden when j > 0 + 39).
// DECOMP-LABEL: func.func @decode_step(
// DECOMP:         %[[C39:.*]] = arith.constant 39 : index
// DECOMP-NOT:     tensor<1x4x16x
// DECOMP:         linalg.generic {{.*}} outs(%{{.*}} : tensor<1x4x1x40xf32>)
// DECOMP:           %[[J:.*]] = linalg.index 3 : index
// DECOMP-NEXT:      %[[HIDDEN:.*]] = arith.cmpi sgt, %[[J]], %[[C39]] : index
// DECOMP-NEXT:      arith.select %[[HIDDEN]], %{{.*}}, %{{.*}} : f32
func.func @decode_step(%q: tensor<1x4x1x64xf32>, %k: tensor<1x4x40x64xf32>, %v: tensor<1x4x40x64xf32>) -> tensor<1x4x1x64xf32> {
  %r = attn.attention %q, %k, %v causal : tensor<1x4x1x64xf32>, tensor<1x4x40x64xf32>, tensor<1x4x40x64xf32>
  return %r : tensor<1x4x1x64xf32>
}

// -----

// For threads, the query blocks of all heads are an scf.forall, each head's
// taken alternately from the start and the end (equal causal work per half).
// RUN: attn-opt %s --convert-attn-to-linalg="block-q=32 parallel-query-blocks" --canonicalize --split-input-file | FileCheck %s --check-prefix=PARALLEL
// PARALLEL-LABEL: func.func @parallel_blocks(
// PARALLEL-DAG:     %[[C4:.*]] = arith.constant 4 : index
// PARALLEL:         scf.forall (%[[T:[a-zA-Z0-9_]+]]) in (16) shared_outs(%[[OUT:[a-zA-Z0-9_]+]] = %{{.*}}) -> (tensor<1x4x128x8xf32>)
// PARALLEL:           %[[HEAD:.*]] = arith.divui %[[T]], %[[C4]] : index
// PARALLEL:           %[[R:.*]] = arith.remui %[[T]], %[[C4]] : index
// PARALLEL:           %[[HALF:.*]] = arith.divui %[[R]], %{{.*}} : index
// PARALLEL:           arith.remui %[[R]]
// PARALLEL:           %[[BLOCK:.*]] = arith.select %{{.*}}, %{{.*}}, %[[HALF]] : index
// PARALLEL:           %[[QB:.*]] = arith.muli %[[BLOCK]], %{{.*}} : index
// PARALLEL:           %[[H:.*]] = arith.remui %[[HEAD]], %[[C4]] : index
// PARALLEL:           scf.for
// PARALLEL:           scf.forall.in_parallel
// PARALLEL-NEXT:        tensor.parallel_insert_slice %{{.*}} into %[[OUT]][%{{.*}}, %[[H]], %[[QB]], 0] [1, 1, 32, 8]
func.func @parallel_blocks(%q: tensor<1x4x128x16xf32>, %k: tensor<1x2x256x16xf32>, %v: tensor<1x2x256x8xf32>) -> tensor<1x4x128x8xf32> {
  %r = attn.attention %q, %k, %v causal : tensor<1x4x128x16xf32>, tensor<1x2x256x16xf32>, tensor<1x2x256x8xf32>
  return %r : tensor<1x4x128x8xf32>
}
