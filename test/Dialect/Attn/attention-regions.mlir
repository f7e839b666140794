// RUN: attn-opt %s --split-input-file | attn-opt --split-input-file | FileCheck %s
// Round trip of the score_mod and mask_mod regions (FlexAttention's user
// functions) of attn.attention, attn.online_attention and
// attn.attention_backward: custom form back to custom form, and through the
// generic form (two regions, empty when absent).
// RUN: attn-opt %s --split-input-file --mlir-print-op-generic | attn-opt --split-input-file | FileCheck %s
// The generic form itself: two regions, score_mod then mask_mod, an empty
// one ({}) for a region not given.
// RUN: attn-opt %s --split-input-file --mlir-print-op-generic | FileCheck %s --check-prefix=GENERIC

// score_mod alone: a softcap written by hand. Its arguments are the score
// (f32) and the score's batch, head, query and key (index).
// CHECK-LABEL: func.func @score_mod_only(
// CHECK-SAME:    %[[Q:[a-zA-Z0-9_]+]]: tensor<1x2x64x16xf32>, %[[K:[a-zA-Z0-9_]+]]: tensor<1x2x64x16xf32>, %[[V:[a-zA-Z0-9_]+]]: tensor<1x2x64x16xf32>)
// CHECK:         %[[O:.*]] = attn.attention %[[Q]], %[[K]], %[[V]] score_mod {
// CHECK-NEXT:    ^bb0(%[[S:.*]]: f32, %{{.*}}: index, %{{.*}}: index, %{{.*}}: index, %{{.*}}: index):
// CHECK-NEXT:      %[[D:.*]] = arith.divf %[[S]], %{{.*}} : f32
// CHECK-NEXT:      %[[T:.*]] = math.tanh %[[D]] : f32
// CHECK-NEXT:      %[[R:.*]] = arith.mulf %[[T]], %{{.*}} : f32
// CHECK-NEXT:      attn.yield %[[R]] : f32
// CHECK-NEXT:    } : tensor<1x2x64x16xf32>, tensor<1x2x64x16xf32>, tensor<1x2x64x16xf32>
// No mask_mod is printed when the region is empty.
// CHECK-NOT:     mask_mod
// CHECK:         return %[[O]]
// GENERIC-LABEL: sym_name = "score_mod_only"
// GENERIC:         "attn.attention"(%{{.*}}, %{{.*}}, %{{.*}}) <{{{.*}}}> ({
// GENERIC-NEXT:    ^bb0(%{{.*}}: f32, %{{.*}}: index, %{{.*}}: index, %{{.*}}: index, %{{.*}}: index):
// GENERIC:           "attn.yield"(%{{.*}}) : (f32) -> ()
// GENERIC-NEXT:    }, {
// GENERIC-NEXT:    }) : (tensor<1x2x64x16xf32>, tensor<1x2x64x16xf32>, tensor<1x2x64x16xf32>) -> tensor<1x2x64x16xf32>
func.func @score_mod_only(%q: tensor<1x2x64x16xf32>, %k: tensor<1x2x64x16xf32>, %v: tensor<1x2x64x16xf32>) -> tensor<1x2x64x16xf32> {
  %cap = arith.constant 30.0 : f32
  %o = attn.attention %q, %k, %v score_mod {
  ^bb0(%s: f32, %b: index, %h: index, %i: index, %j: index):
    %d = arith.divf %s, %cap : f32
    %t = math.tanh %d : f32
    %r = arith.mulf %t, %cap : f32
    attn.yield %r : f32
  } : tensor<1x2x64x16xf32>, tensor<1x2x64x16xf32>, tensor<1x2x64x16xf32>
  return %o : tensor<1x2x64x16xf32>
}

// -----

