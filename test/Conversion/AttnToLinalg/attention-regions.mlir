// RUN: attn-opt %s --convert-attn-to-linalg="block-q=32 block-kv=64" --canonicalize --cse --split-input-file | FileCheck %s --check-prefix=FLASH
// RUN: attn-opt %s --convert-attn-to-linalg="attention=decomposed" --canonicalize --cse --split-input-file | FileCheck %s --check-prefix=DECOMP

// The score_mod and mask_mod regions (FlexAttention's user functions) are
// inlined into the linalg.generic that computes the masked scores, with the
// score's absolute batch, head, query and key as their arguments: in the
// flash form a block's offsets plus its linalg.index, clamped to the last
// real row and key when the blocks pad them; in the decomposed form the
// linalg.index of the [B, H, M, N] scores. No attn op and no attn.yield is
// left (only the attn.nonpositive attribute of the exponentials).

// Grouped-query attention (4 query heads over 2 key/value heads), M = 128
// queries, N = 256 keys (whole blocks), ALiBi from captured per-head slopes
// in score_mod, document masking from captured document ids in mask_mod.

// FLASH-LABEL: func.func @flex_gqa(
// FLASH-SAME:    %[[Q:[a-zA-Z0-9_]+]]: tensor<1x4x128x16xf32>, %[[K:[a-zA-Z0-9_]+]]: tensor<1x2x256x16xf32>, %[[V:[a-zA-Z0-9_]+]]: tensor<1x2x256x8xf32>, %[[DOC:[a-zA-Z0-9_]+]]: tensor<256xi32>, %[[SL:[a-zA-Z0-9_]+]]: tensor<4xf32>)
// FLASH-NOT:     {{attn\.[a-z_]+ }}
// FLASH-DAG:     %[[C32:.*]] = arith.constant 32 : index
// FLASH-DAG:     %[[C64:.*]] = arith.constant 64 : index
// FLASH-DAG:     %[[NEGINF:.*]] = arith.constant 0xFF800000 : f32
// The query block: its first row QB and its query head H (of 4).
// FLASH:         scf.for
// FLASH:           %[[QB:.*]] = arith.muli %{{.*}}, %[[C32]] : index
// FLASH:           %[[H:.*]] = arith.remui %{{.*}}, %{{.*}} : index
// FLASH:           tensor.extract_slice %[[Q]][%{{.*}}, %[[H]], %[[QB]], 0] [1, 1, 32, 16]
// score_mod's read of the captured slope of query head H (not the
// key/value head) depends on the head alone: computed once per query
// block, before its key loop.
// FLASH:           %[[SLOPE:.*]] = tensor.extract %[[SL]][%[[H]]] : tensor<4xf32>
// The key blocks from KB.
// FLASH:           scf.for %[[KB:[a-zA-Z0-9_]+]] = %{{.*}} to %{{.*}} step %[[C64]]
// The scores k qᵀ [64 keys, 32 queries], then the generic that masks them.
// FLASH:             %[[KQ:.*]] = linalg.generic {{.*}} iterator_types = ["parallel", "parallel", "reduction"]
// FLASH:             linalg.generic {{.*}} ins(%[[KQ]] : tensor<64x32xf32>)
// FLASH-NEXT:        ^bb0(%[[S:[a-zA-Z0-9_]+]]: f32, %{{.*}}: f32):
// Absolute indices: query QB + dim 1, key KB + dim 0 (key-major block).
// FLASH-NEXT:          %[[LI:.*]] = linalg.index 1 : index
// FLASH-NEXT:          %[[I:.*]] = arith.addi %[[QB]], %[[LI]] : index
// FLASH-NEXT:          %[[LJ:.*]] = linalg.index 0 : index
// FLASH-NEXT:          %[[J:.*]] = arith.addi %[[KB]], %[[LJ]] : index
// The rest of score_mod's body: s - slopes[h] * (i - j).
// FLASH-NEXT:          %[[D:.*]] = arith.subi %[[I]], %[[J]] : index
// FLASH-NEXT:          %[[DI:.*]] = arith.index_cast %[[D]] : index to i64
// FLASH-NEXT:          %[[DF:.*]] = arith.sitofp %[[DI]] : i64 to f32
// FLASH-NEXT:          %[[T:.*]] = arith.mulf %[[SLOPE]], %[[DF]] : f32
// FLASH-NEXT:          %[[SM:.*]] = arith.subf %[[S]], %[[T]] : f32
// mask_mod's body (doc[i] == doc[j]) drives a select with -inf.
// FLASH-NEXT:          %[[DOCI:.*]] = tensor.extract %[[DOC]][%[[I]]] : tensor<256xi32>
// FLASH-NEXT:          %[[DOCJ:.*]] = tensor.extract %[[DOC]][%[[J]]] : tensor<256xi32>
// FLASH-NEXT:          %[[KEEP:.*]] = arith.cmpi eq, %[[DOCI]], %[[DOCJ]] : i32
// FLASH-NEXT:          %[[MASKED:.*]] = arith.select %[[KEEP]], %[[SM]], %[[NEGINF]] : f32
// FLASH-NEXT:          linalg.yield %[[MASKED]] : f32
// Whole blocks: nothing is padded, no index is clamped.
// FLASH-NOT:     arith.minsi
// FLASH-NOT:     {{attn\.[a-z_]+ }}
// FLASH:         return

