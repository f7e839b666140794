// RUN: attn-opt %s --convert-attn-to-linalg --split-input-file | FileCheck %s

// The softmax family in linalg named ops: max, safe shift, sub, exp, sum,
// then the op's own output. The masked scores are rebuilt for each consumer
// (single-use producers, so that fusion can take each copy).

// CHECK-LABEL: func.func @softmax(
// CHECK-SAME:    %[[X:[a-zA-Z0-9_]+]]: tensor<4x16xf32>)
// CHECK:         %[[MAX:.*]] = linalg.reduce ins(%[[X]] : tensor<4x16xf32>) outs(%{{.*}} : tensor<4xf32>) dimensions = [1]
// CHECK:           arith.maximumf
// CHECK:         %[[SHIFT:.*]] = linalg.map ins(%[[MAX]] : tensor<4xf32>)
// CHECK-NEXT:      (%[[M:.*]]: f32, %{{.*}}: f32) {
// CHECK-NEXT:        %[[NINF:.*]] = arith.constant 0xFF800000 : f32
// CHECK-NEXT:        %[[ZERO:.*]] = arith.constant 0.000000e+00 : f32
// CHECK-NEXT:        %[[EQ:.*]] = arith.cmpf oeq, %[[M]], %[[NINF]] : f32
// CHECK-NEXT:        %[[SEL:.*]] = arith.select %[[EQ]], %[[ZERO]], %[[M]] : f32
// CHECK-NEXT:        linalg.yield %[[SEL]] : f32
// CHECK:         %[[SB:.*]] = linalg.broadcast ins(%[[SHIFT]] : tensor<4xf32>) outs(%{{.*}} : tensor<4x16xf32>) dimensions = [1]
// CHECK:         %[[D:.*]] = linalg.sub ins(%[[X]], %[[SB]] : tensor<4x16xf32>, tensor<4x16xf32>)
// CHECK:         %[[E:.*]] = linalg.map { math.exp {attn.nonpositive} } ins(%[[D]] : tensor<4x16xf32>)
// CHECK:         %[[SUM:.*]] = linalg.reduce ins(%[[E]] : tensor<4x16xf32>) outs(%{{.*}} : tensor<4xf32>) dimensions = [1]
// CHECK:           arith.addf
// CHECK:         %[[RECIP:.*]] = linalg.map ins(%[[SUM]] : tensor<4xf32>)
// CHECK:           arith.divf
// CHECK:           arith.select
// CHECK:         %[[SB2:.*]] = linalg.broadcast ins(%[[SHIFT]] : tensor<4xf32>)
// CHECK:         %[[D2:.*]] = linalg.sub ins(%[[X]], %[[SB2]] : tensor<4x16xf32>, tensor<4x16xf32>)
// CHECK:         %[[E2:.*]] = linalg.map { math.exp {attn.nonpositive} } ins(%[[D2]] : tensor<4x16xf32>)
// CHECK:         %[[RB:.*]] = linalg.broadcast ins(%[[RECIP]] : tensor<4xf32>)
// CHECK:         %[[Y:.*]] = linalg.mul ins(%[[E2]], %[[RB]] : tensor<4x16xf32>, tensor<4x16xf32>)
// CHECK:         return %[[Y]]
func.func @softmax(%x: tensor<4x16xf32>) -> tensor<4x16xf32> {
  %r = attn.softmax %x : tensor<4x16xf32>
  return %r : tensor<4x16xf32>
}

// -----

// The mask is added and the causal mask applied from indices, once for each
// of the three consumers; no [M, N] causal tensor exists.
// CHECK-LABEL: func.func @softmax_mask_causal(
// CHECK-SAME:    %[[X:[a-zA-Z0-9_]+]]: tensor<2x8x16xf32>, %[[MASK:[a-zA-Z0-9_]+]]: tensor<8x16xf32>)
// CHECK-COUNT-3: linalg.broadcast ins(%[[MASK]] : tensor<8x16xf32>) outs(%{{.*}} : tensor<2x8x16xf32>) dimensions = [0]
// CHECK-NOT:     arith.constant dense
// CHECK-NOT:     linalg.broadcast ins(%[[MASK]]
// CHECK:         return
func.func @softmax_mask_causal(%x: tensor<2x8x16xf32>, %m: tensor<8x16xf32>) -> tensor<2x8x16xf32> {
  %r = attn.softmax %x mask %m causal : tensor<2x8x16xf32>, tensor<8x16xf32>
  return %r : tensor<2x8x16xf32>
}

// -----

