// RUN: attn-opt %s --convert-attn-to-linalg --linalg-generalize-named-ops --linalg-fuse-elementwise-ops --attn-fuse-online-softmax --canonicalize --cse --attn-split-online-softmax-lanes --split-input-file | FileCheck %s

// A row of 64 = 4 chunks x 16 lanes: the online reduction runs per lane
// (reduction over chunks, lanes parallel and innermost), then a merge.
// CHECK-DAG: #[[$X:.+]] = affine_map<(d0, d1, d2) -> (d0, d1, d2)>
// CHECK-DAG: #[[$LANE:.+]] = affine_map<(d0, d1, d2) -> (d0, d2)>
// CHECK-DAG: #[[$ID2:.+]] = affine_map<(d0, d1) -> (d0, d1)>
// CHECK-DAG: #[[$ROW:.+]] = affine_map<(d0, d1) -> (d0)>
// CHECK-LABEL: func.func @logsumexp(
// CHECK-SAME:    %[[X:[a-zA-Z0-9_]+]]: tensor<8x64xf32>)
// CHECK:         %[[SPLIT:.*]] = tensor.expand_shape %[[X]] {{\[}}[0], [1, 2]] output_shape [8, 4, 16]
// CHECK:         %[[LANES:.*]]:2 = linalg.generic {indexing_maps = [#[[$X]], #[[$LANE]], #[[$LANE]]], iterator_types = ["parallel", "reduction", "parallel"]} ins(%[[SPLIT]] : tensor<8x4x16xf32>) outs(%{{.*}}, %{{.*}} : tensor<8x16xf32>, tensor<8x16xf32>)
// CHECK:           arith.maximumf
// CHECK:           math.exp
// CHECK:         %[[MERGED:.*]]:2 = linalg.generic {indexing_maps = [#[[$ID2]], #[[$ID2]], #[[$ROW]], #[[$ROW]]], iterator_types = ["parallel", "reduction"]} ins(%[[LANES]]#0, %[[LANES]]#1 : tensor<8x16xf32>, tensor<8x16xf32>) outs(%{{.*}}, %{{.*}} : tensor<8xf32>, tensor<8xf32>)
// CHECK-NEXT:    ^bb0(%[[ML:.*]]: f32, %[[SL:.*]]: f32, %[[M:.*]]: f32, %[[S:.*]]: f32):
// CHECK-NEXT:      %[[MN:.*]] = arith.maximumf %[[M]], %[[ML]] : f32
// CHECK:           linalg.yield %[[MN]], %{{.*}} : f32, f32
func.func @logsumexp(%x: tensor<8x64xf32>) -> tensor<8xf32> {
  %r = attn.logsumexp %x : tensor<8x64xf32>
  return %r : tensor<8xf32>
}

// -----

// The causal index j becomes c * 16 + l in the split body; the mask [M, N]
// is split like the scores.
// CHECK-LABEL: func.func @softmax_mask_causal(
// CHECK:         tensor.expand_shape %{{.*}} {{\[}}[0], [1], [2, 3]] output_shape [2, 8, 2, 16] : tensor<2x8x32xf32> into tensor<2x8x2x16xf32>
// CHECK:         tensor.expand_shape %{{.*}} {{\[}}[0], [1, 2]] output_shape [8, 2, 16] : tensor<8x32xf32> into tensor<8x2x16xf32>
// CHECK:         linalg.generic {{.*}} iterator_types = ["parallel", "parallel", "reduction", "parallel"]
// CHECK:           %[[C:.*]] = linalg.index 2 : index
// CHECK:           %[[L:.*]] = linalg.index 3 : index
// CHECK:           %[[CL:.*]] = arith.muli %[[C]], %{{.*}} : index
// CHECK:           arith.addi %[[CL]], %[[L]] : index
func.func @softmax_mask_causal(%x: tensor<2x8x32xf32>, %m: tensor<8x32xf32>) -> tensor<2x8x32xf32> {
  %r = attn.softmax %x mask %m causal : tensor<2x8x32xf32>, tensor<8x32xf32>
  return %r : tensor<2x8x32xf32>
}

// -----

