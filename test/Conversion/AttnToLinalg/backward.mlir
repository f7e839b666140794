// RUN: attn-opt %s --convert-attn-to-linalg --split-input-file | FileCheck %s
// RUN: attn-opt %s --convert-attn-to-linalg="attention=decomposed" --split-input-file | FileCheck %s --check-prefix=DECOMPOSED
// RUN: attn-opt %s --convert-attn-to-linalg="parallel-query-blocks=true" --split-input-file | FileCheck %s --check-prefix=PARALLEL

// The gradient ops in linalg named ops and generics: one reduction per row
// statistic, then one elementwise output.

// dx = y * (dy - rowsum(dy * y))
// CHECK-LABEL: func.func @softmax_backward(
// CHECK-SAME:    %[[DY:[a-zA-Z0-9_]+]]: tensor<4x16xf32>, %[[Y:[a-zA-Z0-9_]+]]: tensor<4x16xf32>)
// CHECK:         %[[P:.*]] = linalg.mul ins(%[[DY]], %[[Y]] : tensor<4x16xf32>, tensor<4x16xf32>)
// CHECK:         %[[DOT:.*]] = linalg.reduce ins(%[[P]] : tensor<4x16xf32>) outs(%{{.*}} : tensor<4xf32>) dimensions = [1]
// CHECK:           arith.addf
// CHECK:         %[[B:.*]] = linalg.broadcast ins(%[[DOT]] : tensor<4xf32>) outs(%{{.*}} : tensor<4x16xf32>) dimensions = [1]
// CHECK:         %[[C:.*]] = linalg.sub ins(%[[DY]], %[[B]] : tensor<4x16xf32>, tensor<4x16xf32>)
// CHECK:         %[[DX:.*]] = linalg.mul ins(%[[Y]], %[[C]] : tensor<4x16xf32>, tensor<4x16xf32>)
// CHECK:         return %[[DX]]
func.func @softmax_backward(%dy: tensor<4x16xf32>, %y: tensor<4x16xf32>) -> tensor<4x16xf32> {
  %r = attn.softmax_backward %dy, %y : tensor<4x16xf32>, tensor<4x16xf32>
  return %r : tensor<4x16xf32>
}

// -----

// dx = y == -inf ? 0 : dy - exp(y) * rowsum(y == -inf ? 0 : dy)
// CHECK-LABEL: func.func @log_softmax_backward(
// CHECK-SAME:    %[[DY:[a-zA-Z0-9_]+]]: tensor<4x16xf32>, %[[Y:[a-zA-Z0-9_]+]]: tensor<4x16xf32>)
// CHECK:         %[[KEPT:.*]] = linalg.map ins(%[[DY]], %[[Y]] : tensor<4x16xf32>, tensor<4x16xf32>)
// CHECK:           arith.cmpf oeq, %{{.*}}, %cst
// CHECK:           arith.select
// CHECK:         %[[T:.*]] = linalg.reduce ins(%[[KEPT]] : tensor<4x16xf32>) outs(%{{.*}} : tensor<4xf32>) dimensions = [1]
// CHECK:         %[[TB:.*]] = linalg.broadcast ins(%[[T]] : tensor<4xf32>)
// CHECK:         %[[DX:.*]] = linalg.map ins(%[[DY]], %[[Y]], %[[TB]] : tensor<4x16xf32>, tensor<4x16xf32>, tensor<4x16xf32>)
// CHECK-NEXT:      (%[[G:.*]]: f32, %[[L:.*]]: f32, %[[S:.*]]: f32, %{{.*}}: f32) {
// CHECK-NEXT:        %[[E:.*]] = math.exp %[[L]] : f32
// CHECK-NEXT:        %[[SH:.*]] = arith.mulf %[[E]], %[[S]] : f32
// CHECK-NEXT:        %[[D:.*]] = arith.subf %[[G]], %[[SH]] : f32
// CHECK:             %[[MASKED:.*]] = arith.cmpf oeq, %[[L]]
// CHECK:             %[[R:.*]] = arith.select %[[MASKED]], %{{.*}}, %[[D]] : f32
// CHECK-NEXT:        linalg.yield %[[R]]
// CHECK:         return %[[DX]]
func.func @log_softmax_backward(%dy: tensor<4x16xf32>, %y: tensor<4x16xf32>) -> tensor<4x16xf32> {
  %r = attn.log_softmax_backward %dy, %y : tensor<4x16xf32>, tensor<4x16xf32>
  return %r : tensor<4x16xf32>
}