// DECOMP-LABEL: func.func @flex_gqa(
// DECOMP-SAME:    %[[Q:[a-zA-Z0-9_]+]]: tensor<1x4x128x16xf32>, %[[K:[a-zA-Z0-9_]+]]: tensor<1x2x256x16xf32>, %[[V:[a-zA-Z0-9_]+]]: tensor<1x2x256x8xf32>, %[[DOC:[a-zA-Z0-9_]+]]: tensor<256xi32>, %[[SL:[a-zA-Z0-9_]+]]: tensor<4xf32>)
// DECOMP-NOT:     {{(= |^ *)attn\.[a-z_]+ }}
// DECOMP-DAG:     %[[NEGINF:.*]] = arith.constant 0xFF800000 : f32
// DECOMP-DAG:     %[[SCALE:.*]] = arith.constant 2.500000e-01 : f32
// All the [1, 4, 128, 256] scores, then one generic scales and masks them:
// the indices are those of the scores (head dim 1, query 2, key 3).
// DECOMP:         %[[QK:[a-zA-Z0-9_]+]] = linalg.generic {{.*}} outs(%{{[a-zA-Z0-9_]+}} : tensor<1x4x128x256xf32>)
// DECOMP:         linalg.generic {{.*}} ins(%[[QK]] : tensor<1x4x128x256xf32>)
// DECOMP-NEXT:    ^bb0(%[[RAW:[a-zA-Z0-9_]+]]: f32, %{{.*}}: f32):
// DECOMP-NEXT:      %[[S:.*]] = arith.mulf %[[RAW]], %[[SCALE]] : f32
// DECOMP-NEXT:      %[[H:.*]] = linalg.index 1 : index
// DECOMP-NEXT:      %[[I:.*]] = linalg.index 2 : index
// DECOMP-NEXT:      %[[J:.*]] = linalg.index 3 : index
// DECOMP-NEXT:      %[[SLOPE:.*]] = tensor.extract %[[SL]][%[[H]]] : tensor<4xf32>
// DECOMP-NEXT:      %[[D:.*]] = arith.subi %[[I]], %[[J]] : index
// DECOMP-NEXT:      %[[DI:.*]] = arith.index_cast %[[D]] : index to i64
// DECOMP-NEXT:      %[[DF:.*]] = arith.sitofp %[[DI]] : i64 to f32
// DECOMP-NEXT:      %[[T:.*]] = arith.mulf %[[SLOPE]], %[[DF]] : f32
// DECOMP-NEXT:      %[[SM:.*]] = arith.subf %[[S]], %[[T]] : f32
// DECOMP-NEXT:      %[[DOCI:.*]] = tensor.extract %[[DOC]][%[[I]]] : tensor<256xi32>
// DECOMP-NEXT:      %[[DOCJ:.*]] = tensor.extract %[[DOC]][%[[J]]] : tensor<256xi32>
// DECOMP-NEXT:      %[[KEEP:.*]] = arith.cmpi eq, %[[DOCI]], %[[DOCJ]] : i32
// DECOMP-NEXT:      %[[MASKED:.*]] = arith.select %[[KEEP]], %[[SM]], %[[NEGINF]] : f32
// DECOMP-NEXT:      linalg.yield %[[MASKED]] : f32
// DECOMP-NOT:     arith.minsi
// DECOMP-NOT:     {{(= |^ *)attn\.[a-z_]+ }}
// DECOMP:         return
func.func @flex_gqa(%q: tensor<1x4x128x16xf32>, %k: tensor<1x2x256x16xf32>, %v: tensor<1x2x256x8xf32>, %doc: tensor<256xi32>, %sl: tensor<4xf32>) -> tensor<1x4x128x8xf32> {
  %o = attn.attention %q, %k, %v score_mod {
  ^bb0(%s: f32, %b: index, %h: index, %i: index, %j: index):
    %slope = tensor.extract %sl[%h] : tensor<4xf32>
    %d = arith.subi %i, %j : index
    %di = arith.index_cast %d : index to i64
    %df = arith.sitofp %di : i64 to f32
    %t = arith.mulf %slope, %df : f32
    %r = arith.subf %s, %t : f32
    attn.yield %r : f32
  } mask_mod {
  ^bb0(%b: index, %h: index, %i: index, %j: index):
    %di = tensor.extract %doc[%i] : tensor<256xi32>
    %dj = tensor.extract %doc[%j] : tensor<256xi32>
    %same = arith.cmpi eq, %di, %dj : i32
    attn.yield %same : i1
  } : tensor<1x4x128x16xf32>, tensor<1x2x256x16xf32>, tensor<1x2x256x8xf32>
  return %o : tensor<1x4x128x8xf32>
}

