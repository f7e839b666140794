// RUN: attn-opt %s --linalg-generalize-named-ops --linalg-fuse-elementwise-ops --split-input-file | FileCheck %s

// The three functions of the seed note ("linalg fusions"), written in linalg
// named ops, with CHECK lines that hold: each computation becomes ONE
// linalg.generic (fills aside) after generalization and elementwise fusion.

// Attention mask + max-reduce: broadcast mask -> add to scores -> max over j.
// CHECK-DAG: #[[$MAP3:.+]] = affine_map<(d0, d1, d2) -> (d0, d1, d2)>
// CHECK-DAG: #[[$MASK:.+]] = affine_map<(d0, d1, d2) -> (d1, d2)>
// CHECK-DAG: #[[$ROW:.+]] = affine_map<(d0, d1, d2) -> (d0, d1)>
// CHECK-LABEL: func.func @fuse_mask_into_max_reduce(
// CHECK-SAME:    %[[S:[a-zA-Z0-9_]+]]: tensor<4x512x512xf32>,
// CHECK-SAME:    %[[M:[a-zA-Z0-9_]+]]: tensor<512x512xf32>,
// CHECK-SAME:    %[[INIT:[a-zA-Z0-9_]+]]: tensor<4x512xf32>) -> tensor<4x512xf32> {
// CHECK-NOT:     linalg.broadcast
// CHECK:         %[[G:.*]] = linalg.generic {indexing_maps = [#[[$MAP3]], #[[$MASK]], #[[$ROW]]], iterator_types = ["parallel", "parallel", "reduction"]} ins(%[[S]], %[[M]] : tensor<4x512x512xf32>, tensor<512x512xf32>) outs(%[[INIT]] : tensor<4x512xf32>) {
// CHECK-NEXT:    ^bb0(%[[A:.*]]: f32, %[[B:.*]]: f32, %[[ACC:.*]]: f32):
// CHECK-NEXT:      %[[SUM:.*]] = arith.addf %[[A]], %[[B]] : f32
// CHECK-NEXT:      %[[MAX:.*]] = arith.maximumf %[[SUM]], %[[ACC]] : f32
// CHECK-NEXT:      linalg.yield %[[MAX]] : f32
// CHECK-NEXT:    } -> tensor<4x512xf32>
// CHECK-NOT:     linalg.generic
// CHECK:         return %[[G]] : tensor<4x512xf32>
func.func @fuse_mask_into_max_reduce(
    %scores: tensor<4x512x512xf32>,
    %mask: tensor<512x512xf32>,
    %neg_inf_init: tensor<4x512xf32>) -> tensor<4x512xf32> {
  %init3d = tensor.empty() : tensor<4x512x512xf32>
  %mask_3d = linalg.broadcast
      ins(%mask : tensor<512x512xf32>)
      outs(%init3d : tensor<4x512x512xf32>) dimensions = [0]
  %masked = linalg.add
      ins(%scores, %mask_3d : tensor<4x512x512xf32>, tensor<4x512x512xf32>)
      outs(%init3d : tensor<4x512x512xf32>) -> tensor<4x512x512xf32>
  %max = linalg.reduce ins(%masked : tensor<4x512x512xf32>)
      outs(%neg_inf_init : tensor<4x512xf32>) dimensions = [2]
      (%in: f32, %acc: f32) {
        %m = arith.maximumf %in, %acc : f32
        linalg.yield %m : f32
      }
  return %max : tensor<4x512xf32>
}

// -----

// Sum of squares: fill -> square -> sum over dim 1.
// CHECK-DAG: #[[$ID1:.+]] = affine_map<(d0) -> (d0)>
// CHECK-DAG: #[[$ID2:.+]] = affine_map<(d0, d1) -> (d0, d1)>
// CHECK-DAG: #[[$ROW:.+]] = affine_map<(d0, d1) -> (d0)>
// CHECK-LABEL: func.func @fuse_square_into_reduce(
// CHECK-SAME:    %[[X:.*]]: tensor<4x1024xf32>) -> tensor<4xf32> {
// CHECK:         %[[ZERO:.*]] = arith.constant 0.000000e+00 : f32
// CHECK:         %[[E:.*]] = tensor.empty() : tensor<4xf32>
// CHECK:         %[[FILL:.*]] = linalg.generic {indexing_maps = [#[[$ID1]]], iterator_types = ["parallel"]} outs(%[[E]] : tensor<4xf32>) {
// CHECK-NEXT:    ^bb0(%{{.*}}: f32):
// CHECK-NEXT:      linalg.yield %[[ZERO]] : f32
// CHECK-NEXT:    } -> tensor<4xf32>
// CHECK:         %[[G:.*]] = linalg.generic {indexing_maps = [#[[$ID2]], #[[$ROW]]], iterator_types = ["parallel", "reduction"]} ins(%[[X]] : tensor<4x1024xf32>) outs(%[[FILL]] : tensor<4xf32>) {
// CHECK-NEXT:    ^bb0(%[[IN:.*]]: f32, %[[ACC:.*]]: f32):
// CHECK-NEXT:      %[[SQ:.*]] = arith.mulf %[[IN]], %[[IN]] : f32
// CHECK-NEXT:      %[[SUM:.*]] = arith.addf %[[SQ]], %[[ACC]] : f32
// CHECK-NEXT:      linalg.yield %[[SUM]] : f32
// CHECK-NEXT:    } -> tensor<4xf32>
// CHECK-NOT:     linalg.generic
// CHECK:         return %[[G]] : tensor<4xf32>
func.func @fuse_square_into_reduce(%x: tensor<4x1024xf32>) -> tensor<4xf32> {
  %cst = arith.constant 0.0 : f32
  %init = tensor.empty() : tensor<4x1024xf32>
  %zero = tensor.empty() : tensor<4xf32>
  %fill = linalg.fill ins(%cst : f32) outs(%zero : tensor<4xf32>) -> tensor<4xf32>
  %sq = linalg.square
      ins(%x : tensor<4x1024xf32>)
      outs(%init : tensor<4x1024xf32>) -> tensor<4x1024xf32>
  %sum = linalg.reduce ins(%sq : tensor<4x1024xf32>)
      outs(%fill : tensor<4xf32>) dimensions = [1]
      (%in: f32, %acc: f32) {
        %add = arith.addf %in, %acc : f32
        linalg.yield %add : f32
      }
  return %sum : tensor<4xf32>
}

