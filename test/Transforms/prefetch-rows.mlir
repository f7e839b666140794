// RUN: attn-opt %s --attn-prefetch-rows --split-input-file | FileCheck %s

// Rows of an input read in chunks of 64 floats: the first read of each row
// loop prefetches the same chunk of the next row, one prefetch per 64-byte
// line; the row index is clamped to the last row. The row of the output
// that a later chunk loop writes is prefetched for writing there too.
// CHECK-LABEL: func.func @row_chunks(
// CHECK-SAME:    %[[X:[a-zA-Z0-9_]+]]: memref<8x16x256xf32>, %[[MASK:[a-zA-Z0-9_]+]]: memref<16x256xf32>, {{.*}}, %[[Y:[a-zA-Z0-9_]+]]: memref<8x16x256xf32>
// CHECK-DAG:     %[[C1:.*]] = arith.constant 1 : index
// CHECK-DAG:     %[[C16:.*]] = arith.constant 16 : index
// CHECK:         scf.for %[[R:.*]] = %{{.*}} to %[[C16]] step %[[C1]] {
// CHECK:           scf.for %[[B:.*]] = %{{.*}} to %[[UB:.*]] step %[[STEP:[a-zA-Z0-9_]+]] {
// CHECK:             %[[AFTER:.*]] = arith.addi %[[B]], %[[STEP]] : index
// CHECK:             %[[LAST:.*]] = arith.subi %[[UB]], %{{.*}} : index
// CHECK:             %[[NEXT:.*]] = arith.minsi %[[AFTER]], %[[LAST]] : index
// The next row of the output written below, prefetched for writing.
// CHECK:             %[[NEXTVIEW:.*]] = memref.subview %[[Y]][%[[NEXT]], %[[R]], 0] [1, 1, 256] [1, 1, 1]
// CHECK:             scf.for %[[J:.*]] = %{{.*}} to %{{.*}} step %{{.*}} iter_args
// CHECK:               memref.prefetch %[[NEXTVIEW]][%{{.*}}, %{{.*}}, %[[J]]], write, locality<3>, data
// CHECK-COUNT-3:       memref.prefetch %[[NEXTVIEW]]{{.*}}, write
// CHECK:               memref.prefetch %[[X]][%[[NEXT]], %[[R]], %[[J]]], read, locality<3>, data : memref<8x16x256xf32>
// CHECK:               %[[J16:.*]] = arith.addi %[[J]], %{{.*}} : index
// CHECK:               memref.prefetch %[[X]][%[[NEXT]], %[[R]], %[[J16]]]
// CHECK:               %[[J32:.*]] = arith.addi %[[J]], %{{.*}} : index
// CHECK:               memref.prefetch %[[X]][%[[NEXT]], %[[R]], %[[J32]]]
// CHECK:               %[[J48:.*]] = arith.addi %[[J]], %{{.*}} : index
// CHECK:               memref.prefetch %[[X]][%[[NEXT]], %[[R]], %[[J48]]]
// CHECK-NOT:           memref.prefetch
// CHECK:               vector.transfer_read %[[X]][%[[B]], %[[R]], %[[J]]]
// The mask row does not change with the inner row loop: not prefetched.
// CHECK-NOT:           memref.prefetch
// CHECK:               vector.transfer_read %[[MASK]]
// The second read of the row (from cache) is not prefetched.
// CHECK:             scf.for
// CHECK-NOT:           memref.prefetch
// CHECK:               vector.transfer_read %[[X]][%[[B]], %[[R]], %{{.*}}]
func.func @row_chunks(%x: memref<8x16x256xf32>, %mask: memref<16x256xf32>, %b0: index, %nb: index, %sb: index, %y: memref<8x16x256xf32>) -> vector<64xf32> {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c16 = arith.constant 16 : index
  %c64 = arith.constant 64 : index
  %c256 = arith.constant 256 : index
  %pad = arith.constant 0.0 : f32
  %init = arith.constant dense<0.0> : vector<64xf32>
  %out = memref.alloca() : memref<64xf32>
  scf.for %r = %c0 to %c16 step %c1 {
    scf.for %b = %b0 to %nb step %sb {
      %s = scf.for %j = %c0 to %c256 step %c64 iter_args(%acc = %init) -> (vector<64xf32>) {
        %v = vector.transfer_read %x[%b, %r, %j], %pad {in_bounds = [true]} : memref<8x16x256xf32>, vector<64xf32>
        %m = vector.transfer_read %mask[%r, %j], %pad {in_bounds = [true]} : memref<16x256xf32>, vector<64xf32>
        %a = arith.addf %v, %m : vector<64xf32>
        %n = arith.maximumf %a, %acc : vector<64xf32>
        scf.yield %n : vector<64xf32>
      }
      %t = scf.for %j = %c0 to %c256 step %c64 iter_args(%acc = %s) -> (vector<64xf32>) {
        %v = vector.transfer_read %x[%b, %r, %j], %pad {in_bounds = [true]} : memref<8x16x256xf32>, vector<64xf32>
        %n = arith.addf %v, %acc : vector<64xf32>
        scf.yield %n : vector<64xf32>
      }
      vector.transfer_write %t, %out[%c0] {in_bounds = [true]} : vector<64xf32>, memref<64xf32>
      %view = memref.subview %y[%b, %r, 0] [1, 1, 256] [1, 1, 1] : memref<8x16x256xf32> to memref<1x1x256xf32, strided<[4096, 256, 1], offset: ?>>
      scf.for %j = %c0 to %c256 step %c16 {
        %v = vector.transfer_read %x[%b, %r, %j], %pad {in_bounds = [true]} : memref<8x16x256xf32>, vector<16xf32>
        vector.transfer_write %v, %view[%c0, %c0, %j] {in_bounds = [true]} : vector<16xf32>, memref<1x1x256xf32, strided<[4096, 256, 1], offset: ?>>
      }
    }
  }
  %res = vector.transfer_read %out[%c0], %pad {in_bounds = [true]} : memref<64xf32>, vector<64xf32>
  return %res : vector<64xf32>
}