// -----

// M = N = 100: neither is a whole number of blocks (32, 64). The padding
// rows and keys (100 to 127) read the regions at the last real row and key,
// 99: a captured tensor of 100 entries is never read out of bounds.

// FLASH-LABEL: func.func @flex_ragged(
// FLASH-SAME:    %{{.*}}: tensor<1x2x100x16xf32>, %{{.*}}: tensor<1x2x100x16xf32>, %{{.*}}: tensor<1x2x100x8xf32>, %[[DOC:[a-zA-Z0-9_]+]]: tensor<100xi32>)
// FLASH-NOT:     {{attn\.[a-z_]+ }}
// FLASH-DAG:     %[[C99:.*]] = arith.constant 99 : index
// FLASH-DAG:     %[[C32:.*]] = arith.constant 32 : index
// FLASH-DAG:     %[[NEGINF:.*]] = arith.constant 0xFF800000 : f32
// FLASH:         scf.for
// FLASH:           %[[QB:.*]] = arith.muli %{{.*}}, %[[C32]] : index
// FLASH:           scf.for %[[KB:[a-zA-Z0-9_]+]] = %{{.*}} to %{{.*}} step
// The padding keys' -inf (KPAD) is the generic's second input.
// FLASH:             linalg.generic {{.*}} ins(%{{[a-zA-Z0-9_]+}}, %{{[a-zA-Z0-9_]+}} : tensor<64x32xf32>, tensor<1x64xf32>)
// FLASH-NEXT:        ^bb0(%[[S:[a-zA-Z0-9_]+]]: f32, %[[KPAD:[a-zA-Z0-9_]+]]: f32, %{{.*}}: f32):
// FLASH-NEXT:          %[[LI:.*]] = linalg.index 1 : index
// FLASH-NEXT:          %[[I:.*]] = arith.addi %[[QB]], %[[LI]] : index
// FLASH-NEXT:          %[[LJ:.*]] = linalg.index 0 : index
// FLASH-NEXT:          %[[J:.*]] = arith.addi %[[KB]], %[[LJ]] : index
// FLASH-NEXT:          %[[CI:.*]] = arith.minsi %[[I]], %[[C99]] : index
// FLASH-NEXT:          %[[CJ:.*]] = arith.minsi %[[J]], %[[C99]] : index
// score_mod (s + (i - j)) reads the clamped indices ...
// FLASH-NEXT:          %[[D:.*]] = arith.subi %[[CI]], %[[CJ]] : index
// FLASH-NEXT:          %[[DI:.*]] = arith.index_cast %[[D]] : index to i64
// FLASH-NEXT:          %[[DF:.*]] = arith.sitofp %[[DI]] : i64 to f32
// FLASH-NEXT:          %[[SM:.*]] = arith.addf %[[S]], %[[DF]] : f32
// ... the padding keys are hidden after it ...
// FLASH-NEXT:          %[[SP:.*]] = arith.addf %[[SM]], %[[KPAD]] : f32
// ... and so does mask_mod.
// FLASH-NEXT:          %[[DOCI:.*]] = tensor.extract %[[DOC]][%[[CI]]] : tensor<100xi32>
// FLASH-NEXT:          %[[DOCJ:.*]] = tensor.extract %[[DOC]][%[[CJ]]] : tensor<100xi32>
// FLASH-NEXT:          %[[KEEP:.*]] = arith.cmpi eq, %[[DOCI]], %[[DOCJ]] : i32
// FLASH-NEXT:          %[[MASKED:.*]] = arith.select %[[KEEP]], %[[SP]], %[[NEGINF]] : f32
// FLASH-NEXT:          linalg.yield %[[MASKED]] : f32
// FLASH-NOT:     {{attn\.[a-z_]+ }}
// FLASH:         return

