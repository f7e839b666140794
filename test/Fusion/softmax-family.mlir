// RUN: attn-opt %s --convert-attn-to-linalg --linalg-generalize-named-ops --linalg-fuse-elementwise-ops --attn-fuse-online-softmax --canonicalize --cse --split-input-file | FileCheck %s

// After the tensor-level passes of --attn-lower-to-llvm: softmax reads its
// input twice (one online max+sum reduction, one normalization), logsumexp
// and xent_logits once; everything else works on one value per row.

// CHECK-DAG: #[[$ID:.+]] = affine_map<(d0, d1) -> (d0, d1)>
// CHECK-DAG: #[[$ROW:.+]] = affine_map<(d0, d1) -> (d0)>
// CHECK-LABEL: func.func @softmax(
// CHECK-SAME:    %[[X:[a-zA-Z0-9_]+]]: tensor<4x1024xf32>)
// CHECK:         %[[STATS:.*]]:2 = linalg.generic {indexing_maps = [#[[$ID]], #[[$ROW]], #[[$ROW]]], iterator_types = ["parallel", "reduction"]} ins(%[[X]] : tensor<4x1024xf32>)
// CHECK:           arith.maximumf
// CHECK:           arith.minimumf
// CHECK:           math.exp
// CHECK-NOT:       math.exp
// CHECK:           linalg.yield
// CHECK:         %[[SHIFT:.*]] = linalg.generic {{.*}} iterator_types = ["parallel"]} ins(%[[STATS]]#0 : tensor<4xf32>)
// CHECK:         %[[Y:.*]] = linalg.generic {indexing_maps = [#[[$ID]], #[[$ROW]], #[[$ROW]], #[[$ID]]], iterator_types = ["parallel", "parallel"]} ins(%[[X]], %[[SHIFT]], %[[STATS]]#1 : tensor<4x1024xf32>, tensor<4xf32>, tensor<4xf32>)
// CHECK-NEXT:    ^bb0(%[[IN:.*]]: f32, %[[MS:.*]]: f32, %[[S:.*]]: f32, %{{.*}}: f32):
// CHECK-NEXT:      %[[R:.*]] = arith.divf %{{.*}}, %[[S]] : f32
// CHECK-NEXT:      %[[Z:.*]] = arith.cmpf oeq, %[[S]], %{{.*}} : f32
// CHECK-NEXT:      %[[RZ:.*]] = arith.select %[[Z]], %{{.*}}, %[[R]] : f32
// CHECK-NEXT:      %[[D:.*]] = arith.subf %[[IN]], %[[MS]] : f32
// CHECK-NEXT:      %[[E:.*]] = math.exp %[[D]] {attn.nonpositive} : f32
// CHECK-NEXT:      %[[P:.*]] = arith.mulf %[[E]], %[[RZ]] : f32
// CHECK-NEXT:      linalg.yield %[[P]] : f32
// CHECK-NOT:     linalg.generic
// CHECK:         return %[[Y]]
func.func @softmax(%x: tensor<4x1024xf32>) -> tensor<4x1024xf32> {
  %r = attn.softmax %x : tensor<4x1024xf32>
  return %r : tensor<4x1024xf32>
}

// -----

// masked_rows = nan: no select on the reciprocal.
// CHECK-LABEL: func.func @softmax_nan_rows(
// CHECK:         linalg.generic {{.*}} iterator_types = ["parallel", "reduction"]
// CHECK:         linalg.generic {{.*}} iterator_types = ["parallel", "parallel"]
// CHECK-NEXT:    ^bb0(
// CHECK-NEXT:      arith.divf
// CHECK-NEXT:      arith.subf
func.func @softmax_nan_rows(%x: tensor<4x1024xf32>) -> tensor<4x1024xf32> {
  %r = attn.softmax %x masked_rows = nan : tensor<4x1024xf32>
  return %r : tensor<4x1024xf32>
}

// -----

// CHECK-LABEL: func.func @logsumexp(
// CHECK-SAME:    %[[X:[a-zA-Z0-9_]+]]: tensor<4x1024xf32>)
// CHECK:         %[[STATS:.*]]:2 = linalg.generic {{.*}} iterator_types = ["parallel", "reduction"]} ins(%[[X]] : tensor<4x1024xf32>)
// CHECK:         %[[SHIFT:.*]] = linalg.generic {{.*}} ins(%[[STATS]]#0 : tensor<4xf32>)
// CHECK:         %[[LSE:.*]] = linalg.generic {{.*}} iterator_types = ["parallel"]} ins(%[[SHIFT]], %[[STATS]]#1 : tensor<4xf32>, tensor<4xf32>)
// CHECK-NEXT:    ^bb0(%[[MS:.*]]: f32, %[[S:.*]]: f32, %{{.*}}: f32):
// CHECK-NEXT:      %[[LOG:.*]] = math.log %[[S]] : f32
// CHECK-NEXT:      %[[ADD:.*]] = arith.addf %[[MS]], %[[LOG]] : f32
// CHECK-NEXT:      linalg.yield %[[ADD]] : f32
// CHECK-NOT:     %[[X]]
// CHECK:         return %[[LSE]]
func.func @logsumexp(%x: tensor<4x1024xf32>) -> tensor<4xf32> {
  %r = attn.logsumexp %x : tensor<4x1024xf32>
  return %r : tensor<4xf32>
}

// -----