// mask_mod alone (rank 3, [H, M, D]): causal written as a predicate on the
// query and key indices.
// CHECK-LABEL: func.func @mask_mod_only(
// CHECK-SAME:    %[[Q:[a-zA-Z0-9_]+]]: tensor<2x64x16xf32>, %[[K:[a-zA-Z0-9_]+]]: tensor<2x64x16xf32>, %[[V:[a-zA-Z0-9_]+]]: tensor<2x64x16xf32>)
// CHECK:         attn.attention %[[Q]], %[[K]], %[[V]] mask_mod {
// CHECK-NEXT:    ^bb0(%{{.*}}: index, %{{.*}}: index, %[[I:.*]]: index, %[[J:.*]]: index):
// CHECK-NEXT:      %[[KEEP:.*]] = arith.cmpi sle, %[[J]], %[[I]] : index
// CHECK-NEXT:      attn.yield %[[KEEP]] : i1
// CHECK-NEXT:    } : tensor<2x64x16xf32>, tensor<2x64x16xf32>, tensor<2x64x16xf32>
// GENERIC-LABEL: sym_name = "mask_mod_only"
// GENERIC:         "attn.attention"(%{{.*}}, %{{.*}}, %{{.*}}) <{{{.*}}}> ({
// GENERIC-NEXT:    }, {
// GENERIC-NEXT:    ^bb0(%{{.*}}: index, %{{.*}}: index, %{{.*}}: index, %{{.*}}: index):
// GENERIC-NEXT:      %[[KEEP:.*]] = "arith.cmpi"
// GENERIC-NEXT:      "attn.yield"(%[[KEEP]]) : (i1) -> ()
// GENERIC-NEXT:    }) : (tensor<2x64x16xf32>, tensor<2x64x16xf32>, tensor<2x64x16xf32>) -> tensor<2x64x16xf32>
func.func @mask_mod_only(%q: tensor<2x64x16xf32>, %k: tensor<2x64x16xf32>, %v: tensor<2x64x16xf32>) -> tensor<2x64x16xf32> {
  %o = attn.attention %q, %k, %v mask_mod {
  ^bb0(%b: index, %h: index, %i: index, %j: index):
    %keep = arith.cmpi sle, %j, %i : index
    attn.yield %keep : i1
  } : tensor<2x64x16xf32>, tensor<2x64x16xf32>, tensor<2x64x16xf32>
  return %o : tensor<2x64x16xf32>
}

// -----