// No padding in the decomposed form: nothing to clamp.
// DECOMP-LABEL: func.func @flex_ragged(
// DECOMP-SAME:    %[[DOC:[a-zA-Z0-9_]+]]: tensor<100xi32>)
// DECOMP:         linalg.generic {{.*}} ins(%{{[a-zA-Z0-9_]+}} : tensor<1x2x100x100xf32>)
// DECOMP:           %[[I:.*]] = linalg.index 2 : index
// DECOMP-NEXT:      %[[J:.*]] = linalg.index 3 : index
// DECOMP-NOT:       arith.minsi
// DECOMP:           tensor.extract %[[DOC]][%[[I]]] : tensor<100xi32>
// DECOMP-NEXT:      tensor.extract %[[DOC]][%[[J]]] : tensor<100xi32>
// DECOMP-NOT:     arith.minsi
// DECOMP-NOT:     {{(= |^ *)attn\.[a-z_]+ }}
// DECOMP:         return
func.func @flex_ragged(%q: tensor<1x2x100x16xf32>, %k: tensor<1x2x100x16xf32>, %v: tensor<1x2x100x8xf32>, %doc: tensor<100xi32>) -> tensor<1x2x100x8xf32> {
  %o = attn.attention %q, %k, %v score_mod {
  ^bb0(%s: f32, %b: index, %h: index, %i: index, %j: index):
    %d = arith.subi %i, %j : index
    %di = arith.index_cast %d : index to i64
    %df = arith.sitofp %di : i64 to f32
    %r = arith.addf %s, %df : f32
    attn.yield %r : f32
  } mask_mod {
  ^bb0(%b: index, %h: index, %i: index, %j: index):
    %di = tensor.extract %doc[%i] : tensor<100xi32>
    %dj = tensor.extract %doc[%j] : tensor<100xi32>
    %same = arith.cmpi eq, %di, %dj : i32
    attn.yield %same : i1
  } : tensor<1x2x100x16xf32>, tensor<1x2x100x16xf32>, tensor<1x2x100x8xf32>
  return %o : tensor<1x2x100x8xf32>
}

// -----

// Dynamic M and N with causal: the indices are clamped to M - 1 and N - 1,
// in the blocks the causal diagonal crosses and in those every row sees
// whole (mask_mod is applied to both: only the causal mask is skipped).