// -----

// The causal mask is rebuilt from indices; lse == -inf rows get 0.
// CHECK-LABEL: func.func @logsumexp_backward(
// CHECK-SAME:    %[[G:[a-zA-Z0-9_]+]]: tensor<2x8xf32>, %[[X:[a-zA-Z0-9_]+]]: tensor<2x8x16xf32>, %[[L:[a-zA-Z0-9_]+]]: tensor<2x8xf32>)
// CHECK:         %[[XM:.*]] = linalg.generic
// CHECK-SAME:      iterator_types = ["parallel", "parallel", "parallel"]
// CHECK-SAME:      ins(%[[X]] : tensor<2x8x16xf32>)
// CHECK:           arith.cmpi sgt
// CHECK:         %[[LB:.*]] = linalg.broadcast ins(%[[L]] : tensor<2x8xf32>) outs(%{{.*}} : tensor<2x8x16xf32>) dimensions = [2]
// CHECK:         %[[GB:.*]] = linalg.broadcast ins(%[[G]] : tensor<2x8xf32>) outs(%{{.*}} : tensor<2x8x16xf32>) dimensions = [2]
// CHECK:         %[[DX:.*]] = linalg.map ins(%[[XM]], %[[LB]], %[[GB]] :
// CHECK:           arith.subf
// CHECK:           math.exp
// CHECK:           arith.mulf
// CHECK:           arith.select
// CHECK:         return %[[DX]]
func.func @logsumexp_backward(%g: tensor<2x8xf32>, %x: tensor<2x8x16xf32>, %lse: tensor<2x8xf32>) -> tensor<2x8x16xf32> {
  %r = attn.logsumexp_backward %g, %x, %lse causal : tensor<2x8xf32>, tensor<2x8x16xf32>, tensor<2x8xf32>
  return %r : tensor<2x8x16xf32>
}

// -----

// first = min_j (s + mask == max ? j : N); ds = j == first && max != -inf ? g : 0
// CHECK-DAG:   #[[ID:.*]] = affine_map<(d0, d1, d2) -> (d0, d1, d2)>
// CHECK-DAG:   #[[ROW:.*]] = affine_map<(d0, d1, d2) -> (d0, d1)>
// CHECK-LABEL: func.func @masked_max_backward(
// CHECK-SAME:    %[[G:[a-zA-Z0-9_]+]]: tensor<2x8xf32>, %[[S:[a-zA-Z0-9_]+]]: tensor<2x8x16xf32>, %[[M:[a-zA-Z0-9_]+]]: tensor<8x16xf32>, %[[O:[a-zA-Z0-9_]+]]: tensor<2x8xf32>)
// CHECK:         %[[N:.*]] = arith.constant 16 : index
// CHECK:         %[[NONE:.*]] = linalg.fill ins(%[[N]] : index) outs(%{{.*}} : tensor<2x8xindex>)
// CHECK:         %[[SM:.*]] = linalg.add ins(%[[S]], %{{.*}} : tensor<2x8x16xf32>, tensor<2x8x16xf32>)
// CHECK:         %[[FIRST:.*]] = linalg.generic {indexing_maps = [#[[ID]], #[[ROW]], #[[ROW]]], iterator_types = ["parallel", "parallel", "reduction"]}
// CHECK-SAME:      ins(%[[SM]], %[[O]] : tensor<2x8x16xf32>, tensor<2x8xf32>) outs(%[[NONE]] : tensor<2x8xindex>)
// CHECK:           %[[J:.*]] = linalg.index 2 : index
// CHECK:           %[[EQ:.*]] = arith.cmpf oeq
// CHECK:           %[[C:.*]] = arith.select %[[EQ]], %[[J]], %[[N]] : index
// CHECK:           arith.minui %[[C]]
// CHECK:         %[[DS:.*]] = linalg.generic {indexing_maps = [#[[ROW]], #[[ROW]], #[[ROW]], #[[ID]]], iterator_types = ["parallel", "parallel", "parallel"]}
// CHECK-SAME:      ins(%[[FIRST]], %[[O]], %[[G]] : tensor<2x8xindex>, tensor<2x8xf32>, tensor<2x8xf32>)
// CHECK:           linalg.index 2 : index
// CHECK:           arith.cmpi eq
// CHECK:           arith.andi
// CHECK:           arith.select
// CHECK:         return %[[DS]]
func.func @masked_max_backward(%g: tensor<2x8xf32>, %s: tensor<2x8x16xf32>, %m: tensor<8x16xf32>, %o: tensor<2x8xf32>) -> tensor<2x8x16xf32> {
  %r = attn.masked_max_backward %g, %s, %m, %o : tensor<2x8xf32>, tensor<2x8x16xf32>, tensor<8x16xf32>, tensor<2x8xf32>
  return %r : tensor<2x8x16xf32>
}

