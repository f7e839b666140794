// RUN: attn-opt %s --convert-attn-to-linalg --split-input-file | FileCheck %s

// attn.xent_logits with its options in linalg: the logits capped by
// `cap tanh(z / cap)` first; per row, with class weights w, the loss
// (1 - e) w[t] (lse - z[t]) + e/C (lse sum_c w[c] - sum_c w[c] z[c]) from
// the target's weight (gathered), the total weight and the weighted row sum;
// a mean divides by the kept rows' w[t] (summed in f64).

// CHECK-LABEL: func.func @xent_logits_weight_smoothing_softcap(
// CHECK-SAME:    %[[Z:[a-zA-Z0-9_]+]]: tensor<4x10xf32>, %[[T:[a-zA-Z0-9_]+]]: tensor<4xi64>, %[[W:[a-zA-Z0-9_]+]]: tensor<10xf32>)
// The cap: z * (1 / 30), tanh, times 30.
// CHECK:         %[[CAPPED:.*]] = linalg.map ins(%[[Z]] : tensor<4x10xf32>)
// CHECK:           %[[SCALED:.*]] = arith.mulf %{{.*}}, %{{.*}} : f32
// CHECK:           %[[TANH:.*]] = math.tanh %[[SCALED]] : f32
// CHECK:           %[[CAP:.*]] = arith.mulf %[[TANH]], %{{.*}} : f32
// CHECK:           linalg.yield %[[CAP]] : f32
// The row maximum and the sum of exponentials, of the capped logits.
// CHECK:         %[[MAX:.*]] = linalg.reduce ins(%[[CAPPED]] : tensor<4x10xf32>)
// CHECK:         %[[MS:.*]] = linalg.map ins(%[[MAX]] : tensor<4xf32>)
// CHECK:         %[[SUM:.*]] = linalg.reduce ins(%{{.*}} : tensor<4x10xf32>)
// The target's (capped) logit, read at a class that exists.
// CHECK:         %[[ZT:.*]] = linalg.generic {{.*}} iterator_types = ["parallel"]} ins(%[[T]] : tensor<4xi64>)
// CHECK:           tensor.extract %[[CAPPED]][%{{.*}}, %{{.*}}] : tensor<4x10xf32>
// The target's weight, gathered at a class that exists.
// CHECK:         %[[WT:.*]] = linalg.generic {{.*}} iterator_types = ["parallel"]} ins(%[[T]] : tensor<4xi64>)
// CHECK-NEXT:    ^bb0(%[[TI:[a-z0-9_]+]]: i64, %{{[a-z0-9_]+}}: f32):
// CHECK:           %[[IDX:.*]] = arith.index_cast %[[TI]] : i64 to index
// CHECK:           %[[SAFE:.*]] = arith.select %{{.*}}, %[[IDX]], %{{.*}} : index
// CHECK:           %[[PICKW:.*]] = tensor.extract %[[W]][%[[SAFE]]] : tensor<10xf32>
// CHECK:           linalg.yield %[[PICKW]] : f32
// The total weight sum_c w[c].
// CHECK:         %[[TOTALW:.*]] = linalg.generic {{.*}} iterator_types = ["reduction"]} ins(%[[W]] : tensor<10xf32>) outs(%{{.*}} : tensor<f32>)
// CHECK-NEXT:    ^bb0(%[[WC:[a-z0-9_]+]]: f32, %[[ACCW:[a-z0-9_]+]]: f32):
// CHECK:           %[[NEWW:.*]] = arith.addf %[[ACCW]], %[[WC]] : f32
// CHECK:           linalg.yield %[[NEWW]] : f32
// The weighted row sum sum_c w[c] z[c]: a multiply, then an add.
// CHECK:         %[[WZ:.*]] = linalg.generic {{.*}} iterator_types = ["parallel", "reduction"]} ins(%[[CAPPED]], %[[W]] : tensor<4x10xf32>, tensor<10xf32>) outs(%{{.*}} : tensor<4xf32>)
// CHECK-NEXT:    ^bb0(%[[ZC:[a-z0-9_]+]]: f32, %[[WC2:[a-z0-9_]+]]: f32, %[[ACC:[a-z0-9_]+]]: f32):
// CHECK-NEXT:      %[[PROD:.*]] = arith.mulf %[[ZC]], %[[WC2]] : f32
// CHECK-NEXT:      %[[NEW:.*]] = arith.addf %[[ACC]], %[[PROD]] : f32
// CHECK-NEXT:      linalg.yield %[[NEW]] : f32
// The per-row loss from all of them.
// CHECK:         %[[LOSS:.*]] = linalg.generic {{.*}} iterator_types = ["parallel"]} ins(%[[T]], %[[MS]], %[[SUM]], %[[ZT]], %[[WZ]], %[[WT]], %[[TOTALW]] : tensor<4xi64>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<f32>)
// CHECK-NEXT:    ^bb0(%{{[a-z0-9_]+}}: i64, %{{[a-z0-9_]+}}: f32, %{{[a-z0-9_]+}}: f32, %{{[a-z0-9_]+}}: f32, %[[LWZ:[a-z0-9_]+]]: f32, %[[LWT:[a-z0-9_]+]]: f32, %[[LTOT:[a-z0-9_]+]]: f32, %{{[a-z0-9_]+}}: f32):
// CHECK:           %[[CE:.*]] = arith.mulf %{{.*}}, %[[LWT]] : f32
// CHECK:           arith.constant 0.899999976 : f32
// CHECK:           %[[LSEW:.*]] = arith.mulf %[[LTOT]], %{{.*}} : f32
// CHECK:           %[[SMOOTH:.*]] = arith.subf %[[LSEW]], %[[LWZ]] : f32
// CHECK:           linalg.yield
// The mean: the sum of the losses in f64 over the kept rows' target weights
// in f64 (0 for an ignored row).
// CHECK:         %[[WIDE:.*]] = linalg.generic {{.*}} ins(%[[LOSS]] : tensor<4xf32>) outs(%{{.*}} : tensor<4xf64>)
// CHECK:           arith.extf %{{.*}} : f32 to f64
// CHECK:         %[[TOTAL:.*]] = linalg.reduce ins(%[[WIDE]] : tensor<4xf64>) outs(%{{.*}} : tensor<f64>) dimensions = [0]
// CHECK:         %[[KEPT:.*]] = linalg.map ins(%[[T]], %[[WT]] : tensor<4xi64>, tensor<4xf32>) outs(%{{.*}} : tensor<4xf64>)
// CHECK-NEXT:      (%[[KT:[a-z0-9_]+]]: i64, %[[KW:[a-z0-9_]+]]: f32, %{{[a-z0-9_]+}}: f64) {
// CHECK:             %[[IGN:.*]] = arith.cmpi eq, %[[KT]], %{{.*}} : i64
// CHECK:             %[[KWIDE:.*]] = arith.extf %[[KW]] : f32 to f64
// CHECK:             %[[KSEL:.*]] = arith.select %[[IGN]], %{{.*}}, %[[KWIDE]] : f64
// CHECK:             linalg.yield %[[KSEL]] : f64
// CHECK:         %[[DENOM:.*]] = linalg.reduce ins(%[[KEPT]] : tensor<4xf64>) outs(%{{.*}} : tensor<f64>) dimensions = [0]
// CHECK:         %[[MEAN:.*]] = linalg.div ins(%[[TOTAL]], %[[DENOM]] : tensor<f64>, tensor<f64>)
// CHECK:         %[[R:.*]] = linalg.generic {{.*}} ins(%[[MEAN]] : tensor<f64>) outs(%{{.*}} : tensor<f32>)
// CHECK:           arith.truncf %{{.*}} : f64 to f32
// CHECK:         return %[[R]] : tensor<f32>
func.func @xent_logits_weight_smoothing_softcap(%z: tensor<4x10xf32>, %t: tensor<4xi64>, %w: tensor<10xf32>) -> tensor<f32> {
  %r = attn.xent_logits %z, %t weight %w label_smoothing = 0.1 softcap = 30.0 : tensor<4x10xf32>, tensor<4xi64> weight tensor<10xf32>
  return %r : tensor<f32>
}

