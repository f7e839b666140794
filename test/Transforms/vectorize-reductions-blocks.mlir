// RUN: attn-opt %s --attn-lower-to-fused-linalg --attn-vectorize-reductions=cache-bytes=65536 --split-input-file | FileCheck %s
// RUN: attn-opt %s --attn-lower-to-fused-linalg --attn-vectorize-reductions=cache-bytes=0 --split-input-file | FileCheck %s --check-prefix=NOBLOCK

// A mask [256, 512] broadcast over 16 batches: blocks of 32 mask rows
// (32 x 2 KiB = 64 KiB, the cache budget), each computed for every batch in
// turn, then its rows: the scores are read as runs of 32 contiguous rows,
// the mask block from cache.
// CHECK-DAG:   #[[ROW:.*]] = affine_map<()[s0, s1] -> (s0 + s1)>
// CHECK-LABEL: func.func @masked_max(
// CHECK-SAME:    %[[S:[a-zA-Z0-9_]+]]: tensor<16x256x512xf32>, %[[M:[a-zA-Z0-9_]+]]: tensor<256x512xf32>
// CHECK:         scf.for %[[BLOCK:.*]] = %{{.*}} to %c256 step %c32 iter_args
// CHECK:           scf.for %[[B:.*]] = %{{.*}} to %c16 step %c1 iter_args({{.*}}) -> (tensor<16x32xf32>)
// CHECK:             scf.for %[[I:.*]] = %{{.*}} to %c32 step %c1 iter_args({{.*}}) -> (tensor<16x32xf32>)
// CHECK:               scf.for %[[J:.*]] = %{{.*}} to %{{.*}} step %{{.*}} iter_args({{.*}}) -> (vector<1x1x64xf32>)
// CHECK:                 %[[R:.*]] = affine.apply #[[ROW]]()[%[[BLOCK]], %[[I]]]
// CHECK:                 vector.transfer_read %[[S]][%[[B]], %[[R]], %[[J]]]
// CHECK:                 vector.transfer_read %[[M]][%{{.*}}, %[[J]]]
// Without a budget: batch by batch, row by row (the mask re-read for each
// batch from wherever it is).
// NOBLOCK-LABEL: func.func @masked_max(
// NOBLOCK:         scf.for %[[B:.*]] = %{{.*}} to %c16 step %c1 iter_args({{.*}}) -> (tensor<16x256xf32>)
// NOBLOCK:           scf.for %[[I:.*]] = %{{.*}} to %c256 step %c1 iter_args({{.*}}) -> (tensor<16x256xf32>)
// NOBLOCK:             scf.for %[[J:.*]] = %{{.*}} to %{{.*}} step %{{.*}} iter_args({{.*}}) -> (vector<1x1x64xf32>)
// NOBLOCK:               vector.transfer_read %{{.*}}[%[[B]], %[[I]], %[[J]]]
func.func @masked_max(%s: tensor<16x256x512xf32>, %m: tensor<256x512xf32>) -> tensor<16x256xf32> {
  %r = attn.masked_max %s, %m : tensor<16x256x512xf32>, tensor<256x512xf32>
  return %r : tensor<16x256xf32>
}

// -----

// A mask that fits the budget whole (16 x 512 x 4 = 32 KiB) needs no
// blocks: batch by batch, row by row.
// CHECK-LABEL: func.func @small_mask(
// CHECK-NOT:     {{tensor<4x[0-9]xf32>}}
// CHECK:         scf.for %{{.*}} = %{{.*}} to %c4 step %c1 iter_args({{.*}}) -> (tensor<4x16xf32>)
// CHECK:           scf.for %{{.*}} = %{{.*}} to %c16 step %c1 iter_args({{.*}}) -> (tensor<4x16xf32>)
// CHECK-NOT:     {{tensor<4x[0-9]xf32>}}
// CHECK:             scf.for {{.*}} -> (vector<1x1x64xf32>)
func.func @small_mask(%s: tensor<4x16x512xf32>, %m: tensor<16x512xf32>) -> tensor<4x16xf32> {
  %r = attn.masked_max %s, %m : tensor<4x16x512xf32>, tensor<16x512xf32>
  return %r : tensor<4x16xf32>
}

// -----

// A mask of the scores' own shape is not broadcast: no blocks.
// CHECK-LABEL: func.func @full_mask(
// CHECK-NOT:     {{tensor<16x(8|16|32|64|128)xf32>}}
// CHECK:         scf.for %{{.*}} = %{{.*}} to %c16 step %c1 iter_args({{.*}}) -> (tensor<16x256xf32>)
// CHECK:           scf.for %{{.*}} = %{{.*}} to %c256 step %c1 iter_args({{.*}}) -> (tensor<16x256xf32>)
// CHECK-NEXT:        scf.for {{.*}} -> (vector<1x1x64xf32>)
func.func @full_mask(%s: tensor<16x256x512xf32>, %m: tensor<16x256x512xf32>) -> tensor<16x256xf32> {
  %r = attn.masked_max %s, %m : tensor<16x256x512xf32>, tensor<16x256x512xf32>
  return %r : tensor<16x256xf32>
}