// -----

// Two maps: dp = q == 0 ? 0 : -(g q) / p and dq = -(g log p); f16 operands
// are extended to f32 and each result truncated once.
// CHECK-LABEL: func.func @xent_backward(
// CHECK-COUNT-3: arith.extf
// CHECK:         %[[DP:.*]] = linalg.map ins(%{{.*}}, %{{.*}}, %{{.*}} : tensor<8x10xf32>, tensor<8x10xf32>, tensor<8x10xf32>)
// CHECK:           arith.mulf
// CHECK:           arith.divf
// CHECK:           arith.negf
// CHECK:           arith.select
// CHECK:         %[[DQ:.*]] = linalg.map ins(%{{.*}}, %{{.*}} : tensor<8x10xf32>, tensor<8x10xf32>)
// CHECK:           math.log
// CHECK:           arith.mulf
// CHECK:           arith.negf
// CHECK:         %[[DP16:.*]] = linalg.generic {{.*}} ins(%[[DP]] : tensor<8x10xf32>)
// CHECK:           arith.truncf
// CHECK:         %[[DQ16:.*]] = linalg.generic {{.*}} ins(%[[DQ]] : tensor<8x10xf32>)
// CHECK:           arith.truncf
// CHECK:         return %[[DP16]], %[[DQ16]] : tensor<8x10xf16>, tensor<8x10xf16>
func.func @xent_backward(%g: tensor<8xf16>, %p: tensor<8x10xf16>, %q: tensor<8x10xf16>) -> (tensor<8x10xf16>, tensor<8x10xf16>) {
  %dp, %dq = attn.xent_backward %g, %p, %q : tensor<8xf16>, tensor<8x10xf16>, tensor<8x10xf16>
  return %dp, %dq : tensor<8x10xf16>, tensor<8x10xf16>
}

// -----

