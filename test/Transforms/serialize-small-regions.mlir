// RUN: attn-opt %s --attn-serialize-small-regions --split-input-file | FileCheck %s
// RUN: attn-opt %s --attn-serialize-small-regions=min-bytes=4096 --split-input-file | FileCheck %s --check-prefix=SMALL

// The bytes of the memref arguments (4 x ? f32: 16 per dynamic row; the
// index argument does not count), compared at entry with min-bytes: the
// region runs on its threads only from there.
// CHECK-LABEL: func.func @rows(
// CHECK-SAME:    %[[X:[a-zA-Z0-9_]+]]: memref<?x4xf32>
// CHECK:         %[[ROWS:.*]] = memref.dim %[[X]], %{{.*}}
// CHECK:         arith.muli %{{.*}}, %[[ROWS]]
// CHECK:         %[[MIN:.*]] = arith.constant 65536 : index
// CHECK:         %[[LARGE:.*]] = arith.cmpi uge, %{{.*}}, %[[MIN]] : index
// CHECK:         omp.parallel if(%[[LARGE]]) num_threads(
// SMALL-LABEL: func.func @rows(
// SMALL:         arith.constant 4096 : index
func.func @rows(%x: memref<?x4xf32>, %n: index) {
  %threads = llvm.mlir.constant(2 : i32) : i32
  omp.parallel num_threads(%threads : i32) {
    omp.terminator
  }
  return
}

// -----

// A region that already has an if clause keeps it; a function without
// regions is left alone.
// CHECK-LABEL: func.func @own_condition(
// CHECK-SAME:    %[[C:[a-zA-Z0-9_]+]]: i1
// CHECK:         omp.parallel if(%[[C]])
// CHECK-LABEL: func.func @no_region(
// CHECK-NOT:     arith.cmpi
// CHECK:         return
func.func @own_condition(%x: memref<8xf32>, %c: i1) {
  omp.parallel if(%c) {
    omp.terminator
  }
  return
}
func.func @no_region(%x: memref<8xf32>) {
  return
}
