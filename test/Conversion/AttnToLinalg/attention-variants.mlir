// RUN: attn-opt %s --convert-attn-to-linalg="block-q=32 block-kv=64" --canonicalize --cse --split-input-file | FileCheck %s --check-prefix=FLASH
// RUN: attn-opt %s --convert-attn-to-linalg="attention=decomposed" --canonicalize --cse --split-input-file | FileCheck %s --check-prefix=DECOMP

// Sliding-window causal attention, window = [64, 0]: query i sees keys
// [i - 64, i] (d = N - M = 0), M = N = 256, blocks of 32 queries x 64 keys.
// Each query block [qb, qb + 32) visits three ranges of key blocks:
//   [begin, fullBegin)   crossed by the window's left edge   (masked)
//   [fullBegin, fullEnd) seen whole by every row             (unmasked)
//   [fullEnd, end)       crossed by the causal diagonal      (masked)
// with begin = max((qb floordiv 64) * 64 - 64, 0), the block of the first
// row's first key: key blocks left of the window are never visited (qb = 128
// starts at key 64, not 0). fullBegin rounds the last row's first key up,
// fullEnd the first row's last key + 1 down, both clamped to
// [previous bound, end]. (With a window of one key block the middle range is
// empty; wider windows fill it.)
// FLASH-DAG: #[[$WLAST:.+]] = affine_map<()[s0] -> (255, s0 + 31)>
// FLASH-DAG: #[[$WSEEN:.+]] = affine_map<()[s0] -> (0, s0 + 1)>
// FLASH-DAG: #[[$WEND:.+]] = affine_map<()[s0] -> (256, s0)>
// FLASH-DAG: #[[$WBEGIN:.+]] = affine_map<()[s0] -> ((s0 floordiv 64) * 64 - 64, 0)>
// FLASH-DAG: #[[$WCLAMP:.+]] = affine_map<()[s0, s1] -> (256, s1, s0)>
// FLASH-DAG: #[[$WFULLBEGIN:.+]] = affine_map<()[s0, s1] -> (((s0 - 64) ceildiv 64) * 64, s1)>
// FLASH-DAG: #[[$WFULLEND:.+]] = affine_map<()[s0, s1] -> (((s0 + 1) floordiv 64) * 64, s1)>
// FLASH-DAG: #[[$WDIAG:.+]] = affine_map<()[s0, s1] -> (s0 - s1)>
// FLASH-LABEL: func.func @window_causal(
// FLASH-SAME:    %{{.*}}: tensor<1x1x256x16xf32>, %[[K:[a-zA-Z0-9_]+]]: tensor<1x1x256x16xf32>, %{{.*}}: tensor<1x1x256x16xf32>)
// FLASH-DAG:     %[[C32:.*]] = arith.constant 32 : index
// FLASH-DAG:     %[[C64:.*]] = arith.constant 64 : index
// FLASH-DAG:     %[[CM64:.*]] = arith.constant -64 : index
// FLASH-DAG:     %[[NEGINF:.*]] = arith.constant 0xFF800000 : f32
// FLASH:         scf.for
// FLASH:           %[[QB:.*]] = arith.muli %{{.*}}, %[[C32]] : index
// FLASH:           %[[KH:.*]] = tensor.extract_slice %[[K]][%{{.*}}, 0, 0, 0] [1, 1, 256, 16] [1, 1, 1, 1]
// end = min(max(min(qb + 31, 255) + 1, 0), 256): past the last row's key.
// FLASH:           %[[LAST:.*]] = affine.min #[[$WLAST]]()[%[[QB]]]
// FLASH:           %[[SEEN:.*]] = affine.max #[[$WSEEN]]()[%[[LAST]]]
// FLASH:           %[[END:.*]] = affine.min #[[$WEND]]()[%[[SEEN]]]
// FLASH:           %[[B0:.*]] = affine.max #[[$WBEGIN]]()[%[[QB]]]
// FLASH:           %[[BEGIN:.*]] = affine.min #[[$WCLAMP]]()[%[[B0]], %[[SEEN]]]
// FLASH:           %[[FB0:.*]] = affine.max #[[$WFULLBEGIN]]()[%[[LAST]], %[[BEGIN]]]
// FLASH:           %[[FULLBEGIN:.*]] = affine.min #[[$WCLAMP]]()[%[[FB0]], %[[SEEN]]]
// FLASH:           %[[FE0:.*]] = affine.max #[[$WFULLEND]]()[%[[QB]], %[[FULLBEGIN]]]
// FLASH:           %[[FULLEND:.*]] = affine.min #[[$WCLAMP]]()[%[[FE0]], %[[SEEN]]]
// The left edge: both bounds hide keys, j > i + d and j < i + d - 64, with
// the block's diagonal d = qb - kb.
// FLASH:           %[[LEFT:.*]]:3 = scf.for %[[KB:[a-zA-Z0-9_]+]] = %[[BEGIN]] to %[[FULLBEGIN]] step %[[C64]] iter_args(
// FLASH:             tensor.extract_slice %[[KH]][0, 0, %[[KB]], 0] [1, 1, 64, 16]
// FLASH:             %[[DIAG:.*]] = affine.apply #[[$WDIAG]]()[%[[QB]], %[[KB]]]
// FLASH:             %[[KQ:.*]] = linalg.generic {{.*}} iterator_types = ["parallel", "parallel", "reduction"]
// FLASH:             linalg.generic {{.*}} ins(%[[KQ]] : tensor<64x32xf32>)
// FLASH:               %[[J:.*]] = linalg.index 0 : index
// FLASH:               %[[I:.*]] = linalg.index 1 : index
// FLASH:               %[[DK:.*]] = arith.addi %[[I]], %[[DIAG]] : index
// FLASH:               %[[AFTER:.*]] = arith.cmpi sgt, %[[J]], %[[DK]] : index
// FLASH:               %[[FIRSTK:.*]] = arith.addi %[[DK]], %[[CM64]] : index
// FLASH:               %[[BEFORE:.*]] = arith.cmpi slt, %[[J]], %[[FIRSTK]] : index
// FLASH:               %[[HIDDEN:.*]] = arith.ori %[[AFTER]], %[[BEFORE]] : i1
// FLASH:               arith.select %[[HIDDEN]], %[[NEGINF]], %{{.*}} : f32
// FLASH:             scf.yield
// The middle: no positional test at all.
// FLASH:           %[[MID:.*]]:3 = scf.for %{{.*}} = %[[FULLBEGIN]] to %[[FULLEND]] step %[[C64]] iter_args(%{{.*}} = %[[LEFT]]#0, %{{.*}} = %[[LEFT]]#1, %{{.*}} = %[[LEFT]]#2)
// FLASH-NOT:         linalg.index
// FLASH-NOT:         arith.cmpi
// FLASH:             scf.yield
// The right edge (the diagonal), masked as the left one.
// FLASH:           %[[RIGHT:.*]]:3 = scf.for %[[KB2:[a-zA-Z0-9_]+]] = %[[FULLEND]] to %[[END]] step %[[C64]] iter_args(%{{.*}} = %[[MID]]#0, %{{.*}} = %[[MID]]#1, %{{.*}} = %[[MID]]#2)
// FLASH:             affine.apply #[[$WDIAG]]()[%[[QB]], %[[KB2]]]
// FLASH:               arith.cmpi sgt
// FLASH:               arith.cmpi slt
// FLASH:               arith.ori
// FLASH:             scf.yield
// FLASH-NOT:       scf.for
// FLASH:           tensor.extract_slice %[[RIGHT]]#0[0, 0, 0, 0] [1, 1, 32, 16]