// The row statistics of a softmax (and the row's lse = ms + log s, which
// only the z-loss reads), the kept rows counted in f64 for the mean, each
// row's share g of the gradient, then dz = g exp(z - ms) / s - (c == t ? g
// : 0).
// CHECK-DAG:   #[[R1:.*]] = affine_map<(d0) -> (d0)>
// CHECK-DAG:   #[[SCALAR:.*]] = affine_map<(d0) -> ()>
// CHECK-DAG:   #[[ID:.*]] = affine_map<(d0, d1) -> (d0, d1)>
// CHECK-DAG:   #[[ROW:.*]] = affine_map<(d0, d1) -> (d0)>
// CHECK-LABEL: func.func @xent_logits_backward(
// CHECK-SAME:    %[[G:[a-zA-Z0-9_]+]]: tensor<f32>, %[[Z:[a-zA-Z0-9_]+]]: tensor<?x100xf32>, %[[T:[a-zA-Z0-9_]+]]: tensor<?xi64>)
// CHECK:         %[[MAX:.*]] = linalg.reduce ins(%[[Z]]
// CHECK:           arith.maximumf
// CHECK:         %[[SHIFT:.*]] = linalg.map ins(%[[MAX]]
// CHECK:         %[[SUM:.*]] = linalg.reduce
// CHECK:           arith.addf
// CHECK:         %[[COUNT:.*]] = linalg.generic {indexing_maps = [#[[R1]], #[[SCALAR]]], iterator_types = ["reduction"]} ins(%[[T]] : tensor<?xi64>) outs(%{{.*}} : tensor<f64>)
// CHECK:         %[[W:.*]] = linalg.generic {indexing_maps = [#[[R1]], #[[SCALAR]], #[[SCALAR]], #[[R1]]], iterator_types = ["parallel"]} ins(%[[T]], %[[G]], %[[COUNT]] : tensor<?xi64>, tensor<f32>, tensor<f64>)
// CHECK:           arith.truncf
// CHECK:           arith.divf
// CHECK:           arith.constant 0x7FC00000 : f32
// CHECK:         %[[INV:.*]] = linalg.map ins(%[[SUM]] : tensor<?xf32>)
// CHECK:           arith.divf
// CHECK:         %[[DZ:.*]] = linalg.generic {indexing_maps = [#[[ID]], #[[ROW]], #[[ROW]], #[[ROW]], #[[ROW]], #[[ROW]], #[[ROW]], #[[ID]]], iterator_types = ["parallel", "parallel"]}
// CHECK-SAME:      ins(%[[Z]], %[[SHIFT]], %[[INV]], %[[W]], %[[W]], %[[W]], %[[T]] :
// CHECK:           linalg.index 1 : index
// CHECK:           arith.cmpi eq
// CHECK:           arith.subf
// CHECK:           math.exp
// CHECK:           arith.mulf
// CHECK:           arith.subf
// CHECK:         return %[[DZ]]
func.func @xent_logits_backward(%g: tensor<f32>, %z: tensor<?x100xf32>, %t: tensor<?xi64>) -> tensor<?x100xf32> {
  %r = attn.xent_logits_backward %g, %z, %t : tensor<f32>, tensor<?x100xf32>, tensor<?xi64>
  return %r : tensor<?x100xf32>
}

// -----

