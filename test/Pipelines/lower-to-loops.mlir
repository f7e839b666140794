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