// A row of 50 = 3 x 16 + 2: the first 48 in lanes and merged, then the op
// itself over the last 2 from the merged (max, sum), its causal index j
// shifted by 48 (and unmarked: no second split).
// CHECK-LABEL: func.func @tail_causal(
// CHECK-SAME:    %[[X:[a-zA-Z0-9_]+]]: tensor<8x50xf32>)
// CHECK:         %[[HEAD:.*]] = tensor.extract_slice %[[X]][0, 0] [8, 48] [1, 1] : tensor<8x50xf32> to tensor<8x48xf32>
// CHECK:         %[[SPLIT:.*]] = tensor.expand_shape %[[HEAD]] {{\[}}[0], [1, 2]] output_shape [8, 3, 16]
// CHECK:         %[[LANES:.*]]:2 = linalg.generic {{.*}} iterator_types = ["parallel", "reduction", "parallel"]} ins(%[[SPLIT]] : tensor<8x3x16xf32>)
// CHECK:         %[[MERGED:.*]]:2 = linalg.generic {{.*}} ins(%[[LANES]]#0, %[[LANES]]#1 : tensor<8x16xf32>, tensor<8x16xf32>) outs(%{{.*}}, %{{.*}} : tensor<8xf32>, tensor<8xf32>)
// CHECK:         %[[REST:.*]] = tensor.extract_slice %[[X]][0, 48] [8, 2] [1, 1] : tensor<8x50xf32> to tensor<8x2xf32>
// CHECK:         %[[R:.*]]:2 = linalg.generic {{.*}} iterator_types = ["parallel", "reduction"]} ins(%[[REST]] : tensor<8x2xf32>) outs(%[[MERGED]]#0, %[[MERGED]]#1 : tensor<8xf32>, tensor<8xf32>) {
// CHECK:           %[[J:.*]] = linalg.index 1 : index
// CHECK-NEXT:      %[[JJ:.*]] = arith.addi %[[J]], %[[C48:.*]] : index
// CHECK:           arith.cmpi sgt, %[[JJ]], %{{.*}} : index
// CHECK:         } -> (tensor<8xf32>, tensor<8xf32>)
// CHECK:         linalg.generic {{.*}} ins(%[[R]]#0 : tensor<8xf32>)
func.func @tail_causal(%x: tensor<8x50xf32>) -> tensor<8xf32> {
  %r = attn.logsumexp %x causal : tensor<8x50xf32>
  return %r : tensor<8xf32>
}

// -----

// A row of unknown length N: when N >= 64 at run time, N floordiv 16 chunks
// in lanes, the N mod 16 left after them; shorter, the reduction as it is.
// CHECK-LABEL: func.func @dynamic(
// CHECK-SAME:    %[[X:[a-zA-Z0-9_]+]]: tensor<8x?xf32>)
// CHECK-DAG:     %[[C16:.*]] = arith.constant 16 : index
// CHECK-DAG:     %[[C64:.*]] = arith.constant 64 : index
// CHECK:         %[[N:.*]] = tensor.dim %[[X]], %{{.*}} : tensor<8x?xf32>
// CHECK:         %[[LONG:.*]] = arith.cmpi uge, %[[N]], %[[C64]] : index
// CHECK:         %[[R:.*]]:2 = scf.if %[[LONG]] -> (tensor<8xf32>, tensor<8xf32>) {
// CHECK:         %[[C:.*]] = arith.divui %[[N]], %[[C16]] : index
// CHECK:         %[[W:.*]] = arith.muli %[[C]], %[[C16]] : index
// CHECK:         %[[T:.*]] = arith.subi %[[N]], %[[W]] : index
// CHECK:         %[[HEAD:.*]] = tensor.extract_slice %[[X]][0, 0] [8, %[[W]]] [1, 1]
// CHECK:         %[[SPLIT:.*]] = tensor.expand_shape %[[HEAD]] {{\[}}[0], [1, 2]] output_shape [8, %[[C]], 16] : tensor<8x?xf32> into tensor<8x?x16xf32>
// CHECK:         %[[LANES:.*]]:2 = linalg.generic {{.*}} ins(%[[SPLIT]] : tensor<8x?x16xf32>)
// CHECK:         %[[MERGED:.*]]:2 = linalg.generic {{.*}} ins(%[[LANES]]#0, %[[LANES]]#1 : tensor<8x16xf32>, tensor<8x16xf32>)
// CHECK:         %[[REST:.*]] = tensor.extract_slice %[[X]][0, %[[W]]] [8, %[[T]]] [1, 1]
// CHECK:         %[[TAIL:.*]]:2 = linalg.generic {{.*}} ins(%[[REST]] : tensor<8x?xf32>) outs(%[[MERGED]]#0, %[[MERGED]]#1 : tensor<8xf32>, tensor<8xf32>)
// CHECK:           scf.yield %[[TAIL]]#0, %[[TAIL]]#1
// CHECK:         } else {
// CHECK:           %[[ASIS:.*]]:2 = linalg.generic {{.*}} iterator_types = ["parallel", "reduction"]} ins(%[[X]] : tensor<8x?xf32>)
// CHECK:           scf.yield %[[ASIS]]#0, %[[ASIS]]#1
// CHECK:         linalg.generic {{.*}} ins(%[[R]]#0 : tensor<8xf32>)
func.func @dynamic(%x: tensor<8x?xf32>) -> tensor<8xf32> {
  %r = attn.logsumexp %x : tensor<8x?xf32>
  return %r : tensor<8xf32>
}