// Decomposed: one test per score on all [M, N] of them, in the generic that
// scales them. Without causal there (the softmax applies it), the window's
// right edge (0) is `j > i + d` and its left edge `j < i + d - 64` (d = 0).
// DECOMP-LABEL: func.func @window_causal(
// DECOMP-DAG:     %[[CM64:.*]] = arith.constant -64 : index
// DECOMP-DAG:     %[[NEGINF:.*]] = arith.constant 0xFF800000 : f32
// DECOMP-DAG:     %[[SCALE:.*]] = arith.constant 2.500000e-01 : f32
// DECOMP-NOT:     scf.for
// DECOMP:         %[[QK:.*]] = linalg.generic {{.*}} outs(%{{.*}} : tensor<1x1x256x256xf32>)
// DECOMP:         linalg.generic {{.*}} ins(%[[QK]] : tensor<1x1x256x256xf32>)
// DECOMP-NEXT:    ^bb0(%[[S:.*]]: f32, %{{.*}}: f32):
// DECOMP-NEXT:      %[[SS:.*]] = arith.mulf %[[S]], %[[SCALE]] : f32
// DECOMP-NEXT:      %[[J:.*]] = linalg.index 3 : index
// DECOMP-NEXT:      %[[I:.*]] = linalg.index 2 : index
// DECOMP-NEXT:      %[[AFTER:.*]] = arith.cmpi sgt, %[[J]], %[[I]] : index
// DECOMP-NEXT:      %[[FIRSTK:.*]] = arith.addi %[[I]], %[[CM64]] : index
// DECOMP-NEXT:      %[[BEFORE:.*]] = arith.cmpi slt, %[[J]], %[[FIRSTK]] : index
// DECOMP-NEXT:      %[[HIDDEN:.*]] = arith.ori %[[AFTER]], %[[BEFORE]] : i1
// DECOMP-NEXT:      %[[R:.*]] = arith.select %[[HIDDEN]], %[[NEGINF]], %[[SS]] : f32
// DECOMP-NEXT:      linalg.yield %[[R]] : f32
func.func @window_causal(%q: tensor<1x1x256x16xf32>, %k: tensor<1x1x256x16xf32>, %v: tensor<1x1x256x16xf32>) -> tensor<1x1x256x16xf32> {
  %r = attn.attention %q, %k, %v causal window = [64, 0] : tensor<1x1x256x16xf32>, tensor<1x1x256x16xf32>, tensor<1x1x256x16xf32>
  return %r : tensor<1x1x256x16xf32>
}