// Causal: entry (i, j) of [M, N] = [8, 16] is -inf where j > i + (16 - 8).
// CHECK-DAG: #[[$ID3:.+]] = affine_map<(d0, d1, d2) -> (d0, d1, d2)>
// CHECK-LABEL: func.func @logsumexp_causal(
// CHECK-SAME:    %[[X:[a-zA-Z0-9_]+]]: tensor<2x8x16xf32>)
// CHECK-DAG:     %[[C8:.*]] = arith.constant 8 : index
// CHECK-DAG:     %[[C16:.*]] = arith.constant 16 : index
// CHECK:         %[[OFF:.*]] = arith.subi %[[C16]], %[[C8]] : index
// CHECK:         %[[NINF:.*]] = arith.constant 0xFF800000 : f32
// CHECK:         %[[CAUSAL:.*]] = linalg.generic {indexing_maps = [#[[$ID3]], #[[$ID3]]], iterator_types = ["parallel", "parallel", "parallel"]} ins(%[[X]] : tensor<2x8x16xf32>)
// CHECK-NEXT:    ^bb0(%[[IN:.*]]: f32, %{{.*}}: f32):
// CHECK-NEXT:      %[[I:.*]] = linalg.index 1 : index
// CHECK-NEXT:      %[[J:.*]] = linalg.index 2 : index
// CHECK-NEXT:      %[[LAST:.*]] = arith.addi %[[I]], %[[OFF]] : index
// CHECK-NEXT:      %[[ABOVE:.*]] = arith.cmpi sgt, %[[J]], %[[LAST]] : index
// CHECK-NEXT:      %[[SEL:.*]] = arith.select %[[ABOVE]], %[[NINF]], %[[IN]] : f32
// CHECK-NEXT:      linalg.yield %[[SEL]] : f32
// CHECK:         linalg.reduce ins(%[[CAUSAL]] : tensor<2x8x16xf32>)
// CHECK:         %[[LSE:.*]] = linalg.map ins(%{{.*}}, %{{.*}} : tensor<2x8xf32>, tensor<2x8xf32>)
// CHECK-NEXT:      (%[[MS:.*]]: f32, %[[S:.*]]: f32, %{{.*}}: f32) {
// CHECK-NEXT:        %[[LOG:.*]] = math.log %[[S]] : f32
// CHECK-NEXT:        %[[ADD:.*]] = arith.addf %[[MS]], %[[LOG]] : f32
// CHECK-NEXT:        linalg.yield %[[ADD]] : f32
// CHECK:         return %[[LSE]] : tensor<2x8xf32>
func.func @logsumexp_causal(%x: tensor<2x8x16xf32>) -> tensor<2x8xf32> {
  %r = attn.logsumexp %x causal : tensor<2x8x16xf32>
  return %r : tensor<2x8xf32>
}

// -----

// Dynamic causal offset: N - M from tensor.dim.
// CHECK-LABEL: func.func @log_softmax_dynamic_causal(
// CHECK-SAME:    %[[X:[a-zA-Z0-9_]+]]: tensor<?x?xf32>)
// CHECK-DAG:     %[[M:.*]] = tensor.dim %[[X]], %{{.*}} : tensor<?x?xf32>
// CHECK-DAG:     %[[N:.*]] = tensor.dim %[[X]], %{{.*}} : tensor<?x?xf32>
// CHECK:         arith.subi %[[N]], %[[M]] : index
// CHECK:         linalg.index 0
// CHECK:         linalg.index 1
// CHECK:         %[[SHIFT:.*]] = linalg.map ins(%{{.*}} : tensor<?xf32>)
// CHECK:         %[[LOGS:.*]] = linalg.map ins(%{{.*}} : tensor<?xf32>)
// CHECK-NEXT:      (%{{.*}}: f32, %{{.*}}: f32) {
// CHECK-NEXT:        arith.constant 0.0
// CHECK-NEXT:        math.log
// CHECK:           arith.select
// CHECK:         %[[SHIFTED:.*]] = linalg.sub
// CHECK:         %[[LB:.*]] = linalg.broadcast ins(%[[LOGS]] : tensor<?xf32>)
// CHECK:         %[[Y:.*]] = linalg.sub ins(%[[SHIFTED]], %[[LB]] : tensor<?x?xf32>, tensor<?x?xf32>)
// CHECK:         return %[[Y]]
func.func @log_softmax_dynamic_causal(%x: tensor<?x?xf32>) -> tensor<?x?xf32> {
  %r = attn.log_softmax %x causal : tensor<?x?xf32>
  return %r : tensor<?x?xf32>
}

// -----