// Both regions, reading tensors captured from above (no isolation): ALiBi
// from per-head slopes in score_mod, document masking from per-token
// document ids in mask_mod. Dynamic sequence lengths.
// CHECK-LABEL: func.func @both_captured(
// CHECK-SAME:    %[[Q:[a-zA-Z0-9_]+]]: tensor<1x2x?x16xf32>, %[[K:[a-zA-Z0-9_]+]]: tensor<1x2x?x16xf32>, %[[V:[a-zA-Z0-9_]+]]: tensor<1x2x?x16xf32>, %[[DOC:[a-zA-Z0-9_]+]]: tensor<?xi32>, %[[SL:[a-zA-Z0-9_]+]]: tensor<2xf32>)
// CHECK:         attn.attention %[[Q]], %[[K]], %[[V]] score_mod {
// CHECK-NEXT:    ^bb0(%[[S:.*]]: f32, %{{.*}}: index, %[[H:.*]]: index, %[[I:.*]]: index, %[[J:.*]]: index):
// CHECK-NEXT:      %[[SLOPE:.*]] = tensor.extract %[[SL]][%[[H]]] : tensor<2xf32>
// CHECK-NEXT:      %[[D:.*]] = arith.subi %[[I]], %[[J]] : index
// CHECK-NEXT:      %[[DI:.*]] = arith.index_cast %[[D]] : index to i64
// CHECK-NEXT:      %[[DF:.*]] = arith.sitofp %[[DI]] : i64 to f32
// CHECK-NEXT:      %[[T:.*]] = arith.mulf %[[SLOPE]], %[[DF]] : f32
// CHECK-NEXT:      %[[R:.*]] = arith.subf %[[S]], %[[T]] : f32
// CHECK-NEXT:      attn.yield %[[R]] : f32
// CHECK-NEXT:    } mask_mod {
// CHECK-NEXT:    ^bb0(%{{.*}}: index, %{{.*}}: index, %[[I2:.*]]: index, %[[J2:.*]]: index):
// CHECK-NEXT:      %[[DOCI:.*]] = tensor.extract %[[DOC]][%[[I2]]] : tensor<?xi32>
// CHECK-NEXT:      %[[DOCJ:.*]] = tensor.extract %[[DOC]][%[[J2]]] : tensor<?xi32>
// CHECK-NEXT:      %[[SAME:.*]] = arith.cmpi eq, %[[DOCI]], %[[DOCJ]] : i32
// CHECK-NEXT:      %[[C:.*]] = arith.cmpi sle, %[[J2]], %[[I2]] : index
// CHECK-NEXT:      %[[KEEP:.*]] = arith.andi %[[SAME]], %[[C]] : i1
// CHECK-NEXT:      attn.yield %[[KEEP]] : i1
// CHECK-NEXT:    } : tensor<1x2x?x16xf32>, tensor<1x2x?x16xf32>, tensor<1x2x?x16xf32>
func.func @both_captured(%q: tensor<1x2x?x16xf32>, %k: tensor<1x2x?x16xf32>, %v: tensor<1x2x?x16xf32>, %doc: tensor<?xi32>, %sl: tensor<2xf32>) -> tensor<1x2x?x16xf32> {
  %o = attn.attention %q, %k, %v score_mod {
  ^bb0(%s: f32, %b: index, %h: index, %i: index, %j: index):
    %slope = tensor.extract %sl[%h] : tensor<2xf32>
    %d = arith.subi %i, %j : index
    %di = arith.index_cast %d : index to i64
    %df = arith.sitofp %di : i64 to f32
    %t = arith.mulf %slope, %df : f32
    %r = arith.subf %s, %t : f32
    attn.yield %r : f32
  } mask_mod {
  ^bb0(%b: index, %h: index, %i: index, %j: index):
    %di = tensor.extract %doc[%i] : tensor<?xi32>
    %dj = tensor.extract %doc[%j] : tensor<?xi32>
    %same = arith.cmpi eq, %di, %dj : i32
    %c = arith.cmpi sle, %j, %i : index
    %keep = arith.andi %same, %c : i1
    attn.yield %keep : i1
  } : tensor<1x2x?x16xf32>, tensor<1x2x?x16xf32>, tensor<1x2x?x16xf32>
  return %o : tensor<1x2x?x16xf32>
}

// -----