// CHECK-LABEL: func.func @log_softmax(
// CHECK-SAME:    %[[X:[a-zA-Z0-9_]+]]: tensor<4x1024xf32>)
// CHECK:         %[[STATS:.*]]:2 = linalg.generic {{.*}} iterator_types = ["parallel", "reduction"]} ins(%[[X]] : tensor<4x1024xf32>)
// CHECK:         %[[SHIFT:.*]] = linalg.generic {{.*}} ins(%[[STATS]]#0 : tensor<4xf32>)
// CHECK:         %[[Y:.*]] = linalg.generic {{.*}} iterator_types = ["parallel", "parallel"]} ins(%[[X]], %[[SHIFT]], %[[STATS]]#1 : tensor<4x1024xf32>, tensor<4xf32>, tensor<4xf32>)
// CHECK:           math.log
// CHECK:           arith.select
// CHECK:           arith.subf
// CHECK:           arith.subf
// CHECK-NOT:     linalg.generic
// CHECK:         return %[[Y]]
func.func @log_softmax(%x: tensor<4x1024xf32>) -> tensor<4x1024xf32> {
  %r = attn.log_softmax %x : tensor<4x1024xf32>
  return %r : tensor<4x1024xf32>
}

// -----

// The logits are reduced once; the loss reads one logit per row.
// CHECK-LABEL: func.func @xent_logits(
// CHECK-SAME:    %[[Z:[a-zA-Z0-9_]+]]: tensor<4x1024xf32>, %[[T:[a-zA-Z0-9_]+]]: tensor<4xi64>)
// CHECK:         %[[STATS:.*]]:2 = linalg.generic {{.*}} iterator_types = ["parallel", "reduction"]} ins(%[[Z]] : tensor<4x1024xf32>)
// CHECK:         %[[SHIFT:.*]] = linalg.generic {{.*}} ins(%[[STATS]]#0 : tensor<4xf32>)
// CHECK:         %[[TOTAL:.*]] = linalg.generic {{.*}} iterator_types = ["reduction"]} ins(%[[T]], %[[SHIFT]], %[[STATS]]#1 : tensor<4xi64>, tensor<4xf32>, tensor<4xf32>)
// CHECK:           tensor.extract %[[Z]][%{{.*}}, %{{.*}}] : tensor<4x1024xf32>
// CHECK:         %[[COUNT:.*]] = linalg.generic {{.*}} iterator_types = ["reduction"]} ins(%[[T]] : tensor<4xi64>)
// CHECK:         %[[MEAN:.*]] = linalg.generic {{.*}} iterator_types = []} ins(%[[TOTAL]], %[[COUNT]] : tensor<f64>, tensor<f64>) outs(%{{.*}} : tensor<f32>)
// CHECK:           arith.divf %{{.*}}, %{{.*}} : f64
// CHECK:           arith.truncf %{{.*}} : f64 to f32
// CHECK:         return %[[MEAN]]
func.func @xent_logits(%x: tensor<4x1024xf32>, %t: tensor<4xi64>) -> tensor<f32> {
  %r = attn.xent_logits %x, %t : tensor<4x1024xf32>, tensor<4xi64>
  return %r : tensor<f32>
}

// -----

// A softmax written in linalg named ops, not attn, is fused the same way.
// CHECK-LABEL: func.func @linalg_named_softmax_stats(
// CHECK-SAME:    %[[X:[a-zA-Z0-9_]+]]: tensor<4x1024xf32>)
// CHECK:         %[[STATS:.*]]:2 = linalg.generic {{.*}} iterator_types = ["parallel", "reduction"]} ins(%[[X]] : tensor<4x1024xf32>)
// CHECK-NOT:     linalg.generic
// CHECK:         return %[[STATS]]#0, %[[STATS]]#1
func.func @linalg_named_softmax_stats(%x: tensor<4x1024xf32>) -> (tensor<4xf32>, tensor<4xf32>) {
  %ninf = arith.constant 0xFF800000 : f32
  %zero = arith.constant 0.0 : f32
  %e1 = tensor.empty() : tensor<4xf32>
  %e2 = tensor.empty() : tensor<4x1024xf32>
  %minit = linalg.fill ins(%ninf : f32) outs(%e1 : tensor<4xf32>) -> tensor<4xf32>
  %m = linalg.reduce ins(%x : tensor<4x1024xf32>) outs(%minit : tensor<4xf32>) dimensions = [1]
    (%in: f32, %acc: f32) {
      %0 = arith.maximumf %in, %acc : f32
      linalg.yield %0 : f32
    }
  %mb = linalg.broadcast ins(%m : tensor<4xf32>) outs(%e2 : tensor<4x1024xf32>) dimensions = [1]
  %d = linalg.sub ins(%x, %mb : tensor<4x1024xf32>, tensor<4x1024xf32>) outs(%e2 : tensor<4x1024xf32>) -> tensor<4x1024xf32>
  %ex = linalg.exp ins(%d : tensor<4x1024xf32>) outs(%e2 : tensor<4x1024xf32>) -> tensor<4x1024xf32>
  %sinit = linalg.fill ins(%zero : f32) outs(%e1 : tensor<4xf32>) -> tensor<4xf32>
  %s = linalg.reduce ins(%ex : tensor<4x1024xf32>) outs(%sinit : tensor<4xf32>) dimensions = [1]
    (%in: f32, %acc: f32) {
      %0 = arith.addf %in, %acc : f32
      linalg.yield %0 : f32
    }
  return %m, %s : tensor<4xf32>, tensor<4xf32>
}