// -----

// Per-row losses (none) with a weight and a z-loss, f64: the target's loss
// times w[t], plus zl lse² (not weighted); no reduction, no cap.
// CHECK-LABEL: func.func @xent_logits_weight_zloss_none(
// CHECK-SAME:    %[[Z:[a-zA-Z0-9_]+]]: tensor<4x10xf64>, %[[T:[a-zA-Z0-9_]+]]: tensor<4xi32>, %[[W:[a-zA-Z0-9_]+]]: tensor<10xf64>)
// CHECK-NOT:     math.tanh
// CHECK:         %[[ZT:.*]] = linalg.generic {{.*}} iterator_types = ["parallel"]} ins(%[[T]] : tensor<4xi32>)
// CHECK:           tensor.extract %[[Z]][%{{.*}}, %{{.*}}] : tensor<4x10xf64>
// CHECK:         %[[WT:.*]] = linalg.generic {{.*}} iterator_types = ["parallel"]} ins(%[[T]] : tensor<4xi32>)
// CHECK:           tensor.extract %[[W]][%{{.*}}] : tensor<10xf64>
// CHECK:         %[[LOSS:.*]] = linalg.generic {{.*}} iterator_types = ["parallel"]} ins(%[[T]], %{{.*}}, %{{.*}}, %[[ZT]], %[[WT]],
// CHECK-NEXT:    ^bb0(%{{[a-z0-9_]+}}: i32, %[[MS:[a-z0-9_]+]]: f64, %[[S:[a-z0-9_]+]]: f64, %[[PICKED:[a-z0-9_]+]]: f64, %[[LWT:[a-z0-9_]+]]: f64,
// CHECK:           %[[LOG:.*]] = math.log %[[S]] : f64
// CHECK:           %[[LSE:.*]] = arith.addf %[[MS]], %[[LOG]] : f64
// CHECK:           %[[MARGIN:.*]] = arith.subf %[[MS]], %[[PICKED]] : f64
// CHECK:           %[[CE:.*]] = arith.addf %[[MARGIN]], %[[LOG]] : f64
// CHECK:           %[[WCE:.*]] = arith.mulf %[[CE]], %[[LWT]] : f64
// CHECK:           %[[ZL:.*]] = arith.constant 1.000000e-04 : f64
// CHECK:           %[[SQ:.*]] = arith.mulf %[[LSE]], %[[LSE]] : f64
// CHECK:           %[[ZLOSS:.*]] = arith.mulf %[[ZL]], %[[SQ]] : f64
// CHECK:           %[[L:.*]] = arith.addf %[[WCE]], %[[ZLOSS]] : f64
// CHECK:           linalg.yield
// CHECK-NOT:     linalg.reduce
// CHECK:         return %[[LOSS]] : tensor<4xf64>
func.func @xent_logits_weight_zloss_none(%z: tensor<4x10xf64>, %t: tensor<4xi32>, %w: tensor<10xf64>) -> tensor<4xf64> {
  %r = attn.xent_logits %z, %t weight %w reduction = none z_loss = 1.0e-4 : tensor<4x10xf64>, tensor<4xi32> weight tensor<10xf64>
  return %r : tensor<4xf64>
}