// The regions with the other options: they come last, after with_lse and
// before the attribute dictionary and the types.
// CHECK-LABEL: func.func @with_options(
// CHECK-SAME:    %[[Q:[a-zA-Z0-9_]+]]: tensor<1x4x128x16xf32>, %[[K:[a-zA-Z0-9_]+]]: tensor<1x2x256x16xf32>, %[[V:[a-zA-Z0-9_]+]]: tensor<1x2x256x8xf32>, %[[M:[a-zA-Z0-9_]+]]: tensor<1x1x1x256xi1>, %[[SL:[a-zA-Z0-9_]+]]: tensor<4xf32>, %[[DG:[a-zA-Z0-9_]+]]: index)
// CHECK:         %{{.*}}, %{{.*}} = attn.attention %[[Q]], %[[K]], %[[V]] mask %[[M]] scale = 2.500000e-01 causal window = [64, 0] diagonal %[[DG]] with_lse score_mod {
// CHECK-NEXT:    ^bb0(%[[S:.*]]: f32, %{{.*}}: index, %[[H:.*]]: index, %{{.*}}: index, %{{.*}}: index):
// CHECK-NEXT:      %[[SLOPE:.*]] = tensor.extract %[[SL]][%[[H]]] : tensor<4xf32>
// CHECK-NEXT:      %[[R:.*]] = arith.mulf %[[S]], %[[SLOPE]] : f32
// CHECK-NEXT:      attn.yield %[[R]] : f32
// CHECK-NEXT:    } mask_mod {
// CHECK-NEXT:    ^bb0(%[[B:.*]]: index, %{{.*}}: index, %{{.*}}: index, %{{.*}}: index):
// CHECK-NEXT:      %[[KEEP:.*]] = arith.cmpi eq, %[[B]], %{{.*}} : index
// CHECK-NEXT:      attn.yield %[[KEEP]] : i1
// CHECK-NEXT:    } {test.attr} : tensor<1x4x128x16xf32>, tensor<1x2x256x16xf32>, tensor<1x2x256x8xf32>, tensor<1x1x1x256xi1>
// The same regions with softcap, ALiBi and a dropout-free additive mask,
// and with masked_rows = nan.
// CHECK:         attn.attention %[[Q]], %[[K]], %[[V]] alibi %[[SL]] softcap = 3.000000e+01 masked_rows = nan mask_mod {
// CHECK:           attn.yield %{{.*}} : i1
// CHECK-NEXT:    } : tensor<1x4x128x16xf32>, tensor<1x2x256x16xf32>, tensor<1x2x256x8xf32> alibi tensor<4xf32>
func.func @with_options(%q: tensor<1x4x128x16xf32>, %k: tensor<1x2x256x16xf32>, %v: tensor<1x2x256x8xf32>, %m: tensor<1x1x1x256xi1>, %sl: tensor<4xf32>, %d: index) -> (tensor<1x4x128x8xf32>, tensor<1x4x128xf32>, tensor<1x4x128x8xf32>) {
  %c0 = arith.constant 0 : index
  %o, %lse = attn.attention %q, %k, %v mask %m scale = 0.25 causal window = [64, 0] diagonal %d with_lse score_mod {
  ^bb0(%s: f32, %b: index, %h: index, %i: index, %j: index):
    %slope = tensor.extract %sl[%h] : tensor<4xf32>
    %r = arith.mulf %s, %slope : f32
    attn.yield %r : f32
  } mask_mod {
  ^bb0(%b: index, %h: index, %i: index, %j: index):
    %keep = arith.cmpi eq, %b, %c0 : index
    attn.yield %keep : i1
  } {test.attr} : tensor<1x4x128x16xf32>, tensor<1x2x256x16xf32>, tensor<1x2x256x8xf32>, tensor<1x1x1x256xi1>
  %o2 = attn.attention %q, %k, %v alibi %sl softcap = 30.0 masked_rows = nan mask_mod {
  ^bb0(%b: index, %h: index, %i: index, %j: index):
    %keep = arith.cmpi ne, %h, %c0 : index
    attn.yield %keep : i1
  } : tensor<1x4x128x16xf32>, tensor<1x2x256x16xf32>, tensor<1x2x256x8xf32> alibi tensor<4xf32>
  return %o, %lse, %o2 : tensor<1x4x128x8xf32>, tensor<1x4x128xf32>, tensor<1x4x128x8xf32>
}

// -----