// -----

// Softcap: cap tanh(s / cap) of the scaled score (q is scaled before the
// key loop), in the generic after the block's contraction. It hides no key:
// one key loop, no positional test.
// FLASH-LABEL: func.func @softcap(
// FLASH-DAG:     %[[CAP:.*]] = arith.constant 3.000000e+01 : f32
// FLASH-DAG:     %[[INVCAP:.*]] = arith.constant 0.0333333351 : f32
// FLASH-NOT:     linalg.index
// FLASH:         %[[KQ:.*]] = linalg.generic {{.*}} iterator_types = ["parallel", "parallel", "reduction"]
// FLASH:         linalg.generic {{.*}} ins(%[[KQ]] : tensor<64x32xf32>)
// FLASH-NEXT:    ^bb0(%[[SV:.*]]: f32, %{{.*}}: f32):
// FLASH-NEXT:      %[[U:.*]] = arith.mulf %[[SV]], %[[INVCAP]] : f32
// FLASH-NEXT:      %[[T:.*]] = math.tanh %[[U]] : f32
// FLASH-NEXT:      %[[CAPPED:.*]] = arith.mulf %[[T]], %[[CAP]] : f32
// FLASH-NEXT:      linalg.yield %[[CAPPED]] : f32
// FLASH-NOT:     linalg.index
// FLASH:         return
func.func @softcap(%q: tensor<1x1x64x16xf32>) -> tensor<1x1x64x16xf32> {
  %r = attn.attention %q, %q, %q softcap = 30.0 : tensor<1x1x64x16xf32>, tensor<1x1x64x16xf32>, tensor<1x1x64x16xf32>
  return %r : tensor<1x1x64x16xf32>
}

// -----