// The default lowering, FlashAttention-2's blocks ([16, 32] here): D, then
// one loop over the key blocks of each key/value head, each owning its dK
// and dV; the group's query heads, then the causal query blocks that see
// the keys, fold into them, and into dQ's rows (one thread: the iterations
// run in turn). No [M, N] tensor.
// CHECK-DAG:   #[[MM_L:.*]] = affine_map<(d0, d1, d2) -> (d0, d2)>
// CHECK-DAG:   #[[MM_R:.*]] = affine_map<(d0, d1, d2) -> (d2, d1)>
// CHECK-DAG:   #[[MM_O:.*]] = affine_map<(d0, d1, d2) -> (d0, d1)>
// CHECK-DAG:   #[[MM_LT:.*]] = affine_map<(d0, d1, d2) -> (d2, d0)>
// CHECK-LABEL: func.func @attention_backward(
// CHECK-SAME:    %[[DO:[a-zA-Z0-9_]+]]: tensor<1x4x16x8xf32>, %[[Q:[a-zA-Z0-9_]+]]: tensor<1x4x16x8xf32>, %[[K:[a-zA-Z0-9_]+]]: tensor<1x2x32x8xf32>, %[[V:[a-zA-Z0-9_]+]]: tensor<1x2x32x8xf32>, %[[O:[a-zA-Z0-9_]+]]: tensor<1x4x16x8xf32>, %[[L:[a-zA-Z0-9_]+]]: tensor<1x4x16xf32>)
// CHECK-NOT:     tensor<1x4x16x32xf32>
// CHECK:         %[[DOT:.*]] = linalg.generic {{.*}} ins(%[[DO]], %[[O]] :
// CHECK:         %[[D:.*]] = linalg.generic {{.*}} ins(%[[DOT]], %[[L]] :
// CHECK:         %[[KEYS:.*]]:3 = scf.for {{.*}} -> (tensor<1x2x32x8xf32>, tensor<1x2x32x8xf32>, tensor<1x4x16x8xf32>)
// CHECK:           %[[KB:.*]] = tensor.extract_slice %[[K]]{{.*}} [1, 1, 32, 8] [1, 1, 1, 1] : tensor<1x2x32x8xf32> to tensor<32x8xf32>
// CHECK:           %[[GROUP:.*]]:3 = scf.for {{.*}} -> (tensor<32x8xf32>, tensor<32x8xf32>, tensor<1x4x16x8xf32>)
// CHECK:             %[[QBLOCKS:.*]]:3 = scf.for {{.*}} iter_args({{.*}}, %[[DQALL:.*]] = %{{.*}}) -> (tensor<32x8xf32>, tensor<32x8xf32>, tensor<1x4x16x8xf32>)
// CHECK:               %[[QB:.*]] = tensor.extract_slice %[[Q]]{{.*}} to tensor<16x8xf32>
// CHECK:               %[[S:.*]] = linalg.generic {indexing_maps = [#[[MM_L]], #[[MM_R]], #[[MM_O]]], {{.*}}} ins(%[[QB]], %{{.*}} : tensor<16x8xf32>, tensor<8x32xf32>) outs(%{{.*}} : tensor<16x32xf32>)
// CHECK:               arith.cmpi sgt
// CHECK:               math.exp
// CHECK:               %[[DS:.*]] = linalg.generic {{.*}} ins(%{{.*}}, %{{.*}}, %{{.*}} : tensor<16x32xf32>, tensor<16x32xf32>, tensor<16xf32>)
// CHECK:               %[[DK:.*]] = linalg.generic {indexing_maps = [#[[MM_LT]], #[[MM_R]], #[[MM_O]]], {{.*}}} ins(%[[DS]], %[[QB]] : tensor<16x32xf32>, tensor<16x8xf32>) outs(%{{.*}} : tensor<32x8xf32>)
// CHECK:               %[[DV:.*]] = linalg.generic {indexing_maps = [#[[MM_LT]], #[[MM_R]], #[[MM_O]]], {{.*}}} ins({{.*}}) outs(%{{.*}} : tensor<32x8xf32>)
// CHECK:               %[[DQROWS:.*]] = tensor.extract_slice %[[DQALL]]{{.*}} to tensor<16x8xf32>
// CHECK:               %[[DQ:.*]] = linalg.generic {indexing_maps = [#[[MM_L]], #[[MM_R]], #[[MM_O]]], {{.*}}} ins(%[[DS]], %[[KB]] : tensor<16x32xf32>, tensor<32x8xf32>) outs(%[[DQROWS]] : tensor<16x8xf32>)
// CHECK:               %[[DQNEW:.*]] = tensor.insert_slice %[[DQ]] into %[[DQALL]]
// CHECK:               scf.yield %[[DK]], %[[DV]], %[[DQNEW]]
// CHECK:           tensor.insert_slice %[[GROUP]]#0
// CHECK:           tensor.insert_slice %[[GROUP]]#1
// CHECK-NOT:     scf.for
// CHECK:         return %[[KEYS]]#2, %[[KEYS]]#0, %[[KEYS]]#1