// online_attention with regions: `at [b, h, i, j]` places its scores in the
// whole attention, whose indices the regions see.
// CHECK-LABEL: func.func @online(
// CHECK-SAME:    %[[Q:[a-zA-Z0-9_]+]]: tensor<1x2x32x16xf32>, %[[K:[a-zA-Z0-9_]+]]: tensor<1x2x64x16xf32>, %[[V:[a-zA-Z0-9_]+]]: tensor<1x2x64x8xf32>, %[[ACC:[a-zA-Z0-9_]+]]: tensor<1x2x32x8xf32>, %[[MAX:[a-zA-Z0-9_]+]]: tensor<1x2x32xf32>, %[[SUM:[a-zA-Z0-9_]+]]: tensor<1x2x32xf32>, %[[I0:[a-zA-Z0-9_]+]]: index, %[[J0:[a-zA-Z0-9_]+]]: index, %[[C0:[a-zA-Z0-9_]+]]: index, %[[DOC:[a-zA-Z0-9_]+]]: tensor<?xi32>, %[[RNG:[a-zA-Z0-9_]+]]: tensor<2xi64>)
// CHECK:         %[[A:.*]], %{{.*}}, %{{.*}} = attn.online_attention %[[Q]], %[[K]], %[[V]] causal at[%[[C0]], %[[C0]], %[[I0]], %[[J0]]] score_mod {
// CHECK-NEXT:    ^bb0(%[[S:.*]]: f32, %{{.*}}: index, %{{.*}}: index, %{{.*}}: index, %{{.*}}: index):
// CHECK-NEXT:      %[[T:.*]] = math.tanh %[[S]] : f32
// CHECK-NEXT:      attn.yield %[[T]] : f32
// CHECK-NEXT:    } mask_mod {
// CHECK-NEXT:    ^bb0(%{{.*}}: index, %{{.*}}: index, %[[I:.*]]: index, %[[J:.*]]: index):
// CHECK-NEXT:      %[[DOCI:.*]] = tensor.extract %[[DOC]][%[[I]]] : tensor<?xi32>
// CHECK-NEXT:      %[[DOCJ:.*]] = tensor.extract %[[DOC]][%[[J]]] : tensor<?xi32>
// CHECK-NEXT:      %[[KEEP:.*]] = arith.cmpi eq, %[[DOCI]], %[[DOCJ]] : i32
// CHECK-NEXT:      attn.yield %[[KEEP]] : i1
// CHECK-NEXT:    } into %[[ACC]], %[[MAX]], %[[SUM]] : tensor<1x2x32x16xf32>, tensor<1x2x64x16xf32>, tensor<1x2x64x8xf32> -> tensor<1x2x32x8xf32>, tensor<1x2x32xf32>, tensor<1x2x32xf32>
// A region with dropout: one origin for both.
// CHECK:         attn.online_attention %[[Q]], %[[K]], %[[V]] dropout = 1.000000e-01 rng %[[RNG]] at[%[[C0]], %[[C0]], %[[I0]], %[[J0]]] mask_mod {
// CHECK:         } into %[[A]], %[[MAX]], %[[SUM]]
func.func @online(%q: tensor<1x2x32x16xf32>, %k: tensor<1x2x64x16xf32>, %v: tensor<1x2x64x8xf32>,
                  %acc: tensor<1x2x32x8xf32>, %max: tensor<1x2x32xf32>, %sum: tensor<1x2x32xf32>,
                  %i0: index, %j0: index, %c0: index, %doc: tensor<?xi32>, %rng: tensor<2xi64>) -> tensor<1x2x32x8xf32> {
  %a, %m, %s = attn.online_attention %q, %k, %v causal at [%c0, %c0, %i0, %j0] score_mod {
  ^bb0(%x: f32, %b: index, %h: index, %i: index, %j: index):
    %t = math.tanh %x : f32
    attn.yield %t : f32
  } mask_mod {
  ^bb0(%b: index, %h: index, %i: index, %j: index):
    %di = tensor.extract %doc[%i] : tensor<?xi32>
    %dj = tensor.extract %doc[%j] : tensor<?xi32>
    %keep = arith.cmpi eq, %di, %dj : i32
    attn.yield %keep : i1
  } into %acc, %max, %sum : tensor<1x2x32x16xf32>, tensor<1x2x64x16xf32>, tensor<1x2x64x8xf32> -> tensor<1x2x32x8xf32>, tensor<1x2x32xf32>, tensor<1x2x32xf32>
  %a2, %m2, %s2 = attn.online_attention %q, %k, %v dropout = 0.1 rng %rng at [%c0, %c0, %i0, %j0] mask_mod {
  ^bb0(%b: index, %h: index, %i: index, %j: index):
    %keep = arith.cmpi sle, %j, %i : index
    attn.yield %keep : i1
  } into %a, %max, %sum : tensor<1x2x32x16xf32>, tensor<1x2x64x16xf32>, tensor<1x2x64x8xf32> -> tensor<1x2x32x8xf32>, tensor<1x2x32xf32>, tensor<1x2x32xf32>
  return %a2 : tensor<1x2x32x8xf32>
}

