// RUN: attn-opt %s --attn-lower-to-loops --split-input-file | FileCheck %s

// A softmax on the way to loops: one row at a time, its exps computed once
// into a row buffer allocated once (outside the row loops), the next row of
// the input and of the output prefetched, 1 / sum computed once per row
// (not per chunk), the output written in chunks of 16.
// CHECK-LABEL: func.func @softmax(
// CHECK-SAME:    %[[X:[a-zA-Z0-9_]+]]: memref<4x8x64xf32>
// CHECK:         %[[OUT:.*]] = memref.alloc() {{.*}} : memref<4x8x64xf32>
// CHECK:         %[[EXPS:.*]] = memref.alloc() {{.*}} : memref<1x1x64xf32>
// CHECK:         scf.for %[[B:.*]] =
// CHECK:           scf.for %[[R:.*]] =
// CHECK:             scf.for %[[J:.*]] = %{{.*}} to %{{.*}} step %{{.*}} {
// CHECK:               memref.prefetch %{{.*}}[%{{.*}}, %{{.*}}, %[[J]]], write
// CHECK:               memref.prefetch %[[X]][%[[B]], %{{.*}}, %[[J]]], read
// CHECK:               math.exp %{{.*}} : vector<1x1x16xf32>
// CHECK:               vector.transfer_write %{{.*}}, %[[EXPS]]
// CHECK-NOT:         math.exp
// The reciprocal of the sum (0 for an empty row), once per row.
// CHECK:             %[[INV:.*]] = arith.divf %{{.*}}, %{{.*}} : vector<1x1x16xf32>
// CHECK:             %[[RECIP:.*]] = arith.select %{{.*}}, %{{.*}}, %[[INV]]
// CHECK:             scf.for %{{.*}} = %{{.*}} to %{{.*}} step %{{.*}} {
// CHECK-NOT:           arith.divf
// CHECK:               vector.transfer_read %[[EXPS]]
// CHECK:               arith.mulf %{{.*}}, %[[RECIP]]
// CHECK:               vector.transfer_write %{{.*}} : vector<16xf32>, memref<1x1x64xf32, strided<[512, 64, 1], offset: ?>>
// CHECK-NOT:       math.exp
// CHECK:         return %[[OUT]]
func.func @softmax(%x: tensor<4x8x64xf32>) -> tensor<4x8x64xf32> {
  %r = attn.softmax %x : tensor<4x8x64xf32>
  return %r : tensor<4x8x64xf32>
}

// -----

// Causal attention on the way to loops. Per block of 64 queries: qᵀ built
// from 16 x 16 squares transposed in registers (16 row loads, one
// vector.transpose) and scaled; per block of 64 keys: register-blocked
// k qᵀ tiles whose write-back also takes each query's running max, each
// query's sum carried down its column in vector lanes (no cross-lane
// reduction) in the loop that writes the exp2 of non-positive numbers,
// Pᵀ v tiles;
// the normalized block written straight into the result (no copy).
// CHECK-LABEL: func.func @attention(
// CHECK-SAME:    %[[Q:[a-zA-Z0-9_]+]]: memref<1x2x128x64xf32>
// CHECK-NOT:     memref.copy
// CHECK:         %[[OUT:.*]] = memref.alloc() {{.*}} : memref<1x2x128x64xf32>
// CHECK:         scf.for
// CHECK:           %[[BLOCK:.*]] = memref.subview %[[OUT]]
// CHECK:           scf.for
// CHECK:             scf.for
// CHECK:               vector.transfer_read %[[Q]]{{.*}} : memref<1x2x128x64xf32>, vector<16xf32>
// CHECK-COUNT-15:      vector.transfer_read %[[Q]]
// CHECK:               %[[T:.*]] = vector.transpose %{{.*}}, [1, 0] : vector<16x16xf32> to vector<16x16xf32>
// CHECK:               arith.mulf %[[T]], %{{.*}} : vector<16x16xf32>
// CHECK:               vector.transfer_write %{{.*}}, %[[QT:[a-zA-Z0-9_]+]][{{.*}} : vector<16xf32>, memref<64x64xf32>
// CHECK:           scf.for
// CHECK:             vector.transfer_read %[[QT]]
// CHECK:             vector.fma
// CHECK-COUNT-7:     arith.select {{.*}} : vector<32xi1>, vector<32xf32>
// CHECK:             %[[MAX:.*]] = arith.select {{.*}} : vector<32xi1>, vector<32xf32>
// CHECK-NEXT:        vector.transfer_write %[[MAX]], %{{.*}} : vector<32xf32>, memref<64xf32>
// Each exponential written and summed down its column in one loop.
// CHECK:             scf.for {{.*}} -> (vector<16xf32>) {
// CHECK:               %[[E:.*]] = math.exp2 %{{.*}} {attn.nonpositive} : vector<1x16xf32>
// CHECK:               %[[EV:.*]] = vector.shape_cast %[[E]] : vector<1x16xf32> to vector<16xf32>
// CHECK:               arith.addf %{{.*}}, %[[EV]] : vector<16xf32>
// CHECK:               vector.transfer_write
// CHECK:             vector.fma
// CHECK-NOT:         vector.reduction
// CHECK:           arith.divf
// CHECK:           scf.for
// CHECK:             vector.transfer_write %{{.*}}, %[[BLOCK]]
// CHECK-NOT:     memref.copy
// CHECK:         return %[[OUT]]
func.func @attention(%q: tensor<1x2x128x64xf32>, %k: tensor<1x2x128x64xf32>, %v: tensor<1x2x128x64xf32>) -> tensor<1x2x128x64xf32> {
  %r = attn.attention %q, %k, %v causal : tensor<1x2x128x64xf32>, tensor<1x2x128x64xf32>, tensor<1x2x128x64xf32>
  return %r : tensor<1x2x128x64xf32>
}