// With threads: key blocks in an scf.forall (each owns its dK, dV), then dQ
// in a pass of its own, an scf.forall over the query blocks (each owns its
// dQ rows, over the key blocks it sees).
// PARALLEL-LABEL: func.func @attention_backward(
// PARALLEL:         %[[KEYS:.*]]:2 = scf.forall {{.*}} shared_outs({{.*}}) -> (tensor<1x2x32x8xf32>, tensor<1x2x32x8xf32>)
// PARALLEL:           scf.for {{.*}} -> (tensor<32x8xf32>, tensor<32x8xf32>)
// PARALLEL:           tensor.parallel_insert_slice
// PARALLEL:           tensor.parallel_insert_slice
// PARALLEL:         %[[QUERIES:.*]] = scf.forall {{.*}} -> (tensor<1x4x16x8xf32>)
// PARALLEL:           %[[KEYBLOCKS:.*]] = scf.for {{.*}} -> (tensor<16x8xf32>)
// PARALLEL:             %[[KB2:.*]] = tensor.extract_slice %{{.*}} to tensor<32x8xf32>
// PARALLEL:             %[[DS2:.*]] = linalg.generic {{.*}} ins(%{{.*}}, %{{.*}}, %{{.*}} : tensor<16x32xf32>, tensor<16x32xf32>, tensor<16xf32>)
// PARALLEL:             %[[DQ:.*]] = linalg.generic {{.*}} ins(%[[DS2]], %[[KB2]] : tensor<16x32xf32>, tensor<32x8xf32>) outs(%{{.*}} : tensor<16x8xf32>)
// PARALLEL:             scf.yield %[[DQ]]
// PARALLEL:           tensor.parallel_insert_slice %[[KEYBLOCKS]]
// PARALLEL:         return %[[QUERIES]], %[[KEYS]]#0, %[[KEYS]]#1