// ALiBi: s - slope |j - (i + d)|, with the slope of the query head (4 query
// heads over 2 key/value heads: slopes[h], not [h floordiv 2]) read once per
// query block, and the block's diagonal d = N - M + qb - kb = 64 + qb - kb.
// ALiBi hides no key: one loop over all of them.
// FLASH-DAG: #[[$ADIAG:.+]] = affine_map<()[s0, s1] -> (-s0 + s1 + 64)>
// FLASH-LABEL: func.func @alibi(
// FLASH-SAME:    %[[Q:[a-zA-Z0-9_]+]]: tensor<1x4x64x16xf32>, %{{.*}}: tensor<1x2x128x16xf32>, %[[S:[a-zA-Z0-9_]+]]: tensor<4xf32>)
// FLASH-DAG:     %[[C64:.*]] = arith.constant 64 : index
// FLASH-DAG:     %[[C128:.*]] = arith.constant 128 : index
// FLASH:         tensor.extract_slice %[[Q]][%{{.*}}, %[[H:[a-zA-Z0-9_]+]], %[[QB:[a-zA-Z0-9_]+]], 0] [1, 1, 32, 16]
// FLASH:         %[[SLOPES:.*]] = tensor.extract_slice %[[S]][%[[H]]] [1] [1] : tensor<4xf32> to tensor<1xf32>
// FLASH:         %[[SLOPE:.*]] = tensor.extract %[[SLOPES]][%{{.*}}] : tensor<1xf32>
// FLASH:         scf.for %[[KB:[a-zA-Z0-9_]+]] = %{{.*}} to %[[C128]] step %[[C64]]
// FLASH:           %[[DIAG:.*]] = affine.apply #[[$ADIAG]]()[%[[KB]], %[[QB]]]
// FLASH:           %[[KQ:.*]] = linalg.generic {{.*}} iterator_types = ["parallel", "parallel", "reduction"]
// FLASH:           linalg.generic {{.*}} ins(%[[KQ]] : tensor<64x32xf32>)
// FLASH-NEXT:      ^bb0(%[[SV:.*]]: f32, %{{.*}}: f32):
// FLASH-NEXT:        %[[J:.*]] = linalg.index 0 : index
// FLASH-NEXT:        %[[I:.*]] = linalg.index 1 : index
// FLASH-NEXT:        %[[DK:.*]] = arith.addi %[[I]], %[[DIAG]] : index
// FLASH-NEXT:        %[[OFF:.*]] = arith.subi %[[J]], %[[DK]] : index
// FLASH-NEXT:        %[[OFF32:.*]] = arith.index_cast %[[OFF]] : index to i32
// FLASH-NEXT:        %[[OFFF:.*]] = arith.sitofp %[[OFF32]] : i32 to f32
// FLASH-NEXT:        %[[DIST:.*]] = math.absf %[[OFFF]] : f32
// FLASH-NEXT:        %[[BIAS:.*]] = arith.mulf %[[SLOPE]], %[[DIST]] : f32
// FLASH-NEXT:        %[[BIASED:.*]] = arith.subf %[[SV]], %[[BIAS]] : f32
// FLASH-NEXT:        linalg.yield %[[BIASED]] : f32
// FLASH-NOT:       scf.for
// FLASH:         return
func.func @alibi(%q: tensor<1x4x64x16xf32>, %k: tensor<1x2x128x16xf32>, %s: tensor<4xf32>) -> tensor<1x4x64x16xf32> {
  %r = attn.attention %q, %k, %k alibi %s : tensor<1x4x64x16xf32>, tensor<1x2x128x16xf32>, tensor<1x2x128x16xf32> alibi tensor<4xf32>
  return %r : tensor<1x4x64x16xf32>
}

// -----