// FLASH-LABEL: func.func @flex_dynamic(
// FLASH-SAME:    %[[Q:[a-zA-Z0-9_]+]]: tensor<1x2x?x16xf32>, %[[K:[a-zA-Z0-9_]+]]: tensor<1x2x?x16xf32>, %{{.*}}: tensor<1x2x?x16xf32>, %[[DOC:[a-zA-Z0-9_]+]]: tensor<?xi32>)
// FLASH-DAG:     %[[C1:.*]] = arith.constant 1 : index
// FLASH-DAG:     %[[C2:.*]] = arith.constant 2 : index
// FLASH-DAG:     %[[NEGINF:.*]] = arith.constant 0xFF800000 : f32
// FLASH-DAG:     %[[M:.*]] = tensor.dim %[[Q]], %[[C2]] : tensor<1x2x?x16xf32>
// FLASH-DAG:     %[[N:.*]] = tensor.dim %[[K]], %[[C2]] : tensor<1x2x?x16xf32>
// FLASH-DAG:     %[[LASTROW:.*]] = arith.subi %[[M]], %[[C1]] : index
// FLASH-DAG:     %[[LASTKEY:.*]] = arith.subi %[[N]], %[[C1]] : index
// FLASH:         scf.for
// The blocks every row sees whole: mask_mod, no causal mask.
// FLASH:           scf.for
// FLASH:             linalg.generic {{.*}} ins(%{{[a-zA-Z0-9_]+}} : tensor<64x32xf32>)
// FLASH-NEXT:        ^bb0(%[[S:[a-zA-Z0-9_]+]]: f32, %{{.*}}: f32):
// FLASH-NEXT:          linalg.index 1 : index
// FLASH-NEXT:          %[[I:.*]] = arith.addi
// FLASH-NEXT:          linalg.index 0 : index
// FLASH-NEXT:          %[[J:.*]] = arith.addi
// FLASH-NEXT:          %[[CI:.*]] = arith.minsi %[[I]], %[[LASTROW]] : index
// FLASH-NEXT:          %[[CJ:.*]] = arith.minsi %[[J]], %[[LASTKEY]] : index
// FLASH-NEXT:          %[[DOCI:.*]] = tensor.extract %[[DOC]][%[[CI]]] : tensor<?xi32>
// FLASH-NEXT:          %[[DOCJ:.*]] = tensor.extract %[[DOC]][%[[CJ]]] : tensor<?xi32>
// FLASH-NEXT:          %[[KEEP:.*]] = arith.cmpi eq, %[[DOCI]], %[[DOCJ]] : i32
// FLASH-NEXT:          %[[MASKED:.*]] = arith.select %[[KEEP]], %[[S]], %[[NEGINF]] : f32
// FLASH-NEXT:          linalg.yield %[[MASKED]] : f32
// The blocks the diagonal crosses: mask_mod, then the causal mask.
// FLASH:           scf.for
// FLASH:             linalg.generic {{.*}} ins(%{{[a-zA-Z0-9_]+}} : tensor<64x32xf32>)
// FLASH:               arith.minsi %{{.*}}, %[[LASTROW]] : index
// FLASH-NEXT:          arith.minsi %{{.*}}, %[[LASTKEY]] : index
// FLASH-NEXT:          tensor.extract %[[DOC]]
// FLASH-NEXT:          tensor.extract %[[DOC]]
// FLASH-NEXT:          arith.cmpi eq
// FLASH-NEXT:          %[[MASKED2:.*]] = arith.select %{{.*}}, %{{.*}}, %[[NEGINF]] : f32
// FLASH-NEXT:          %[[HIDDEN:.*]] = arith.cmpi sgt
// FLASH-NEXT:          arith.select %[[HIDDEN]], %[[NEGINF]], %[[MASKED2]] : f32
// FLASH-NOT:     {{attn\.[a-z_]+ }}
// FLASH:         return

// DECOMP-LABEL: func.func @flex_dynamic(
// DECOMP-SAME:    %[[DOC:[a-zA-Z0-9_]+]]: tensor<?xi32>)
// DECOMP:         linalg.generic {{.*}} ins(%{{[a-zA-Z0-9_]+}} : tensor<1x2x?x?xf32>)
// DECOMP:           %[[I:.*]] = linalg.index 2 : index
// DECOMP-NEXT:      %[[J:.*]] = linalg.index 3 : index
// DECOMP-NEXT:      tensor.extract %[[DOC]][%[[I]]] : tensor<?xi32>
// DECOMP-NEXT:      tensor.extract %[[DOC]][%[[J]]] : tensor<?xi32>
// DECOMP-NOT:     {{(= |^ *)attn\.[a-z_]+ }}
// DECOMP:         return
func.func @flex_dynamic(%q: tensor<1x2x?x16xf32>, %k: tensor<1x2x?x16xf32>, %v: tensor<1x2x?x16xf32>, %doc: tensor<?xi32>) -> tensor<1x2x?x16xf32> {
  %o = attn.attention %q, %k, %v causal mask_mod {
  ^bb0(%b: index, %h: index, %i: index, %j: index):
    %di = tensor.extract %doc[%i] : tensor<?xi32>
    %dj = tensor.extract %doc[%j] : tensor<?xi32>
    %same = arith.cmpi eq, %di, %dj : i32
    attn.yield %same : i1
  } : tensor<1x2x?x16xf32>, tensor<1x2x?x16xf32>, tensor<1x2x?x16xf32>
  return %o : tensor<1x2x?x16xf32>
}

