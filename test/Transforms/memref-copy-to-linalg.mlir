// RUN: attn-opt %s --attn-memref-copy-to-linalg | FileCheck %s
// RUN: attn-opt %attn_src_root/examples/causal_attention.mlir --attn-lower-to-llvm="block-q=32 block-kv=48" | FileCheck %s --check-prefix=NORUNTIME

// CHECK-LABEL: func.func @strided_copy(
// CHECK-SAME:    %[[A:.*]]: memref<4x?xf32, strided<[?, 1], offset: ?>>, %[[B:.*]]: memref<4x?xf32>)
// CHECK-NEXT:    linalg.copy ins(%[[A]] : memref<4x?xf32, strided<[?, 1], offset: ?>>) outs(%[[B]] : memref<4x?xf32>)
// CHECK-NEXT:    return
func.func @strided_copy(%a: memref<4x?xf32, strided<[?, 1], offset: ?>>, %b: memref<4x?xf32>) {
  memref.copy %a, %b : memref<4x?xf32, strided<[?, 1], offset: ?>> to memref<4x?xf32>
  return
}

// The flash attention's block copies need no runtime library.
// NORUNTIME-NOT: memrefCopy
// NORUNTIME: llvm.func @_mlir_ciface_causal_attention
// NORUNTIME-NOT: memrefCopy