// -----

// attention_backward takes the forward's regions (the scores are
// recomputed with them).
// CHECK-LABEL: func.func @backward(
// CHECK-SAME:    %[[DO:[a-zA-Z0-9_]+]]: tensor<1x2x64x16xf32>, %[[Q:[a-zA-Z0-9_]+]]: tensor<1x2x64x16xf32>, %[[K:[a-zA-Z0-9_]+]]: tensor<1x2x64x16xf32>, %[[V:[a-zA-Z0-9_]+]]: tensor<1x2x64x16xf32>, %[[O:[a-zA-Z0-9_]+]]: tensor<1x2x64x16xf32>, %[[L:[a-zA-Z0-9_]+]]: tensor<1x2x64xf32>, %[[SL:[a-zA-Z0-9_]+]]: tensor<2xf32>)
// CHECK:         %[[DQ:.*]], %[[DK:.*]], %[[DV:.*]] = attn.attention_backward %[[DO]], %[[Q]], %[[K]], %[[V]], %[[O]], %[[L]] causal score_mod {
// CHECK-NEXT:    ^bb0(%[[S:.*]]: f32, %{{.*}}: index, %[[H:.*]]: index, %{{.*}}: index, %{{.*}}: index):
// CHECK-NEXT:      %[[SLOPE:.*]] = tensor.extract %[[SL]][%[[H]]] : tensor<2xf32>
// CHECK-NEXT:      %[[R:.*]] = arith.addf %[[S]], %[[SLOPE]] : f32
// CHECK-NEXT:      attn.yield %[[R]] : f32
// CHECK-NEXT:    } mask_mod {
// CHECK-NEXT:    ^bb0(%{{.*}}: index, %{{.*}}: index, %[[I:.*]]: index, %[[J:.*]]: index):
// CHECK-NEXT:      %[[KEEP:.*]] = arith.cmpi ne, %[[I]], %[[J]] : index
// CHECK-NEXT:      attn.yield %[[KEEP]] : i1
// CHECK-NEXT:    } : tensor<1x2x64x16xf32>, tensor<1x2x64x16xf32>, tensor<1x2x64x16xf32>, tensor<1x2x64x16xf32>, tensor<1x2x64x16xf32>, tensor<1x2x64xf32>
// CHECK:         return %[[DQ]], %[[DK]], %[[DV]]
func.func @backward(%do: tensor<1x2x64x16xf32>, %q: tensor<1x2x64x16xf32>, %k: tensor<1x2x64x16xf32>, %v: tensor<1x2x64x16xf32>,
                    %o: tensor<1x2x64x16xf32>, %lse: tensor<1x2x64xf32>, %sl: tensor<2xf32>)
    -> (tensor<1x2x64x16xf32>, tensor<1x2x64x16xf32>, tensor<1x2x64x16xf32>) {
  %dq, %dk, %dv = attn.attention_backward %do, %q, %k, %v, %o, %lse causal score_mod {
  ^bb0(%s: f32, %b: index, %h: index, %i: index, %j: index):
    %slope = tensor.extract %sl[%h] : tensor<2xf32>
    %r = arith.addf %s, %slope : f32
    attn.yield %r : f32
  } mask_mod {
  ^bb0(%b: index, %h: index, %i: index, %j: index):
    %keep = arith.cmpi ne, %i, %j : index
    attn.yield %keep : i1
  } : tensor<1x2x64x16xf32>, tensor<1x2x64x16xf32>, tensor<1x2x64x16xf32>, tensor<1x2x64x16xf32>, tensor<1x2x64x16xf32>, tensor<1x2x64xf32>
  return %dq, %dk, %dv : tensor<1x2x64x16xf32>, tensor<1x2x64x16xf32>, tensor<1x2x64x16xf32>
}

