// RUN: attn-opt %s --convert-attn-to-linalg --linalg-generalize-named-ops --linalg-fuse-elementwise-ops --canonicalize --cse --attn-fuse-rows --cse --canonicalize --split-input-file | FileCheck %s
// RUN: attn-opt %s --convert-attn-to-linalg --linalg-generalize-named-ops --linalg-fuse-elementwise-ops --canonicalize --cse --attn-fuse-rows --split-input-file | FileCheck %s --check-prefix=PASS

// A softmax one row at a time: the max, the shift, the sum of exponentials
// and the normalized row are all computed in the row loop, on [1, 1, N]
// slices; nothing is left outside.
// CHECK-LABEL: func.func @softmax(
// CHECK-SAME:    %[[X:[a-zA-Z0-9_]+]]: tensor<2x8x16xf32>)
// CHECK-NOT:     linalg.generic
// CHECK:         scf.for %[[B:[a-zA-Z0-9_]+]] = {{.*}} -> (tensor<2x8x16xf32>)
// CHECK:           scf.for %[[I:[a-zA-Z0-9_]+]] = {{.*}} -> (tensor<2x8x16xf32>)
// CHECK:             %[[ROW:.*]] = tensor.extract_slice %[[X]][%[[B]], %[[I]], 0] [1, 1, 16] [1, 1, 1]
// CHECK:             %[[MAX:.*]] = linalg.generic {{.*}} iterator_types = ["parallel", "parallel", "reduction"]} ins(%[[ROW]] : tensor<1x1x16xf32>)
// CHECK:               arith.maximumf
// CHECK:             %[[SHIFT:.*]] = linalg.generic {{.*}} ins(%[[MAX]] : tensor<1x1xf32>)
// CHECK:             %[[SUM:.*]] = linalg.generic {{.*}} iterator_types = ["parallel", "parallel", "reduction"]} ins(%[[ROW]], %[[SHIFT]] : tensor<1x1x16xf32>, tensor<1x1xf32>)
// CHECK:               math.exp
// CHECK:             %[[Y:.*]] = linalg.generic {{.*}} iterator_types = ["parallel", "parallel", "parallel"]} ins(%[[ROW]], %[[SHIFT]], %[[SUM]] : tensor<1x1x16xf32>, tensor<1x1xf32>, tensor<1x1xf32>)
// CHECK:             tensor.insert_slice %[[Y]]
// CHECK-NOT:     linalg.generic
// CHECK:         return
func.func @softmax(%x: tensor<2x8x16xf32>) -> tensor<2x8x16xf32> {
  %r = attn.softmax %x : tensor<2x8x16xf32>
  return %r : tensor<2x8x16xf32>
}

// -----

// logsumexp ends in a row-level op: its rows are tiled by 1, the reductions
// fused into the loop.
// CHECK-LABEL: func.func @logsumexp(
// CHECK:         scf.for {{.*}} -> (tensor<4xf32>)
// CHECK:           linalg.generic {{.*}} iterator_types = ["parallel", "reduction"]} ins(%{{.*}} : tensor<1x32xf32>)
// CHECK:           linalg.generic {{.*}} iterator_types = ["parallel", "reduction"]} ins(%{{.*}}, %{{.*}} : tensor<1x32xf32>, tensor<1xf32>)
// CHECK:           math.log
func.func @logsumexp(%x: tensor<4x32xf32>) -> tensor<4xf32> {
  %r = attn.logsumexp %x : tensor<4x32xf32>
  return %r : tensor<4xf32>
}

// -----

// A lone reduction has no chain to fuse.
// CHECK-LABEL: func.func @sum_sq(
// CHECK-NOT:     scf.for
func.func @sum_sq(%x: tensor<4x32xf32>) -> tensor<4xf32> {
  %r = attn.sum_sq %x : tensor<4x32xf32>
  return %r : tensor<4xf32>
}

// -----

