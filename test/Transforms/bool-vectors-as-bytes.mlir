// RUN: attn-opt %s --attn-bool-vectors-as-bytes --split-input-file | FileCheck %s

// A vector load of i1 reads one byte per element (a memref of i1 holds
// bytes; LLVM's <16 x i1> in memory would be 16 bits) and truncates.
// CHECK-LABEL: llvm.func @load(
// CHECK-SAME:    %[[P:.*]]: !llvm.ptr)
// CHECK:         %[[BYTES:.*]] = llvm.load %[[P]] {alignment = 1 : i64} : !llvm.ptr -> vector<16xi8>
// CHECK:         %[[BITS:.*]] = llvm.trunc %[[BYTES]] : vector<16xi8> to vector<16xi1>
// CHECK:         llvm.return %[[BITS]] : vector<16xi1>
llvm.func @load(%p: !llvm.ptr) -> vector<16xi1> {
  %m = llvm.load %p {alignment = 1 : i64} : !llvm.ptr -> vector<16xi1>
  llvm.return %m : vector<16xi1>
}

// -----

// A store writes bytes: each bit zero-extended.
// CHECK-LABEL: llvm.func @store(
// CHECK-SAME:    %[[P:.*]]: !llvm.ptr, %[[M:.*]]: vector<8xi1>)
// CHECK:         %[[BYTES:.*]] = llvm.zext %[[M]] : vector<8xi1> to vector<8xi8>
// CHECK:         llvm.store %[[BYTES]], %[[P]] : vector<8xi8>, !llvm.ptr
llvm.func @store(%p: !llvm.ptr, %m: vector<8xi1>) {
  llvm.store %m, %p : vector<8xi1>, !llvm.ptr
  llvm.return
}

// -----

// Masked accesses: the data is bytes, the mask stays a vector of bits (a
// value, not memory).
// CHECK-LABEL: llvm.func @masked(
// CHECK-SAME:    %[[P:.*]]: !llvm.ptr, %[[MASK:.*]]: vector<4xi1>, %[[PASS:.*]]: vector<4xi1>)
// CHECK:         %[[PASSBYTES:.*]] = llvm.zext %[[PASS]] : vector<4xi1> to vector<4xi8>
// CHECK:         %[[LOADED:.*]] = llvm.intr.masked.load %[[P]], %[[MASK]], %[[PASSBYTES]] {alignment = 1 : i32} : (!llvm.ptr, vector<4xi1>, vector<4xi8>) -> vector<4xi8>
// CHECK:         %[[BITS:.*]] = llvm.trunc %[[LOADED]] : vector<4xi8> to vector<4xi1>
// CHECK:         %[[OUT:.*]] = llvm.zext %[[BITS]] : vector<4xi1> to vector<4xi8>
// CHECK:         llvm.intr.masked.store %[[OUT]], %[[P]], %[[MASK]] {alignment = 1 : i32} : vector<4xi8>, vector<4xi1> into !llvm.ptr
llvm.func @masked(%p: !llvm.ptr, %mask: vector<4xi1>, %pass: vector<4xi1>) {
  %v = llvm.intr.masked.load %p, %mask, %pass {alignment = 1 : i32} : (!llvm.ptr, vector<4xi1>, vector<4xi1>) -> vector<4xi1>
  llvm.intr.masked.store %v, %p, %mask {alignment = 1 : i32} : vector<4xi1>, vector<4xi1> into !llvm.ptr
  llvm.return
}

// -----

// Scalars of i1 and vectors of other types are left as they are.
// CHECK-LABEL: llvm.func @others(
// CHECK:         llvm.load %{{.*}} : !llvm.ptr -> i1
// CHECK:         llvm.load %{{.*}} : !llvm.ptr -> vector<16xf32>
// CHECK-NOT:     llvm.trunc
// CHECK-NOT:     llvm.zext
llvm.func @others(%p: !llvm.ptr, %q: !llvm.ptr) -> i1 {
  %b = llvm.load %p : !llvm.ptr -> i1
  %v = llvm.load %q : !llvm.ptr -> vector<16xf32>
  llvm.store %v, %p : vector<16xf32>, !llvm.ptr
  llvm.return %b : i1
}
