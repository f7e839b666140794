// RUN: attn-opt %s --attn-lower-to-llvm | mlir-translate --mlir-to-llvmir | FileCheck %s
// RUN: attn-opt %s --attn-lower-to-llvm="reassoc=false" | mlir-translate --mlir-to-llvmir | FileCheck %s --check-prefix=STRICT

// With reassoc=false the sum stays in order, one element at a time.
// STRICT-LABEL: define { ptr, ptr, i64, [1 x i64], [1 x i64] } @row_sum_sq(
// STRICT-NOT: <64 x float>
// STRICT: fmul float
// STRICT-NEXT: fadd float
// STRICT-LABEL: define void @_mlir_ciface_row_sum_sq(

// The pipeline marks every function with a body `llvm.emit_c_interface`, so
// besides @row_sum_sq, whose memref arguments and results are expanded into
// descriptor fields, LLVM IR gets @_mlir_ciface_row_sum_sq: it takes pointers
// to memref descriptors (result first, then the argument), unpacks the
// argument's descriptor, calls @row_sum_sq and stores the returned
// descriptor through the result pointer.

func.func @row_sum_sq(%x: tensor<4x1024xf32>) -> tensor<4xf32> {
  %r = attn.sum_sq %x : tensor<4x1024xf32>
  return %r : tensor<4xf32>
}

// The function: a rank-2 descriptor in (allocated and aligned pointers,
// offset, 2 sizes, 2 strides), a rank-1 descriptor out. With reassoc (the
// default) the body squares 64 elements at a time, read through the aligned
// pointer, into a vector of partial sums, reduced once per row by halving.
// CHECK-LABEL: define { ptr, ptr, i64, [1 x i64], [1 x i64] } @row_sum_sq(
// CHECK-SAME:    ptr %{{[0-9]+}}, ptr %[[IN_ALIGNED:[0-9]+]], i64 %{{[0-9]+}}, i64 %{{[0-9]+}}, i64 %{{[0-9]+}}, i64 %{{[0-9]+}}, i64 %{{[0-9]+}})
// Each chunk first prefetches the same 64 floats (4 cache lines) of the
// next row.
// CHECK-COUNT-4: call void @llvm.prefetch.p0(ptr %{{[0-9]+}}, i32 0, i32 3, i32 1)
// CHECK:         %[[GEP:[0-9]+]] = getelementptr float, ptr %[[IN_ALIGNED]], i64
// CHECK-NEXT:    %[[X:[0-9]+]] = load <64 x float>, ptr %[[GEP]]
// CHECK-NEXT:    %[[SQ:[0-9]+]] = fmul <64 x float> %[[X]], %[[X]]
// CHECK:         fadd <64 x float> %[[SQ]], %{{[0-9]+}}
// CHECK:         fadd <32 x float>
// CHECK:         fadd <16 x float>
// CHECK:         ret { ptr, ptr, i64, [1 x i64], [1 x i64] }

// The C wrapper: pointers to the result and argument descriptors.
// CHECK-LABEL: define void @_mlir_ciface_row_sum_sq(
// CHECK-SAME:    ptr %[[RES:[0-9]+]], ptr %[[ARG:[0-9]+]])
// CHECK:         %[[DESC:[0-9]+]] = load { ptr, ptr, i64, [2 x i64], [2 x i64] }, ptr %[[ARG]]
// CHECK:         %[[ALLOC:[0-9]+]] = extractvalue { ptr, ptr, i64, [2 x i64], [2 x i64] } %[[DESC]], 0
// CHECK:         %[[ALIGNED:[0-9]+]] = extractvalue { ptr, ptr, i64, [2 x i64], [2 x i64] } %[[DESC]], 1
// CHECK:         %[[OFFSET:[0-9]+]] = extractvalue { ptr, ptr, i64, [2 x i64], [2 x i64] } %[[DESC]], 2
// CHECK:         %[[SIZE0:[0-9]+]] = extractvalue { ptr, ptr, i64, [2 x i64], [2 x i64] } %[[DESC]], 3, 0
// CHECK:         %[[SIZE1:[0-9]+]] = extractvalue { ptr, ptr, i64, [2 x i64], [2 x i64] } %[[DESC]], 3, 1
// CHECK:         %[[STRIDE0:[0-9]+]] = extractvalue { ptr, ptr, i64, [2 x i64], [2 x i64] } %[[DESC]], 4, 0
// CHECK:         %[[STRIDE1:[0-9]+]] = extractvalue { ptr, ptr, i64, [2 x i64], [2 x i64] } %[[DESC]], 4, 1
// CHECK:         %[[RET:[0-9]+]] = call { ptr, ptr, i64, [1 x i64], [1 x i64] } @row_sum_sq(
// CHECK-SAME:      ptr %[[ALLOC]], ptr %[[ALIGNED]], i64 %[[OFFSET]], i64 %[[SIZE0]], i64 %[[SIZE1]], i64 %[[STRIDE0]], i64 %[[STRIDE1]])
// CHECK-NEXT:    store { ptr, ptr, i64, [1 x i64], [1 x i64] } %[[RET]], ptr %[[RES]]
// CHECK-NEXT:    ret void
