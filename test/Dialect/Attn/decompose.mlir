// RUN: attn-opt %s --transform-interpreter -split-input-file -canonicalize -cse | FileCheck %s

// Every attn op decomposed by upstream's decompose_interface
// (AggregatedOpInterface): the linalg named ops that --convert-attn-to-linalg
// emits, attention one level down (its contractions and an attn.softmax).

// masked_max(s, m) = reduce(maximumf, s + broadcast(m)) from -inf.
// CHECK-LABEL: func.func @masked_max(
// CHECK-SAME:      %[[S:.*]]: tensor<4x8x16xf32>, %[[M:.*]]: tensor<8x16xf32>
// CHECK:         %[[NEGINF:.*]] = arith.constant 0xFF800000 : f32
// CHECK:         %[[B:.*]] = linalg.broadcast ins(%[[M]] : tensor<8x16xf32>) outs(%{{.*}} : tensor<4x8x16xf32>) dimensions = [0]
// CHECK:         %[[X:.*]] = linalg.add ins(%[[S]], %[[B]] : tensor<4x8x16xf32>, tensor<4x8x16xf32>)
// CHECK:         %[[INIT:.*]] = linalg.fill ins(%[[NEGINF]] : f32) outs(%{{.*}} : tensor<4x8xf32>)
// CHECK:         %[[R:.*]] = linalg.reduce ins(%[[X]] : tensor<4x8x16xf32>) outs(%[[INIT]] : tensor<4x8xf32>) dimensions = [2]
// CHECK:           arith.maximumf
// CHECK:         return %[[R]]

func.func @masked_max(%s: tensor<4x8x16xf32>, %m: tensor<8x16xf32>) -> tensor<4x8xf32> {
  %r = attn.masked_max %s, %m : tensor<4x8x16xf32>, tensor<8x16xf32>
  return %r : tensor<4x8xf32>
}
module attributes {transform.with_named_sequence} {
  transform.named_sequence @__transform_main(%root: !transform.any_op {transform.readonly}) {
    %o = transform.structured.match ops{["attn.masked_max"]} in %root : (!transform.any_op) -> !transform.any_op
    %d = transform.structured.decompose_interface %o : (!transform.any_op) -> !transform.any_op
    transform.yield
  }
}

// -----

// CHECK-LABEL: func.func @sum_sq(
// CHECK-SAME:      %[[X:.*]]: tensor<4x16xf32>
// CHECK:         %[[SQ:.*]] = linalg.square ins(%[[X]] : tensor<4x16xf32>)
// CHECK:         %[[R:.*]] = linalg.reduce ins(%[[SQ]] : tensor<4x16xf32>) outs(%{{.*}} : tensor<4xf32>) dimensions = [1]
// CHECK:           arith.addf
// CHECK:         return %[[R]]

func.func @sum_sq(%x: tensor<4x16xf32>) -> tensor<4xf32> {
  %r = attn.sum_sq %x : tensor<4x16xf32>
  return %r : tensor<4xf32>
}
module attributes {transform.with_named_sequence} {
  transform.named_sequence @__transform_main(%root: !transform.any_op {transform.readonly}) {
    %o = transform.structured.match ops{["attn.sum_sq"]} in %root : (!transform.any_op) -> !transform.any_op
    %d = transform.structured.decompose_interface %o : (!transform.any_op) -> !transform.any_op
    transform.yield
  }
}

// -----

// The 0 log 0 = 0 rule and the negation, per term, before the sum.
// CHECK-LABEL: func.func @xent(
// CHECK-SAME:      %[[P:.*]]: tensor<4x16xf32>, %[[Q:.*]]: tensor<4x16xf32>
// CHECK:         %[[LOG:.*]] = linalg.log ins(%[[P]] : tensor<4x16xf32>)
// CHECK:         %[[QLOG:.*]] = linalg.mul ins(%[[Q]], %[[LOG]] : tensor<4x16xf32>, tensor<4x16xf32>)
// CHECK:         %[[T:.*]] = linalg.map ins(%[[Q]], %[[QLOG]] : tensor<4x16xf32>, tensor<4x16xf32>)
// CHECK:           arith.cmpf oeq
// CHECK:           arith.negf
// CHECK:           arith.select
// CHECK:         linalg.reduce ins(%[[T]] : tensor<4x16xf32>) outs(%{{.*}} : tensor<4xf32>) dimensions = [1]