// -----

// online_attention alone: its scores are at the origin [b0, h0, i0, j0] of
// the whole attention; the regions see the origin plus the linalg.index of
// the op's own scores (the same in both lowerings).

// FLASH-LABEL: func.func @online_origin(
// FLASH-SAME:    %[[B0:[a-zA-Z0-9_]+]]: index, %[[H0:[a-zA-Z0-9_]+]]: index, %[[I0:[a-zA-Z0-9_]+]]: index, %[[J0:[a-zA-Z0-9_]+]]: index, %[[DOC:[a-zA-Z0-9_]+]]: tensor<?xi32>, %[[SL:[a-zA-Z0-9_]+]]: tensor<8xf32>)
// FLASH-DAG:     %[[NEGINF:.*]] = arith.constant 0xFF800000 : f32
// FLASH:         linalg.generic {{.*}} ins(%{{[a-zA-Z0-9_]+}} : tensor<1x2x32x64xf32>)
// FLASH-NEXT:    ^bb0(%[[RAW:[a-zA-Z0-9_]+]]: f32, %{{.*}}: f32):
// FLASH-NEXT:      %[[S:.*]] = arith.mulf %[[RAW]], %{{.*}} : f32
// FLASH-NEXT:      %[[LH:.*]] = linalg.index 1 : index
// FLASH-NEXT:      %[[H:.*]] = arith.addi %[[H0]], %[[LH]] : index
// FLASH-NEXT:      %[[LI:.*]] = linalg.index 2 : index
// FLASH-NEXT:      %[[I:.*]] = arith.addi %[[I0]], %[[LI]] : index
// FLASH-NEXT:      %[[LJ:.*]] = linalg.index 3 : index
// FLASH-NEXT:      %[[J:.*]] = arith.addi %[[J0]], %[[LJ]] : index
// FLASH-NEXT:      %[[SLOPE:.*]] = tensor.extract %[[SL]][%[[H]]] : tensor<8xf32>
// FLASH-NEXT:      %[[SM:.*]] = arith.mulf %[[S]], %[[SLOPE]] : f32
// FLASH-NEXT:      %[[DOCI:.*]] = tensor.extract %[[DOC]][%[[I]]] : tensor<?xi32>
// FLASH-NEXT:      %[[DOCJ:.*]] = tensor.extract %[[DOC]][%[[J]]] : tensor<?xi32>
// FLASH-NEXT:      %[[KEEP:.*]] = arith.cmpi eq, %[[DOCI]], %[[DOCJ]] : i32
// FLASH-NEXT:      %[[MASKED:.*]] = arith.select %[[KEEP]], %[[SM]], %[[NEGINF]] : f32
// FLASH-NEXT:      linalg.yield %[[MASKED]] : f32
// FLASH-NOT:     {{attn\.[a-z_]+ }}
// FLASH:         return