// -----

// Not prefetched: a local buffer (already in cache), a read whose innermost
// index is not the chunk loop's, a read outside any row loop.
// CHECK-LABEL: func.func @left_alone(
// CHECK-NOT:     memref.prefetch
// CHECK:         return
func.func @left_alone(%x: memref<16x256xf32>, %y: memref<256x16xf32>) -> vector<64xf32> {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c16 = arith.constant 16 : index
  %c64 = arith.constant 64 : index
  %c256 = arith.constant 256 : index
  %pad = arith.constant 0.0 : f32
  %init = arith.constant dense<0.0> : vector<64xf32>
  %local = memref.alloc() : memref<16x256xf32>
  memref.copy %x, %local : memref<16x256xf32> to memref<16x256xf32>
  %r0 = scf.for %r = %c0 to %c16 step %c1 iter_args(%acc0 = %init) -> (vector<64xf32>) {
    %s = scf.for %j = %c0 to %c256 step %c64 iter_args(%acc = %acc0) -> (vector<64xf32>) {
      %v = vector.transfer_read %local[%r, %j], %pad {in_bounds = [true]} : memref<16x256xf32>, vector<64xf32>
      %w = vector.transfer_read %y[%j, %r], %pad {in_bounds = [true], permutation_map = affine_map<(d0, d1) -> (d0)>} : memref<256x16xf32>, vector<64xf32>
      %a = arith.addf %v, %w : vector<64xf32>
      %n = arith.addf %a, %acc : vector<64xf32>
      scf.yield %n : vector<64xf32>
    }
    scf.yield %s : vector<64xf32>
  }
  %t = scf.for %j = %c0 to %c256 step %c64 iter_args(%acc = %r0) -> (vector<64xf32>) {
    %v = vector.transfer_read %x[%c0, %j], %pad {in_bounds = [true]} : memref<16x256xf32>, vector<64xf32>
    %n = arith.addf %v, %acc : vector<64xf32>
    scf.yield %n : vector<64xf32>
  }
  memref.dealloc %local : memref<16x256xf32>
  return %t : vector<64xf32>
}

// -----

// Reads of a whole 0-d input, in a chunk loop: nothing to prefetch.
// CHECK-LABEL: func.func @scalar_input(
// CHECK-NOT:     memref.prefetch
func.func @scalar_input(%x: memref<f32>) -> vector<f32> {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c4 = arith.constant 4 : index
  %pad = arith.constant 0.0 : f32
  %init = arith.constant dense<0.0> : vector<f32>
  %r = scf.for %i = %c0 to %c4 step %c1 iter_args(%acc = %init) -> (vector<f32>) {
    %s = scf.for %j = %c0 to %c4 step %c1 iter_args(%a = %acc) -> (vector<f32>) {
      %v = vector.transfer_read %x[], %pad : memref<f32>, vector<f32>
      %n = arith.addf %v, %a : vector<f32>
      scf.yield %n : vector<f32>
    }
    scf.yield %s : vector<f32>
  }
  return %r : vector<f32>
}