func.func @xent(%p: tensor<4x16xf32>, %q: tensor<4x16xf32>) -> tensor<4xf32> {
  %r = attn.xent %p, %q : tensor<4x16xf32>, tensor<4x16xf32>
  return %r : tensor<4xf32>
}
module attributes {transform.with_named_sequence} {
  transform.named_sequence @__transform_main(%root: !transform.any_op {transform.readonly}) {
    %o = transform.structured.match ops{["attn.xent"]} in %root : (!transform.any_op) -> !transform.any_op
    %d = transform.structured.decompose_interface %o : (!transform.any_op) -> !transform.any_op
    transform.yield
  }
}

// -----

// The causal mask from indices against the given diagonal; a fully masked
// row shifts by 0 and has a zero reciprocal.
// CHECK-LABEL: func.func @softmax(
// CHECK-SAME:      %[[X:.*]]: tensor<8x16xf32>, %[[D:.*]]: index
// CHECK:         %[[C:.*]] = linalg.generic {{.*}} ins(%[[X]] : tensor<8x16xf32>)
// CHECK:           %[[I:.*]] = linalg.index 0
// CHECK:           %[[J:.*]] = linalg.index 1
// CHECK:           %[[LAST:.*]] = arith.addi %[[I]], %[[D]]
// CHECK:           arith.cmpi sgt, %[[J]], %[[LAST]]
// CHECK:         %[[MAX:.*]] = linalg.reduce ins(%[[C]] : tensor<8x16xf32>) outs(%{{.*}} : tensor<8xf32>) dimensions = [1]
// CHECK:         %[[SHIFT:.*]] = linalg.map ins(%[[MAX]] : tensor<8xf32>)
// CHECK:         %[[BS:.*]] = linalg.broadcast ins(%[[SHIFT]] : tensor<8xf32>) outs(%{{.*}} : tensor<8x16xf32>) dimensions = [1]
// CHECK:         %[[SUB:.*]] = linalg.sub ins(%[[C]], %[[BS]] : tensor<8x16xf32>, tensor<8x16xf32>)
// CHECK:         %[[EXP:.*]] = linalg.map { math.exp {attn.nonpositive} } ins(%[[SUB]] : tensor<8x16xf32>)
// CHECK:         %[[SUM:.*]] = linalg.reduce ins(%[[EXP]] : tensor<8x16xf32>) outs(%{{.*}} : tensor<8xf32>) dimensions = [1]
// CHECK:         %[[RECIP:.*]] = linalg.map ins(%[[SUM]] : tensor<8xf32>)
// CHECK:           arith.divf
// CHECK:           arith.select
// CHECK:         %[[BR:.*]] = linalg.broadcast ins(%[[RECIP]] : tensor<8xf32>) outs(%{{.*}} : tensor<8x16xf32>) dimensions = [1]
// CHECK:         linalg.mul ins(%[[EXP]], %[[BR]] : tensor<8x16xf32>, tensor<8x16xf32>)

func.func @softmax(%x: tensor<8x16xf32>, %d: index) -> tensor<8x16xf32> {
  %r = attn.softmax %x causal diagonal %d : tensor<8x16xf32>
  return %r : tensor<8x16xf32>
}
module attributes {transform.with_named_sequence} {
  transform.named_sequence @__transform_main(%root: !transform.any_op {transform.readonly}) {
    %o = transform.structured.match ops{["attn.softmax"]} in %root : (!transform.any_op) -> !transform.any_op
    %d = transform.structured.decompose_interface %o : (!transform.any_op) -> !transform.any_op
    transform.yield
  }
}

// -----

// CHECK-LABEL: func.func @logsumexp(
// CHECK-SAME:      %[[X:.*]]: tensor<8x16xf32>
// CHECK:         %[[MAX:.*]] = linalg.reduce ins(%[[X]] : tensor<8x16xf32>)
// CHECK:         %[[SHIFT:.*]] = linalg.map ins(%[[MAX]] : tensor<8xf32>)
// CHECK:         %[[EXP:.*]] = linalg.map { math.exp {attn.nonpositive} }
// CHECK:         %[[SUM:.*]] = linalg.reduce ins(%[[EXP]] : tensor<8x16xf32>)
// CHECK:         %[[R:.*]] = linalg.map ins(%[[SHIFT]], %[[SUM]] : tensor<8xf32>, tensor<8xf32>)
// CHECK:           math.log
// CHECK:           arith.addf
// CHECK:         return %[[R]]

