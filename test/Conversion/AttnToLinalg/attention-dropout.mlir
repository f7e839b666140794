// RUN: attn-opt %s --convert-attn-to-linalg --split-input-file | FileCheck %s

// Dropout in the flash loop: each query block's row keys (one hash chain
// per row, hoisted out of the key loop), then per score one hash of the row
// key and the key index, kept when its top 24 bits are >= p 2^24
// (0.25 * 2^24 = 4194304), scaled by 1 / (1 - p); the weighted
// probabilities weigh the values, the row sum keeps the undropped ones.
// CHECK-LABEL: func.func @attention_dropout(
// CHECK-SAME:    %{{.*}}: tensor<1x1x64x16xf32>, %[[RNG:.*]]: tensor<2xi64>)
// CHECK:         tensor.extract %[[RNG]][%{{.*}}] : tensor<2xi64>
// CHECK:         tensor.extract %[[RNG]][%{{.*}}] : tensor<2xi64>
// CHECK:         scf.for
// CHECK:           %[[ROWKEYS:.*]] = linalg.generic {{.*}} outs(%{{.*}} : tensor<64xi32>)
// CHECK:           scf.for
// CHECK:             %[[EXPS:.*]]:2 = linalg.generic
// CHECK:               math.exp2
// CHECK:             %[[WEIGHTS:.*]] = linalg.generic {{.*}} ins(%[[EXPS]]#0, %[[ROWKEYS]] : tensor<64x64xf32>, tensor<64xi32>)
// CHECK:               %[[SPREAD:.*]] = arith.constant -1640531527 : i32
// CHECK:               arith.muli %{{.*}}, %[[SPREAD]] : i32
// CHECK:               %[[T:.*]] = arith.constant 4194304 : i32
// CHECK:               %[[KEPT:.*]] = arith.cmpi uge, %{{.*}}, %[[T]] : i32
// CHECK:               %[[SCALE:.*]] = arith.constant 1.33333337 : f32
// CHECK:               arith.select %[[KEPT]], %[[SCALE]]
// CHECK:             linalg.generic {{.*}} ins(%[[WEIGHTS]], %{{.*}} : tensor<64x64xf32>, tensor<64x16xf32>)
func.func @attention_dropout(%q: tensor<1x1x64x16xf32>, %r: tensor<2xi64>) -> tensor<1x1x64x16xf32> {
  %o = attn.attention %q, %q, %q dropout = 0.25 rng %r : tensor<1x1x64x16xf32>, tensor<1x1x64x16xf32>, tensor<1x1x64x16xf32>
  return %o : tensor<1x1x64x16xf32>
}