// A boolean mask, N = 100 keys (not a multiple of 64): padded to 128 keys
// with `false` (hidden), and each block selects the score where it is true,
// -inf elsewhere. The rows (64) are whole blocks: no row padding.
// FLASH-LABEL: func.func @bool_mask(
// FLASH-SAME:    %{{.*}}: tensor<1x1x64x16xf32>, %{{.*}}: tensor<1x1x100x16xf32>, %[[M:[a-zA-Z0-9_]+]]: tensor<64x100xi1>)
// FLASH-DAG:     %[[FALSE:.*]] = arith.constant false
// FLASH-DAG:     %[[NEGINF:.*]] = arith.constant 0xFF800000 : f32
// FLASH-DAG:     %[[C100:.*]] = arith.constant 100 : index
// FLASH:         %[[M4:.*]] = tensor.expand_shape %[[M]] {{\[}}[0, 1, 2], [3]] output_shape [1, 1, 64, 100] : tensor<64x100xi1> into tensor<1x1x64x100xi1>
// FLASH:         %[[MIN:.*]] = tensor.insert_slice %[[M4]] into %{{.*}}[0, 0, 0, 0] [1, 1, 64, 100] [1, 1, 1, 1] : tensor<1x1x64x100xi1> into tensor<1x1x64x128xi1>
// FLASH:         %[[KEYPAD:.*]] = linalg.fill ins(%[[FALSE]] : i1) outs(%{{.*}} : tensor<1x1x64x28xi1>)
// FLASH:         %[[MPAD:.*]] = tensor.insert_slice %[[KEYPAD]] into %[[MIN]][0, 0, 0, 100] [1, 1, 64, 28] [1, 1, 1, 1] : tensor<1x1x64x28xi1> into tensor<1x1x64x128xi1>
// FLASH:         scf.for
// FLASH:           %[[MROWS:.*]] = tensor.extract_slice %[[MPAD]][0, 0, %{{.*}}, 0] [1, 1, 32, 128] [1, 1, 1, 1] : tensor<1x1x64x128xi1> to tensor<1x1x32x128xi1>
// FLASH:           scf.for %[[KB:[a-zA-Z0-9_]+]] = %{{.*}} to %[[C100]] step
// FLASH:             %[[MSTEP:.*]] = tensor.extract_slice %[[MROWS]][0, 0, 0, %[[KB]]] [1, 1, 32, 64] [1, 1, 1, 1] : tensor<1x1x32x128xi1> to tensor<1x1x32x64xi1>
// FLASH:             %[[MBLK:.*]] = tensor.extract_slice %[[MSTEP]][0, 0, 0, 0] [1, 1, 32, 64] [1, 1, 1, 1] : tensor<1x1x32x64xi1> to tensor<32x64xi1>
// FLASH:             %[[KQ:.*]] = linalg.generic {{.*}} iterator_types = ["parallel", "parallel", "reduction"]
// FLASH:             linalg.generic {{.*}} ins(%[[KQ]], %[[MBLK]] : tensor<64x32xf32>, tensor<32x64xi1>)
// FLASH-NEXT:        ^bb0(%[[SV:.*]]: f32, %[[KEEP:.*]]: i1, %{{.*}}: f32):
// FLASH-NEXT:          %[[SM:.*]] = arith.select %[[KEEP]], %[[SV]], %[[NEGINF]] : f32
// FLASH-NEXT:          linalg.yield %[[SM]] : f32
func.func @bool_mask(%q: tensor<1x1x64x16xf32>, %k: tensor<1x1x100x16xf32>, %m: tensor<64x100xi1>) -> tensor<1x1x64x16xf32> {
  %r = attn.attention %q, %k, %k mask %m : tensor<1x1x64x16xf32>, tensor<1x1x100x16xf32>, tensor<1x1x100x16xf32>, tensor<64x100xi1>
  return %r : tensor<1x1x64x16xf32>
}

// -----

