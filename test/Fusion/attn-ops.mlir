// RUN: attn-opt %s --convert-attn-to-linalg --linalg-generalize-named-ops --linalg-fuse-elementwise-ops --split-input-file | FileCheck %s

// The seed's three computations written as attn ops: after decomposition,
// generalization and elementwise fusion, each op's work is ONE linalg.generic
// with the seed's indexing maps and iterator types (the fill aside).

// CHECK-DAG: #[[$MAP3:.+]] = affine_map<(d0, d1, d2) -> (d0, d1, d2)>
// CHECK-DAG: #[[$MASK:.+]] = affine_map<(d0, d1, d2) -> (d1, d2)>
// CHECK-DAG: #[[$ROW:.+]] = affine_map<(d0, d1, d2) -> (d0, d1)>
// CHECK-LABEL: func.func @masked_max(
// CHECK-SAME:    %[[S:[a-zA-Z0-9_]+]]: tensor<4x512x512xf32>, %[[M:[a-zA-Z0-9_]+]]: tensor<512x512xf32>)
// CHECK:         %[[NINF:.*]] = arith.constant 0xFF800000 : f32
// CHECK:         %[[FILL:.*]] = linalg.generic {{.*}} iterator_types = ["parallel", "parallel"]
// CHECK-NEXT:    ^bb0(%{{.*}}: f32):
// CHECK-NEXT:      linalg.yield %[[NINF]] : f32
// CHECK:         %[[G:.*]] = linalg.generic {indexing_maps = [#[[$MAP3]], #[[$MASK]], #[[$ROW]]], iterator_types = ["parallel", "parallel", "reduction"]} ins(%[[S]], %[[M]] : tensor<4x512x512xf32>, tensor<512x512xf32>) outs(%[[FILL]] : tensor<4x512xf32>) {
// CHECK-NEXT:    ^bb0(%[[A:.*]]: f32, %[[B:.*]]: f32, %[[ACC:.*]]: f32):
// CHECK-NEXT:      %[[SUM:.*]] = arith.addf %[[A]], %[[B]] : f32
// CHECK-NEXT:      %[[MAX:.*]] = arith.maximumf %[[SUM]], %[[ACC]] : f32
// CHECK-NEXT:      linalg.yield %[[MAX]] : f32
// CHECK-NEXT:    } -> tensor<4x512xf32>
// CHECK-NOT:     linalg.
// CHECK:         return %[[G]] : tensor<4x512xf32>
func.func @masked_max(%s: tensor<4x512x512xf32>, %m: tensor<512x512xf32>) -> tensor<4x512xf32> {
  %r = attn.masked_max %s, %m : tensor<4x512x512xf32>, tensor<512x512xf32>
  return %r : tensor<4x512xf32>
}

// -----

// CHECK-DAG: #[[$ID2:.+]] = affine_map<(d0, d1) -> (d0, d1)>
// CHECK-DAG: #[[$ROW:.+]] = affine_map<(d0, d1) -> (d0)>
// CHECK-LABEL: func.func @sum_sq(
// CHECK-SAME:    %[[X:.*]]: tensor<4x1024xf32>)
// CHECK:         %[[FILL:.*]] = linalg.generic {{.*}} iterator_types = ["parallel"]
// CHECK:         %[[G:.*]] = linalg.generic {indexing_maps = [#[[$ID2]], #[[$ROW]]], iterator_types = ["parallel", "reduction"]} ins(%[[X]] : tensor<4x1024xf32>) outs(%[[FILL]] : tensor<4xf32>) {
// CHECK-NEXT:    ^bb0(%[[IN:.*]]: f32, %[[ACC:.*]]: f32):
// CHECK-NEXT:      %[[SQ:.*]] = arith.mulf %[[IN]], %[[IN]] : f32
// CHECK-NEXT:      %[[SUM:.*]] = arith.addf %[[SQ]], %[[ACC]] : f32
// CHECK-NEXT:      linalg.yield %[[SUM]] : f32
// CHECK-NEXT:    } -> tensor<4xf32>
// CHECK-NOT:     linalg.
// CHECK:         return %[[G]] : tensor<4xf32>
func.func @sum_sq(%x: tensor<4x1024xf32>) -> tensor<4xf32> {
  %r = attn.sum_sq %x : tensor<4x1024xf32>
  return %r : tensor<4xf32>
}