// -----

// f64 operands: the scores, and score_mod's score, are f64.
// CHECK-LABEL: func.func @f64(
// CHECK:         attn.attention %{{.*}}, %{{.*}}, %{{.*}} score_mod {
// CHECK-NEXT:    ^bb0(%[[S:.*]]: f64, %{{.*}}: index, %{{.*}}: index, %{{.*}}: index, %{{.*}}: index):
// CHECK-NEXT:      %[[R:.*]] = arith.mulf %[[S]], %[[S]] : f64
// CHECK-NEXT:      attn.yield %[[R]] : f64
// CHECK-NEXT:    } : tensor<64x16xf64>, tensor<64x16xf64>, tensor<64x16xf64>
func.func @f64(%q: tensor<64x16xf64>, %k: tensor<64x16xf64>, %v: tensor<64x16xf64>) -> tensor<64x16xf64> {
  %o = attn.attention %q, %k, %v score_mod {
  ^bb0(%s: f64, %b: index, %h: index, %i: index, %j: index):
    %r = arith.mulf %s, %s : f64
    attn.yield %r : f64
  } : tensor<64x16xf64>, tensor<64x16xf64>, tensor<64x16xf64>
  return %o : tensor<64x16xf64>
}

// -----

// f16 (and bf16) operands are computed in f32: score_mod's score is f32.
// CHECK-LABEL: func.func @f16(
// CHECK:         attn.attention %{{.*}}, %{{.*}}, %{{.*}} score_mod {
// CHECK-NEXT:    ^bb0(%[[S:.*]]: f32, %{{.*}}: index, %{{.*}}: index, %{{.*}}: index, %{{.*}}: index):
// CHECK-NEXT:      %[[T:.*]] = math.tanh %[[S]] : f32
// CHECK-NEXT:      attn.yield %[[T]] : f32
// CHECK-NEXT:    } mask_mod {
// CHECK:         } : tensor<1x2x64x16xf16>, tensor<1x2x64x16xf16>, tensor<1x2x64x16xf16>
// CHECK:         attn.attention %{{.*}}, %{{.*}}, %{{.*}} score_mod {
// CHECK-NEXT:    ^bb0(%{{.*}}: f32, %{{.*}}: index, %{{.*}}: index, %{{.*}}: index, %{{.*}}: index):
// CHECK:         } : tensor<1x2x64x16xbf16>, tensor<1x2x64x16xbf16>, tensor<1x2x64x16xbf16>
func.func @f16(%q: tensor<1x2x64x16xf16>, %k: tensor<1x2x64x16xf16>, %v: tensor<1x2x64x16xf16>,
               %qb: tensor<1x2x64x16xbf16>) -> (tensor<1x2x64x16xf16>, tensor<1x2x64x16xbf16>) {
  %o = attn.attention %q, %k, %v score_mod {
  ^bb0(%s: f32, %b: index, %h: index, %i: index, %j: index):
    %t = math.tanh %s : f32
    attn.yield %t : f32
  } mask_mod {
  ^bb0(%b: index, %h: index, %i: index, %j: index):
    %keep = arith.cmpi sle, %j, %i : index
    attn.yield %keep : i1
  } : tensor<1x2x64x16xf16>, tensor<1x2x64x16xf16>, tensor<1x2x64x16xf16>
  %o2 = attn.attention %qb, %qb, %qb score_mod {
  ^bb0(%s: f32, %b: index, %h: index, %i: index, %j: index):
    attn.yield %s : f32
  } : tensor<1x2x64x16xbf16>, tensor<1x2x64x16xbf16>, tensor<1x2x64x16xbf16>
  return %o, %o2 : tensor<1x2x64x16xf16>, tensor<1x2x64x16xbf16>
}