func.func @logsumexp(%x: tensor<8x16xf32>) -> tensor<8xf32> {
  %r = attn.logsumexp %x : tensor<8x16xf32>
  return %r : tensor<8xf32>
}
module attributes {transform.with_named_sequence} {
  transform.named_sequence @__transform_main(%root: !transform.any_op {transform.readonly}) {
    %o = transform.structured.match ops{["attn.logsumexp"]} in %root : (!transform.any_op) -> !transform.any_op
    %d = transform.structured.decompose_interface %o : (!transform.any_op) -> !transform.any_op
    transform.yield
  }
}

// -----

// (x - ms) - log(s), log(s) taken as 0 for a fully masked row.
// CHECK-LABEL: func.func @log_softmax(
// CHECK-SAME:      %[[X:.*]]: tensor<8x16xf32>
// CHECK:         %[[SHIFTED:.*]] = linalg.sub ins(%[[X]], %{{.*}} : tensor<8x16xf32>, tensor<8x16xf32>)
// CHECK:         %[[SUM:.*]] = linalg.reduce
// CHECK:         %[[LOGSUM:.*]] = linalg.map ins(%[[SUM]] : tensor<8xf32>)
// CHECK:           math.log
// CHECK:           arith.select
// CHECK:         %[[B:.*]] = linalg.broadcast ins(%[[LOGSUM]] : tensor<8xf32>)
// CHECK:         linalg.sub ins(%[[SHIFTED]], %[[B]] : tensor<8x16xf32>, tensor<8x16xf32>)

func.func @log_softmax(%x: tensor<8x16xf32>) -> tensor<8x16xf32> {
  %r = attn.log_softmax %x : tensor<8x16xf32>
  return %r : tensor<8x16xf32>
}
module attributes {transform.with_named_sequence} {
  transform.named_sequence @__transform_main(%root: !transform.any_op {transform.readonly}) {
    %o = transform.structured.match ops{["attn.log_softmax"]} in %root : (!transform.any_op) -> !transform.any_op
    %d = transform.structured.decompose_interface %o : (!transform.any_op) -> !transform.any_op
    transform.yield
  }
}

// -----

// The per-row losses, then their sum in f64, rounded once.
// CHECK-LABEL: func.func @xent_logits(
// CHECK-SAME:      %[[Z:.*]]: tensor<8x16xf32>, %[[T:.*]]: tensor<8xi64>
// CHECK:         %[[ZT:.*]] = linalg.generic {{.*}} iterator_types = ["parallel"]} ins(%[[T]] : tensor<8xi64>)
// CHECK:           tensor.extract %[[Z]]
// CHECK:         %[[LOSS:.*]] = linalg.generic {{.*}} iterator_types = ["parallel"]} ins(%[[T]], %{{.*}}, %{{.*}}, %[[ZT]] : tensor<8xi64>, tensor<8xf32>, tensor<8xf32>, tensor<8xf32>)
// CHECK:           math.log
// CHECK:         %[[WIDE:.*]] = linalg.generic {{.*}} ins(%[[LOSS]] : tensor<8xf32>) outs(%{{.*}} : tensor<8xf64>)
// CHECK:           arith.extf
// CHECK:         %[[TOTAL:.*]] = linalg.reduce ins(%[[WIDE]] : tensor<8xf64>) outs(%{{.*}} : tensor<f64>) dimensions = [0]
// CHECK:         linalg.generic {{.*}} ins(%[[TOTAL]] : tensor<f64>) outs(%{{.*}} : tensor<f32>)
// CHECK:           arith.truncf

func.func @xent_logits(%z: tensor<8x16xf32>, %t: tensor<8xi64>) -> tensor<f32> {
  %r = attn.xent_logits %z, %t reduction = sum : tensor<8x16xf32>, tensor<8xi64>
  return %r : tensor<f32>
}
module attributes {transform.with_named_sequence} {
  transform.named_sequence @__transform_main(%root: !transform.any_op {transform.readonly}) {
    %o = transform.structured.match ops{["attn.xent_logits"]} in %root : (!transform.any_op) -> !transform.any_op
    %d = transform.structured.decompose_interface %o : (!transform.any_op) -> !transform.any_op
    transform.yield
  }
}