// -----

// The seed's NLL: log -> mul -> sum. As written it computes sum q*log(p),
// without the minus of a loss (attn.xent adds it).
// CHECK-DAG: #[[$SCALAR:.+]] = affine_map<() -> ()>
// CHECK-DAG: #[[$ID1:.+]] = affine_map<(d0) -> (d0)>
// CHECK-DAG: #[[$TOSCALAR:.+]] = affine_map<(d0) -> ()>
// CHECK-LABEL: func.func @fuse_nll_into_reduce(
// CHECK-SAME:    %[[P:[a-zA-Z0-9_]+]]: tensor<1024xf32>,
// CHECK-SAME:    %[[Q:[a-zA-Z0-9_]+]]: tensor<1024xf32>) -> tensor<f32> {
// CHECK:         %[[ZERO:.*]] = arith.constant 0.000000e+00 : f32
// CHECK:         %[[E:.*]] = tensor.empty() : tensor<f32>
// CHECK:         %[[FILL:.*]] = linalg.generic {indexing_maps = [#[[$SCALAR]]], iterator_types = []} outs(%[[E]] : tensor<f32>) {
// CHECK-NEXT:    ^bb0(%{{.*}}: f32):
// CHECK-NEXT:      linalg.yield %[[ZERO]] : f32
// CHECK-NEXT:    } -> tensor<f32>
// CHECK:         %[[G:.*]] = linalg.generic {indexing_maps = [#[[$ID1]], #[[$ID1]], #[[$TOSCALAR]]], iterator_types = ["reduction"]} ins(%[[Q]], %[[P]] : tensor<1024xf32>, tensor<1024xf32>) outs(%[[FILL]] : tensor<f32>) {
// CHECK-NEXT:    ^bb0(%[[QI:.*]]: f32, %[[PI:.*]]: f32, %[[ACC:.*]]: f32):
// CHECK-NEXT:      %[[LOG:.*]] = math.log %[[PI]] : f32
// CHECK-NEXT:      %[[MUL:.*]] = arith.mulf %[[QI]], %[[LOG]] : f32
// CHECK-NEXT:      %[[SUM:.*]] = arith.addf %[[MUL]], %[[ACC]] : f32
// CHECK-NEXT:      linalg.yield %[[SUM]] : f32
// CHECK-NEXT:    } -> tensor<f32>
// CHECK-NOT:     linalg.generic
// CHECK:         return %[[G]] : tensor<f32>
func.func @fuse_nll_into_reduce(
    %p: tensor<1024xf32>,
    %q: tensor<1024xf32>) -> tensor<f32> {
  %cst = arith.constant 0.0 : f32
  %init = tensor.empty() : tensor<1024xf32>
  %zero = tensor.empty() : tensor<f32>
  %fill = linalg.fill ins(%cst : f32) outs(%zero : tensor<f32>) -> tensor<f32>
  %log_p = linalg.log
      ins(%p : tensor<1024xf32>)
      outs(%init : tensor<1024xf32>) -> tensor<1024xf32>
  %qlogp = linalg.mul
      ins(%q, %log_p : tensor<1024xf32>, tensor<1024xf32>)
      outs(%init : tensor<1024xf32>) -> tensor<1024xf32>
  %sum = linalg.reduce ins(%qlogp : tensor<1024xf32>)
      outs(%fill : tensor<f32>) dimensions = [0]
      (%in: f32, %acc: f32) {
        %add = arith.addf %in, %acc : f32
        linalg.yield %add : f32
      }
  return %sum : tensor<f32>
}