// CHECK-LABEL: func.func @xent_logits_none(
// CHECK-SAME:    %[[Z:[a-zA-Z0-9_]+]]: tensor<4x10xf32>, %[[T:[a-zA-Z0-9_]+]]: tensor<4xi32>)
// The target's logit, read at a class that exists:
// CHECK:         %[[ZT:.*]] = linalg.generic {{.*}} iterator_types = ["parallel"]} ins(%[[T]] : tensor<4xi32>)
// CHECK-NEXT:    ^bb0(%[[TZ:.*]]: i32, %{{.*}}: f32):
// CHECK:           %[[IDX:.*]] = arith.index_cast %[[TZ]] : i32 to index
// CHECK:           %[[GE:.*]] = arith.cmpi sge, %[[IDX]], %{{.*}} : index
// CHECK:           %[[LT:.*]] = arith.cmpi slt, %[[IDX]], %{{.*}} : index
// CHECK:           %[[OK:.*]] = arith.andi %[[GE]], %[[LT]] : i1
// CHECK:           %[[ROW:.*]] = linalg.index 0 : index
// CHECK:           %[[SAFE:.*]] = arith.select %[[OK]], %[[IDX]], %{{.*}} : index
// CHECK:           %[[PICK:.*]] = tensor.extract %[[Z]][%[[ROW]], %[[SAFE]]] : tensor<4x10xf32>
// CHECK:           linalg.yield %[[PICK]] : f32
// The loss: (ms - z[t]) + log s, NaN out of range, 0 where ignored.
// CHECK:         %[[LOSS:.*]] = linalg.generic {{.*}} iterator_types = ["parallel"]} ins(%[[T]], %{{.*}}, %{{.*}}, %[[ZT]] : tensor<4xi32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>)
// CHECK-NEXT:    ^bb0(%[[TI:.*]]: i32, %[[MS:.*]]: f32, %[[S:.*]]: f32, %[[PICKED:.*]]: f32, %{{.*}}: f32):
// CHECK:           %[[LOG:.*]] = math.log %[[S]] : f32
// CHECK:           %[[MARGIN:.*]] = arith.subf %[[MS]], %[[PICKED]] : f32
// CHECK:           %[[L:.*]] = arith.addf %[[MARGIN]], %[[LOG]] : f32
// CHECK:           %[[IGN:.*]] = arith.cmpi eq, %[[TI]], %{{.*}} : i32
// CHECK:           %[[OK2:.*]] = arith.andi
// CHECK:           %[[CHECKED:.*]] = arith.select %[[OK2]], %[[L]], %{{.*}} : f32
// CHECK:           %[[R:.*]] = arith.select %[[IGN]], %{{.*}}, %[[CHECKED]] : f32
// CHECK:           linalg.yield %[[R]] : f32
// CHECK-NOT:     linalg.reduce ins(%[[LOSS]]
// CHECK:         return %[[LOSS]] : tensor<4xf32>
func.func @xent_logits_none(%z: tensor<4x10xf32>, %t: tensor<4xi32>) -> tensor<4xf32> {
  %r = attn.xent_logits %z, %t ignore_index = 3 reduction = none : tensor<4x10xf32>, tensor<4xi32>
  return %r : tensor<4xf32>
}

// -----

// CHECK-LABEL: func.func @xent_logits_mean(
// CHECK-SAME:    %[[Z:[a-zA-Z0-9_]+]]: tensor<2x3x10xf32>, %[[T:[a-zA-Z0-9_]+]]: tensor<2x3xi64>)
// The sum and the count in f64 (losses of 1e38 have a mean), the mean
// rounded once.
// CHECK:         %[[LOSS:.*]] = linalg.generic {{.*}} ins(%[[T]],
// CHECK:         %[[WIDE:.*]] = linalg.generic {{.*}} ins(%[[LOSS]] : tensor<2x3xf32>) outs(%{{.*}} : tensor<2x3xf64>)
// CHECK:           arith.extf %{{.*}} : f32 to f64
// CHECK:         %[[TOTAL:.*]] = linalg.reduce ins(%[[WIDE]] : tensor<2x3xf64>) outs(%{{.*}} : tensor<f64>) dimensions = [0, 1]
// CHECK:         %[[KEPT:.*]] = linalg.map ins(%[[T]] : tensor<2x3xi64>)
// CHECK:           arith.cmpi eq, %{{.*}}, %{{.*}} : i64
// CHECK:         %[[COUNT:.*]] = linalg.reduce ins(%[[KEPT]] : tensor<2x3xf64>) outs(%{{.*}} : tensor<f64>) dimensions = [0, 1]
// CHECK:         %[[MEAN:.*]] = linalg.div ins(%[[TOTAL]], %[[COUNT]] : tensor<f64>, tensor<f64>)
// CHECK:         %[[R:.*]] = linalg.generic {{.*}} ins(%[[MEAN]] : tensor<f64>) outs(%{{.*}} : tensor<f32>)
// CHECK:           arith.truncf %{{.*}} : f64 to f32
// CHECK:         return %[[R]] : tensor<f32>
func.func @xent_logits_mean(%z: tensor<2x3x10xf32>, %t: tensor<2x3xi64>) -> tensor<f32> {
  %r = attn.xent_logits %z, %t : tensor<2x3x10xf32>, tensor<2x3xi64>
  return %r : tensor<f32>
}