// With attention=decomposed: attention_backward over all the scores: S, P = exp(S - lse), D (0 where
// lse = +inf), dP = dO vᵀ, dS, dQ = dS k; dK and dV per query head, then
// each group of 2 query heads summed onto its key/value head.
// DECOMPOSED-DAG:   #[[QK_Q:.*]] = affine_map<(d0, d1, d2, d3, d4) -> (d0, d1, d2, d4)>
// DECOMPOSED-DAG:   #[[QK_K:.*]] = affine_map<(d0, d1, d2, d3, d4) -> (d0, d1 floordiv 2, d3, d4)>
// DECOMPOSED-DAG:   #[[OUT5:.*]] = affine_map<(d0, d1, d2, d3, d4) -> (d0, d1, d2, d3)>
// DECOMPOSED-DAG:   #[[ID4:.*]] = affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>
// DECOMPOSED-DAG:   #[[ROW4:.*]] = affine_map<(d0, d1, d2, d3) -> (d0, d1, d2)>
// DECOMPOSED-DAG:   #[[PV_V:.*]] = affine_map<(d0, d1, d2, d3, d4) -> (d0, d1 floordiv 2, d4, d3)>
// DECOMPOSED-DAG:   #[[T_LHS:.*]] = affine_map<(d0, d1, d2, d3, d4) -> (d0, d1, d4, d2)>
// DECOMPOSED-DAG:   #[[T_RHS:.*]] = affine_map<(d0, d1, d2, d3, d4) -> (d0, d1, d4, d3)>
// DECOMPOSED-LABEL: func.func @attention_backward(
// DECOMPOSED-SAME:    %[[DO:[a-zA-Z0-9_]+]]: tensor<1x4x16x8xf32>, %[[Q:[a-zA-Z0-9_]+]]: tensor<1x4x16x8xf32>, %[[K:[a-zA-Z0-9_]+]]: tensor<1x2x32x8xf32>, %[[V:[a-zA-Z0-9_]+]]: tensor<1x2x32x8xf32>, %[[O:[a-zA-Z0-9_]+]]: tensor<1x4x16x8xf32>, %[[L:[a-zA-Z0-9_]+]]: tensor<1x4x16xf32>)
// DECOMPOSED:         %[[QK:.*]] = linalg.generic {indexing_maps = [#[[QK_Q]], #[[QK_K]], #[[OUT5]]], {{.*}}} ins(%[[Q]], %[[K]] :
// DECOMPOSED:         %[[S:.*]] = linalg.generic {{.*}} ins(%[[QK]] : tensor<1x4x16x32xf32>)
// DECOMPOSED:           arith.cmpi sgt
// DECOMPOSED:         %[[P:.*]] = linalg.generic {indexing_maps = [#[[ID4]], #[[ROW4]], #[[ID4]]], {{.*}}} ins(%[[S]], %[[L]] :
// DECOMPOSED:           arith.subf
// DECOMPOSED:           math.exp
// DECOMPOSED:         %[[DOT:.*]] = linalg.generic {indexing_maps = [#[[ID4]], #[[ID4]], #[[ROW4]]], iterator_types = ["parallel", "parallel", "parallel", "reduction"]} ins(%[[DO]], %[[O]] :
// DECOMPOSED:         %[[D:.*]] = linalg.generic {{.*}} ins(%[[DOT]], %[[L]] :
// DECOMPOSED:           arith.constant 0x7F800000 : f32
// DECOMPOSED:           arith.cmpf oeq
// DECOMPOSED:           arith.select
// DECOMPOSED:         %[[DP:.*]] = linalg.generic {indexing_maps = [#[[QK_Q]], #[[QK_K]], #[[OUT5]]], {{.*}}} ins(%[[DO]], %[[V]] :
// DECOMPOSED:         %[[DS:.*]] = linalg.generic {indexing_maps = [#[[ID4]], #[[ID4]], #[[ROW4]], #[[ID4]]], {{.*}}} ins(%[[P]], %[[DP]], %[[D]] :
// DECOMPOSED:           arith.subf
// DECOMPOSED:           arith.mulf
// DECOMPOSED:           arith.mulf
// DECOMPOSED:         %[[DQ:.*]] = linalg.generic {indexing_maps = [#[[QK_Q]], #[[PV_V]], #[[OUT5]]], {{.*}}} ins(%[[DS]], %[[K]] :
// DECOMPOSED:         %[[DKH:.*]] = linalg.generic {indexing_maps = [#[[T_LHS]], #[[T_RHS]], #[[OUT5]]], {{.*}}} ins(%[[DS]], %[[Q]] : {{.*}}) outs(%{{.*}} : tensor<1x4x32x8xf32>)
// DECOMPOSED:         %[[DKG:.*]] = tensor.expand_shape %[[DKH]] {{\[}}[0], [1, 2], [3], [4]] output_shape [1, 2, 2, 32, 8]
// DECOMPOSED:         %[[DK:.*]] = linalg.reduce ins(%[[DKG]] : tensor<1x2x2x32x8xf32>) outs(%{{.*}} : tensor<1x2x32x8xf32>) dimensions = [2]
// DECOMPOSED:         %[[DVH:.*]] = linalg.generic {indexing_maps = [#[[T_LHS]], #[[T_RHS]], #[[OUT5]]], {{.*}}} ins(%[[P]], %[[DO]] :
// DECOMPOSED:         %[[DVG:.*]] = tensor.expand_shape %[[DVH]]
// DECOMPOSED:         %[[DV:.*]] = linalg.reduce ins(%[[DVG]]
// DECOMPOSED:         return %[[DQ]], %[[DK]], %[[DV]]
func.func @attention_backward(%do: tensor<1x4x16x8xf32>, %q: tensor<1x4x16x8xf32>, %k: tensor<1x2x32x8xf32>, %v: tensor<1x2x32x8xf32>, %o: tensor<1x4x16x8xf32>, %lse: tensor<1x4x16xf32>) -> (tensor<1x4x16x8xf32>, tensor<1x2x32x8xf32>, tensor<1x2x32x8xf32>) {
  %dq, %dk, %dv = attn.attention_backward %do, %q, %k, %v, %o, %lse causal : tensor<1x4x16x8xf32>, tensor<1x4x16x8xf32>, tensor<1x2x32x8xf32>, tensor<1x2x32x8xf32>, tensor<1x4x16x8xf32>, tensor<1x4x16xf32>
  return %dq, %dk, %dv : tensor<1x4x16x8xf32>, tensor<1x2x32x8xf32>, tensor<1x2x32x8xf32>
}
