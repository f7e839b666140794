// RUN: attn-opt %s --attn-stream-results="min-bytes=1024" --split-input-file | FileCheck %s

// The rows of a returned buffer of 4 KiB (>= min-bytes), written through a
// row view: non-temporal stores, the unit dims of the vector dropped.
// CHECK-LABEL: func.func @rows(
// CHECK:         %[[RESULT:.*]] = memref.alloc() : memref<4x256xf32>
// CHECK:         scf.for %[[R:.*]] =
// CHECK:           %[[ROW:.*]] = memref.subview %[[RESULT]][%[[R]], 0] [1, 256] [1, 1]
// CHECK:           scf.for %[[J:.*]] =
// CHECK:             %[[V:.*]] = vector.shape_cast %{{.*}} : vector<1x16xf32> to vector<16xf32>
// CHECK:             vector.store %[[V]], %[[ROW]][%{{.*}}, %[[J]]] {nontemporal = true} : memref<1x256xf32, strided<[256, 1], offset: ?>>, vector<16xf32>
// CHECK-NOT:         vector.transfer_write
// The buffer that is not returned keeps ordinary stores.
// CHECK:         vector.transfer_write %{{.*}}, %{{.*}}[%{{.*}}] {in_bounds = [true]} : vector<16xf32>, memref<256xf32>
// CHECK:         return %[[RESULT]]
func.func @rows(%x: memref<4x256xf32>) -> memref<4x256xf32> {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c4 = arith.constant 4 : index
  %c16 = arith.constant 16 : index
  %c256 = arith.constant 256 : index
  %pad = arith.constant 0.0 : f32
  %result = memref.alloc() : memref<4x256xf32>
  %scratch = memref.alloc() : memref<256xf32>
  scf.for %r = %c0 to %c4 step %c1 {
    %row = memref.subview %result[%r, 0] [1, 256] [1, 1] : memref<4x256xf32> to memref<1x256xf32, strided<[256, 1], offset: ?>>
    scf.for %j = %c0 to %c256 step %c16 {
      %v = vector.transfer_read %x[%r, %j], %pad {in_bounds = [true, true]} : memref<4x256xf32>, vector<1x16xf32>
      vector.transfer_write %v, %row[%c0, %j] {in_bounds = [true, true]} : vector<1x16xf32>, memref<1x256xf32, strided<[256, 1], offset: ?>>
    }
  }
  %w = vector.transfer_read %x[%c0, %c0], %pad {in_bounds = [true]} : memref<4x256xf32>, vector<16xf32>
  vector.transfer_write %w, %scratch[%c0] {in_bounds = [true]} : vector<16xf32>, memref<256xf32>
  memref.dealloc %scratch : memref<256xf32>
  return %result : memref<4x256xf32>
}

// -----

// Left alone: a returned buffer under min-bytes, a dynamic one, and a write
// that may be out of bounds.
// CHECK-LABEL: func.func @small_or_unknown(
// CHECK-NOT:     nontemporal
// CHECK-COUNT-3: vector.transfer_write
// CHECK-NOT:     nontemporal
func.func @small_or_unknown(%v: vector<16xf32>, %n: index, %j: index) -> (memref<16xf32>, memref<?xf32>, memref<512xf32>) {
  %c0 = arith.constant 0 : index
  %small = memref.alloc() : memref<16xf32>
  vector.transfer_write %v, %small[%c0] {in_bounds = [true]} : vector<16xf32>, memref<16xf32>
  %dynamic = memref.alloc(%n) : memref<?xf32>
  vector.transfer_write %v, %dynamic[%c0] {in_bounds = [true]} : vector<16xf32>, memref<?xf32>
  %edge = memref.alloc() : memref<512xf32>
  vector.transfer_write %v, %edge[%j] : vector<16xf32>, memref<512xf32>
  return %small, %dynamic, %edge : memref<16xf32>, memref<?xf32>, memref<512xf32>
}

// -----

// A 0-d vector written into a returned buffer: left alone.
// CHECK-LABEL: func.func @scalar_writes(
// CHECK-NOT:     nontemporal
func.func @scalar_writes(%v: vector<f32>, %i: index) -> memref<32x32xf32> {
  %r = memref.alloc() : memref<32x32xf32>
  vector.transfer_write %v, %r[%i, %i] : vector<f32>, memref<32x32xf32>
  return %r : memref<32x32xf32>
}