// -----

// A row of 10 fills no lane once: the one-lane reduction stays.
// CHECK-LABEL: func.func @shorter_than_lanes(
// CHECK-NOT:     tensor.expand_shape
// CHECK:         linalg.generic {{.*}} iterator_types = ["parallel", "reduction"]} ins(%{{.*}} : tensor<8x10xf32>)
// CHECK-NOT:     tensor.expand_shape
func.func @shorter_than_lanes(%x: tensor<8x10xf32>) -> tensor<8xf32> {
  %r = attn.logsumexp %x : tensor<8x10xf32>
  return %r : tensor<8xf32>
}

// -----

// A max and a sum of exps that is not the online recurrence (the sum is
// never rescaled): recognized by its math, it is not split.
// CHECK-LABEL: func.func @not_online(
// CHECK-NOT:     tensor.expand_shape
// CHECK:         linalg.generic {{.*}} iterator_types = ["parallel", "reduction"]} ins(%{{.*}} : tensor<8x64xf32>)
// CHECK-NOT:     tensor.expand_shape
func.func @not_online(%x: tensor<8x64xf32>, %m: tensor<8xf32>, %s: tensor<8xf32>) -> (tensor<8xf32>, tensor<8xf32>) {
  %r:2 = linalg.generic {indexing_maps = [affine_map<(i, j) -> (i, j)>, affine_map<(i, j) -> (i)>, affine_map<(i, j) -> (i)>],
                         iterator_types = ["parallel", "reduction"]}
      ins(%x : tensor<8x64xf32>) outs(%m, %s : tensor<8xf32>, tensor<8xf32>) {
  ^bb0(%in: f32, %acc_m: f32, %acc_s: f32):
    %max = arith.maximumf %in, %acc_m : f32
    %e = math.exp %in : f32
    %sum = arith.addf %acc_s, %e : f32
    linalg.yield %max, %sum : f32, f32
  } -> (tensor<8xf32>, tensor<8xf32>)
  return %r#0, %r#1 : tensor<8xf32>, tensor<8xf32>
}

// -----

// No rows (a static 0) of a dynamic length (found by scripts/difftest): left
// whole, one online generic and no lanes (a slice of the empty input at
// offset 0 would not verify).
// CHECK-LABEL: func.func @no_rows(
// CHECK-NOT:     tensor.expand_shape
// CHECK:         linalg.generic {{.*}} iterator_types = ["parallel", "reduction"]} ins(%{{.*}} : tensor<0x?xf32>)
// CHECK-NOT:     tensor.expand_shape
// CHECK:         return
func.func @no_rows(%x: tensor<0x?xf32>) -> tensor<0xf32> {
  %r = attn.logsumexp %x : tensor<0x?xf32>
  return %r : tensor<0xf32>
}