// -----

// Two contractions around an attn.softmax of the scaled scores, at rank 4;
// the two query heads read the one key/value head.
// CHECK-DAG:   #[[Q:.*]] = affine_map<(d0, d1, d2, d3, d4) -> (d0, d1, d2, d4)>
// CHECK-DAG:   #[[K:.*]] = affine_map<(d0, d1, d2, d3, d4) -> (d0, d1 floordiv 2, d3, d4)>
// CHECK-DAG:   #[[S:.*]] = affine_map<(d0, d1, d2, d3, d4) -> (d0, d1, d2, d3)>
// CHECK-DAG:   #[[V:.*]] = affine_map<(d0, d1, d2, d3, d4) -> (d0, d1 floordiv 2, d4, d3)>
// CHECK-LABEL: func.func @attention(
// CHECK:         %[[QK:.*]] = linalg.generic {indexing_maps = [#[[Q]], #[[K]], #[[S]]], iterator_types = ["parallel", "parallel", "parallel", "parallel", "reduction"]}
// CHECK:         %[[SCALED:.*]] = linalg.generic
// CHECK:           arith.mulf
// CHECK:         %[[P:.*]] = attn.softmax %[[SCALED]] causal diagonal %c16 : tensor<1x2x16x32xf32>
// CHECK:         %[[O:.*]] = linalg.generic {indexing_maps = [#[[Q]], #[[V]], #[[S]]], iterator_types = ["parallel", "parallel", "parallel", "parallel", "reduction"]} ins(%[[P]], %{{.*}} : tensor<1x2x16x32xf32>, tensor<1x1x32x4xf32>)
// CHECK:         tensor.collapse_shape %[[O]] {{\[}}[0, 1], [2], [3]] : tensor<1x2x16x4xf32> into tensor<2x16x4xf32>

func.func @attention(%q: tensor<2x16x8xf32>, %k: tensor<1x32x8xf32>, %v: tensor<1x32x4xf32>) -> tensor<2x16x4xf32> {
  %r = attn.attention %q, %k, %v causal : tensor<2x16x8xf32>, tensor<1x32x8xf32>, tensor<1x32x4xf32>
  return %r : tensor<2x16x4xf32>
}
module attributes {transform.with_named_sequence} {
  transform.named_sequence @__transform_main(%root: !transform.any_op {transform.readonly}) {
    %o = transform.structured.match ops{["attn.attention"]} in %root : (!transform.any_op) -> !transform.any_op
    %d = transform.structured.decompose_interface %o : (!transform.any_op) -> !transform.any_op
    transform.yield
  }
}

// -----

// f16: computed in f32, rounded once.
// CHECK-LABEL: func.func @sum_sq_f16(
// CHECK-SAME:      %[[X:.*]]: tensor<4x16xf16>
// CHECK:         %[[W:.*]] = linalg.generic {{.*}} ins(%[[X]] : tensor<4x16xf16>) outs(%{{.*}} : tensor<4x16xf32>)
// CHECK:           arith.extf
// CHECK:         %[[SQ:.*]] = linalg.square ins(%[[W]] : tensor<4x16xf32>)
// CHECK:         %[[R:.*]] = linalg.reduce ins(%[[SQ]] : tensor<4x16xf32>)
// CHECK:         linalg.generic {{.*}} ins(%[[R]] : tensor<4xf32>) outs(%{{.*}} : tensor<4xf16>)
// CHECK:           arith.truncf

func.func @sum_sq_f16(%x: tensor<4x16xf16>) -> tensor<4xf16> {
  %r = attn.sum_sq %x : tensor<4x16xf16>
  return %r : tensor<4xf16>
}
module attributes {transform.with_named_sequence} {
  transform.named_sequence @__transform_main(%root: !transform.any_op {transform.readonly}) {
    %o = transform.structured.match ops{["attn.sum_sq"]} in %root : (!transform.any_op) -> !transform.any_op
    %d = transform.structured.decompose_interface %o : (!transform.any_op) -> !transform.any_op
    transform.yield
  }
}