// A reduction also read outside the tensor ops (here returned; in a sharded
// function, handed to a collective before the chain ends) is computed once,
// whole: the row loop of its consumer reads it, never recomputes it.
// CHECK-LABEL: func.func @read_elsewhere
// CHECK: %[[MAX:.*]] = linalg.generic {{.*}} iterator_types = ["parallel", "reduction"]
// CHECK: %[[LSE:.*]] = linalg.generic {{.*}} iterator_types = ["parallel", "reduction"]
// CHECK: scf.for
// CHECK-NOT: "reduction"
// CHECK: return %{{.*}}, %{{.*}}
func.func @read_elsewhere(%x: tensor<4x64xf32>) -> (tensor<4xf32>, tensor<4xf32>) {
  %l = attn.logsumexp %x : tensor<4x64xf32>
  %e = tensor.empty() : tensor<4xf32>
  %w = linalg.generic {indexing_maps = [affine_map<(d0) -> (d0)>, affine_map<(d0) -> (d0)>],
                       iterator_types = ["parallel"]} ins(%l : tensor<4xf32>) outs(%e : tensor<4xf32>) {
  ^bb0(%in: f32, %out: f32):
    %y = math.exp %in : f32
    linalg.yield %y : f32
  } -> tensor<4xf32>
  return %l, %w : tensor<4xf32>, tensor<4xf32>
}

// -----

// Dynamic rows (a shape-polymorphic kernel) are fused like static ones: each
// row is a [1, 1, ?] slice read by the max, the sum and the normalized row in
// the row loop, and a row's intermediates are [1, 1] tensors.
// CHECK-LABEL: func.func @softmax_dynamic(
// CHECK-SAME:    %[[X:[a-zA-Z0-9_]+]]: tensor<?x?x?xf32>
// CHECK-NOT:     linalg.generic
// CHECK:         scf.for %[[B:[a-zA-Z0-9_]+]] = {{.*}} -> (tensor<?x?x?xf32>)
// CHECK:           scf.for %[[I:[a-zA-Z0-9_]+]] = {{.*}} -> (tensor<?x?x?xf32>)
// CHECK:             %[[ROW:.*]] = tensor.extract_slice %[[X]][%[[B]], %[[I]], 0] [1, 1, %{{.*}}] [1, 1, 1]
// CHECK:             %[[MAX:.*]] = linalg.generic {{.*}} iterator_types = ["parallel", "parallel", "reduction"]} ins(%[[ROW]], %{{.*}} : tensor<1x1x?xf32>, tensor<1x?xf32>)
// CHECK:             %[[SUM:.*]] = linalg.generic {{.*}} iterator_types = ["parallel", "parallel", "reduction"]} ins(%[[ROW]], %{{.*}}, %{{.*}} : tensor<1x1x?xf32>, tensor<1x?xf32>, tensor<1x1xf32>)
// CHECK:               math.exp
// CHECK:             %[[Y:.*]] = linalg.generic {{.*}} iterator_types = ["parallel", "parallel", "parallel"]} ins(%[[ROW]], {{.*}}%[[SUM]] : tensor<1x1x?xf32>, {{.*}}tensor<1x1xf32>)
// CHECK:             tensor.insert_slice %[[Y]]
// CHECK-NOT:     linalg.generic
// CHECK:         return
func.func @softmax_dynamic(%x: tensor<?x?x?xf32>, %m: tensor<?x?xf32>) -> tensor<?x?x?xf32> {
  %r = attn.softmax %x mask %m : tensor<?x?x?xf32>, tensor<?x?xf32>
  return %r : tensor<?x?x?xf32>
}

// -----

// A dynamic logsumexp: the row loop's bound is read from the input, not
// from the shift that the loop computes, so the whole-tensor max and shift
// are dead once fused: one row loop, no reduction outside it (a second nest
// would read every row once more from memory).
// CHECK-LABEL: func.func @logsumexp_dynamic(
// CHECK-SAME:    %[[X:[a-zA-Z0-9_]+]]: tensor<?x?xf32>
// CHECK-NOT:     linalg.generic
// CHECK:         %[[N:.*]] = tensor.dim %[[X]], %c0
// CHECK:         scf.for %{{.*}} = %c0 to %[[N]] step %c1
// CHECK:           linalg.generic {{.*}} iterator_types = ["parallel", "reduction"]} ins(%{{.*}} : tensor<1x?xf32>)
// CHECK:           linalg.generic {{.*}} iterator_types = ["parallel", "reduction"]} ins(%{{.*}}, %{{.*}} : tensor<1x?xf32>, tensor<1xf32>)
// CHECK:           math.log
// CHECK-NOT:     scf.for
// CHECK-NOT:     linalg.generic
// CHECK:         return
// The pass's own output, before any cleanup: one row loop already.
// PASS-LABEL:    func.func @logsumexp_dynamic(
// PASS:          scf.for
// PASS-NOT:      scf.for
// PASS:          return
func.func @logsumexp_dynamic(%x: tensor<?x?xf32>) -> tensor<?xf32> {
  %r = attn.logsumexp %x : tensor<?x?xf32>
  return %r : tensor<?xf32>
}