// DECOMP-LABEL: func.func @online_origin(
// DECOMP-SAME:    %[[B0:[a-zA-Z0-9_]+]]: index, %[[H0:[a-zA-Z0-9_]+]]: index, %[[I0:[a-zA-Z0-9_]+]]: index, %[[J0:[a-zA-Z0-9_]+]]: index, %[[DOC:[a-zA-Z0-9_]+]]: tensor<?xi32>, %[[SL:[a-zA-Z0-9_]+]]: tensor<8xf32>)
// DECOMP:           %[[LH:.*]] = linalg.index 1 : index
// DECOMP-NEXT:      %[[H:.*]] = arith.addi %[[H0]], %[[LH]] : index
// DECOMP-NEXT:      %[[LI:.*]] = linalg.index 2 : index
// DECOMP-NEXT:      %[[I:.*]] = arith.addi %[[I0]], %[[LI]] : index
// DECOMP-NEXT:      %[[LJ:.*]] = linalg.index 3 : index
// DECOMP-NEXT:      %[[J:.*]] = arith.addi %[[J0]], %[[LJ]] : index
// DECOMP-NEXT:      tensor.extract %[[SL]][%[[H]]] : tensor<8xf32>
// DECOMP:           tensor.extract %[[DOC]][%[[I]]] : tensor<?xi32>
// DECOMP-NEXT:      tensor.extract %[[DOC]][%[[J]]] : tensor<?xi32>
// DECOMP-NOT:     {{(= |^ *)attn\.[a-z_]+ }}
// DECOMP:         return
func.func @online_origin(%q: tensor<1x2x32x16xf32>, %k: tensor<1x2x64x16xf32>, %v: tensor<1x2x64x8xf32>,
                         %acc: tensor<1x2x32x8xf32>, %max: tensor<1x2x32xf32>, %sum: tensor<1x2x32xf32>,
                         %b0: index, %h0: index, %i0: index, %j0: index, %doc: tensor<?xi32>, %sl: tensor<8xf32>) -> tensor<1x2x32x8xf32> {
  %a, %m, %s = attn.online_attention %q, %k, %v at [%b0, %h0, %i0, %j0] score_mod {
  ^bb0(%x: f32, %b: index, %h: index, %i: index, %j: index):
    %slope = tensor.extract %sl[%h] : tensor<8xf32>
    %r = arith.mulf %x, %slope : f32
    attn.yield %r : f32
  } mask_mod {
  ^bb0(%b: index, %h: index, %i: index, %j: index):
    %di = tensor.extract %doc[%i] : tensor<?xi32>
    %dj = tensor.extract %doc[%j] : tensor<?xi32>
    %keep = arith.cmpi eq, %di, %dj : i32
    attn.yield %keep : i1
  } into %acc, %max, %sum : tensor<1x2x32x16xf32>, tensor<1x2x64x16xf32>, tensor<1x2x64x8xf32> -> tensor<1x2x32x8xf32>, tensor<1x2x32xf32>, tensor<1x2x32xf32>
  return %a : tensor<1x2x32x8xf32>
}

// -----

// The backward recomputes the probabilities with the forward's mask_mod:
// in each block of 32 queries x 64 keys of the flash backward (query-major
// there: query QB + dim 0, key KB + dim 1), clamped to 99 as M = N = 100.

// FLASH-LABEL: func.func @backward_mask_mod(
// FLASH-SAME:    %[[DOC:[a-zA-Z0-9_]+]]: tensor<100xi32>)
// FLASH-DAG:     %[[C64:.*]] = arith.constant 64 : index
// FLASH-DAG:     %[[C99:.*]] = arith.constant 99 : index
// FLASH-DAG:     %[[NEGINF:.*]] = arith.constant 0xFF800000 : f32
// The key block KB, then the query blocks QB that see it.
// FLASH:         scf.for
// FLASH:           %[[KB:.*]] = arith.muli %{{.*}}, %[[C64]] : index
// FLASH:           scf.for %[[QB:[a-zA-Z0-9_]+]] = %{{.*}} to %{{.*}} step
// FLASH:             %[[QK:.*]] = linalg.generic {{.*}} iterator_types = ["parallel", "parallel", "reduction"]
// FLASH:             %[[P:.*]] = linalg.generic {{.*}} ins(%[[QK]] : tensor<32x64xf32>)
// FLASH-NEXT:        ^bb0(%[[RAW:[a-zA-Z0-9_]+]]: f32, %{{.*}}: f32):
// FLASH-NEXT:          %[[S:.*]] = arith.mulf %[[RAW]], %{{.*}} : f32
// FLASH-NEXT:          %[[LI:.*]] = linalg.index 0 : index
// FLASH-NEXT:          %[[I:.*]] = arith.addi %[[QB]], %[[LI]] : index
// FLASH-NEXT:          %[[LJ:.*]] = linalg.index 1 : index
// FLASH-NEXT:          %[[J:.*]] = arith.addi %[[KB]], %[[LJ]] : index
// FLASH-NEXT:          %[[CI:.*]] = arith.minsi %[[I]], %[[C99]] : index
// FLASH-NEXT:          %[[CJ:.*]] = arith.minsi %[[J]], %[[C99]] : index
// FLASH-NEXT:          %[[DOCI:.*]] = tensor.extract %[[DOC]][%[[CI]]] : tensor<100xi32>
// FLASH-NEXT:          %[[DOCJ:.*]] = tensor.extract %[[DOC]][%[[CJ]]] : tensor<100xi32>
// FLASH-NEXT:          %[[KEEP:.*]] = arith.cmpi eq, %[[DOCI]], %[[DOCJ]] : i32
// FLASH-NEXT:          %[[MASKED:.*]] = arith.select %[[KEEP]], %[[S]], %[[NEGINF]] : f32
// FLASH-NEXT:          linalg.yield %[[MASKED]] : f32
// P = exp(S - lse) from the masked scores.
// FLASH:             linalg.generic {{.*}} ins(%[[P]], %{{[a-zA-Z0-9_]+}} : tensor<32x64xf32>, tensor<32xf32>)
// FLASH:               arith.subf
// FLASH-NEXT:          math.exp
// FLASH-NOT:     {{attn\.[a-z_]+ }}
// FLASH:         return