// -----

// Unlike the seed, the loss is negated, and a class with q == 0 adds 0.
// CHECK-DAG: #[[$SCALAR:.+]] = affine_map<() -> ()>
// CHECK-DAG: #[[$ID1:.+]] = affine_map<(d0) -> (d0)>
// CHECK-DAG: #[[$TOSCALAR:.+]] = affine_map<(d0) -> ()>
// CHECK-LABEL: func.func @xent(
// CHECK-SAME:    %[[P:[a-zA-Z0-9_]+]]: tensor<1024xf32>, %[[Q:[a-zA-Z0-9_]+]]: tensor<1024xf32>)
// CHECK:         %[[ZERO:.*]] = arith.constant 0.000000e+00 : f32
// CHECK:         %[[FILL:.*]] = linalg.generic {indexing_maps = [#[[$SCALAR]]], iterator_types = []}
// CHECK:         %[[G:.*]] = linalg.generic {indexing_maps = [#[[$ID1]], #[[$ID1]], #[[$TOSCALAR]]], iterator_types = ["reduction"]} ins(%[[Q]], %[[P]] : tensor<1024xf32>, tensor<1024xf32>) outs(%[[FILL]] : tensor<f32>) {
// CHECK-NEXT:    ^bb0(%[[QI:.*]]: f32, %[[PI:.*]]: f32, %[[ACC:.*]]: f32):
// CHECK-NEXT:      %[[LOG:.*]] = math.log %[[PI]] : f32
// CHECK-NEXT:      %[[MUL:.*]] = arith.mulf %[[QI]], %[[LOG]] : f32
// CHECK-NEXT:      %[[ISZ:.*]] = arith.cmpf oeq, %[[QI]], %[[ZERO]] : f32
// CHECK-NEXT:      %[[NEG:.*]] = arith.negf %[[MUL]] : f32
// CHECK-NEXT:      %[[TERM:.*]] = arith.select %[[ISZ]], %[[ZERO]], %[[NEG]] : f32
// CHECK-NEXT:      %[[SUM:.*]] = arith.addf %[[TERM]], %[[ACC]] : f32
// CHECK-NEXT:      linalg.yield %[[SUM]] : f32
// CHECK-NEXT:    } -> tensor<f32>
// CHECK-NOT:     linalg.
// CHECK:         return %[[G]] : tensor<f32>
func.func @xent(%p: tensor<1024xf32>, %q: tensor<1024xf32>) -> tensor<f32> {
  %r = attn.xent %p, %q : tensor<1024xf32>, tensor<1024xf32>
  return %r : tensor<f32>
}

// -----

// Dynamic shapes fuse the same way.
// CHECK-LABEL: func.func @masked_max_dynamic(
// CHECK:         linalg.generic {{.*}} iterator_types = ["parallel", "parallel"]
// CHECK:         linalg.generic {indexing_maps = [#{{.*}}, #{{.*}}, #{{.*}}], iterator_types = ["parallel", "parallel", "reduction"]} ins(%{{.*}}, %{{.*}} : tensor<?x?x?xf32>, tensor<?x?xf32>) outs(%{{.*}} : tensor<?x?xf32>)
// CHECK-NOT:     linalg.generic
// CHECK:         return
func.func @masked_max_dynamic(%s: tensor<?x?x?xf32>, %m: tensor<?x?xf32>) -> tensor<?x?xf32> {
  %r = attn.masked_max %s, %m : tensor<?x?x?xf32>, tensor<?x?xf32>
  return %r : tensor<?x?xf32>
}