// The backward through the softcap: the masked scores' generic also yields
// each score's derivative d s / d u = 1 - tanh²(u / c) at its scaled
// product u (0 where hidden), and dS is multiplied by it (an input of the
// dS generic, never its uninitialized output).
// FLASH-LABEL: func.func @softcap_backward(
// FLASH:         %[[SCORES:.*]]:2 = linalg.generic
// FLASH:           %[[T:.*]] = math.tanh %{{.*}} : f32
// FLASH:           %[[CAPPED:.*]] = arith.mulf %[[T]], %{{.*}} : f32
// FLASH:           %[[T2:.*]] = arith.mulf %[[T]], %[[T]] : f32
// FLASH:           %[[SLOPE:.*]] = arith.subf %{{.*}}, %[[T2]] : f32
// FLASH:           %[[HIDDEN:.*]] = arith.cmpf oeq, %[[CAPPED]], %{{.*}} : f32
// FLASH:           %[[DS:.*]] = arith.select %[[HIDDEN]], %{{.*}}, %[[SLOPE]] : f32
// FLASH:           linalg.yield %[[CAPPED]], %[[DS]] : f32, f32
// FLASH:         linalg.generic {{.*}} ins(%{{.*}}, %{{.*}}, %{{.*}}, %[[SCORES]]#1 : tensor<32x32xf32>, tensor<32x32xf32>, tensor<32xf32>, tensor<32x32xf32>)
// FLASH-NEXT:    ^bb0(%{{.*}}: f32, %{{.*}}: f32, %{{.*}}: f32, %[[U:.*]]: f32, %{{.*}}: f32):
// FLASH:           %[[CENTERED:.*]] = arith.mulf %{{.*}}, %{{.*}} : f32
// FLASH:           arith.mulf %[[CENTERED]], %[[U]] : f32
// DECOMP-LABEL: func.func @softcap_backward(
// DECOMP:         math.tanh
func.func @softcap_backward(%g: tensor<1x1x32x8xf32>, %q: tensor<1x1x32x8xf32>, %k: tensor<1x1x32x8xf32>, %o: tensor<1x1x32x8xf32>, %l: tensor<1x1x32xf32>) -> tensor<1x1x32x8xf32> {
  %dq, %dk, %dv = attn.attention_backward %g, %q, %k, %k, %o, %l softcap = 2.0 : tensor<1x1x32x8xf32>, tensor<1x1x32x8xf32>, tensor<1x1x32x8xf32>, tensor<1x1x32x8xf32>, tensor<1x1x32x8xf32>, tensor<1x1x32xf32>
  return %dq : tensor<1x1x32x8xf32>
}

// -----

// A decode step of grouped-query heads (8 query heads, 2 key/value heads,
// one row each, no mask depending on head or row): the 4 rows of a group
// are packed into one block of their key/value head, whose keys and values
// are read once per group instead of once per query head; the result is
// unpacked by reshapes (no copy).
// FLASH-LABEL: func.func @decode_gqa(
// FLASH-SAME:    %[[Q:[a-zA-Z0-9_]+]]: tensor<1x8x1x16xf32>, %[[K:[a-zA-Z0-9_]+]]: tensor<1x2x256x16xf32>
// FLASH:         %[[SPLIT:.*]] = tensor.expand_shape %[[Q]] {{\[}}[0], [1, 2], [3], [4]] output_shape [1, 2, 4, 1, 16] : tensor<1x8x1x16xf32> into tensor<1x2x4x1x16xf32>
// FLASH:         %[[PACKED:.*]] = tensor.collapse_shape %[[SPLIT]] {{\[}}[0], [1], [2, 3], [4]] : tensor<1x2x4x1x16xf32> into tensor<1x2x4x16xf32>
// The 4 packed rows padded to a block of 16, then one block per key/value
// head.
// FLASH:         tensor.insert_slice %[[PACKED]] into %{{.*}}[0, 0, 0, 0] [1, 2, 4, 16] [1, 1, 1, 1] : tensor<1x2x4x16xf32> into tensor<1x2x16x16xf32>
// FLASH:         %[[OUT:.*]] = scf.for {{.*}} -> (tensor<1x2x4x8xf32>)
// FLASH:           scf.for {{.*}} -> (tensor<1x1x16x8xf32>, tensor<1x1x16xf32>, tensor<1x1x16xf32>)
// FLASH:         %[[ROWS:.*]] = tensor.expand_shape %[[OUT]] {{\[}}[0], [1], [2, 3], [4]] output_shape [1, 2, 4, 1, 8]
// FLASH:         tensor.collapse_shape %[[ROWS]] {{\[}}[0], [1, 2], [3], [4]] : tensor<1x2x4x1x8xf32> into tensor<1x8x1x8xf32>
// DECOMP-LABEL: func.func @decode_gqa(
// DECOMP-NOT:     tensor.expand_shape %{{.*}} output_shape [1, 2, 4, 1, 16]
func.func @decode_gqa(%q: tensor<1x8x1x16xf32>, %k: tensor<1x2x256x16xf32>, %v: tensor<1x2x256x8xf32>) -> tensor<1x8x1x8xf32> {
  %o = attn.attention %q, %k, %v : tensor<1x8x1x16xf32>, tensor<1x2x256x16xf32>, tensor<1x2x256x8xf32>
  return %o : tensor<1x8x1x8xf32>
}