// DECOMP-LABEL: func.func @backward_mask_mod(
// DECOMP-SAME:    %[[DOC:[a-zA-Z0-9_]+]]: tensor<100xi32>)
// DECOMP-DAG:     %[[NEGINF:.*]] = arith.constant 0xFF800000 : f32
// DECOMP:         linalg.generic {{.*}} ins(%{{[a-zA-Z0-9_]+}} : tensor<1x2x100x100xf32>)
// DECOMP-NEXT:    ^bb0(%[[RAW:[a-zA-Z0-9_]+]]: f32, %{{.*}}: f32):
// DECOMP-NEXT:      %[[S:.*]] = arith.mulf %[[RAW]], %{{.*}} : f32
// DECOMP-NEXT:      %[[I:.*]] = linalg.index 2 : index
// DECOMP-NEXT:      %[[J:.*]] = linalg.index 3 : index
// DECOMP-NEXT:      %[[DOCI:.*]] = tensor.extract %[[DOC]][%[[I]]] : tensor<100xi32>
// DECOMP-NEXT:      %[[DOCJ:.*]] = tensor.extract %[[DOC]][%[[J]]] : tensor<100xi32>
// DECOMP-NEXT:      %[[KEEP:.*]] = arith.cmpi eq, %[[DOCI]], %[[DOCJ]] : i32
// DECOMP-NEXT:      arith.select %[[KEEP]], %[[S]], %[[NEGINF]] : f32
// DECOMP-NOT:     {{(= |^ *)attn\.[a-z_]+ }}
// DECOMP:         return
func.func @backward_mask_mod(%do: tensor<1x2x100x16xf32>, %q: tensor<1x2x100x16xf32>, %k: tensor<1x2x100x16xf32>, %v: tensor<1x2x100x16xf32>,
                             %o: tensor<1x2x100x16xf32>, %lse: tensor<1x2x100xf32>, %doc: tensor<100xi32>)
    -> (tensor<1x2x100x16xf32>, tensor<1x2x100x16xf32>, tensor<1x2x100x16xf32>) {
  %dq, %dk, %dv = attn.attention_backward %do, %q, %k, %v, %o, %lse mask_mod {
  ^bb0(%b: index, %h: index, %i: index, %j: index):
    %di = tensor.extract %doc[%i] : tensor<100xi32>
    %dj = tensor.extract %doc[%j] : tensor<100xi32>
    %same = arith.cmpi eq, %di, %dj : i32
    attn.yield %same : i1
  } : tensor<1x2x100x16xf32>, tensor<1x2x100x16xf32>, tensor<1x2x100x16xf32>, tensor<1x2x100x16xf32>, tensor<1x2x100x16xf32>, tensor<1x2x100xf32>
  return %dq, %dk, %dv : tensor<1x2x100x16xf32>, tensor<1x2x100x16xf32>, tensor<1x2x100x16xf32>
}
