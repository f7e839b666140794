// attn-compile: a shared library and its C header. The header declares one
// descriptor type per rank and element type, the entry points with their
// results first (a struct for several results); a C caller in a fresh
// process calls the dynamic-shape softmax on 2 threads (libomp linked in) and
// the two-result function, and checks them against references it computes in
// double precision.
// RUN: rm -rf %t && mkdir -p %t
// RUN: attn-compile %s -o %t/libkernels.so --header %t/kernels.h --options "threads=2"
// RUN: FileCheck %s --input-file %t/kernels.h
// RUN: %host_cc -O2 -I%t %S/Inputs/call_kernels.c -L%t -lkernels -Wl,-rpath,%t -lm -o %t/call
// RUN: %t/call | FileCheck %s --check-prefix=CALL
// RUN: attn-compile %s -o %t/kernels.o
// RUN: od -A n -t x1 -N 4 %t/kernels.o | FileCheck %s --check-prefix=ELF

// CHECK:      #ifndef ATTN_KERNELS_H
// CHECK:      typedef struct {
// CHECK-NEXT:   float *allocated, *aligned;
// CHECK-NEXT:   int64_t offset;
// CHECK-NEXT:   int64_t sizes[2], strides[2];
// CHECK-NEXT: } attn_memref_2d_f32;
// CHECK:      #define attn_memref_0d_f64_DEFINED
// CHECK-NEXT: typedef struct {
// CHECK-NEXT:   double *allocated, *aligned;
// CHECK-NEXT:   int64_t offset;
// CHECK-NEXT: } attn_memref_0d_f64;
// CHECK-LABEL: /* @softmax(tensor<?x?xf32>) -> (tensor<?x?xf32>) */
// CHECK-NEXT: void _mlir_ciface_softmax(attn_memref_2d_f32 *result, attn_memref_2d_f32 *arg0);
// CHECK-LABEL: /* @losses(tensor<?x?xf64>, tensor<?xi64>) -> (tensor<?xf64>, tensor<f64>) */
// CHECK:      typedef struct {
// CHECK-NEXT:   attn_memref_1d_f64 r0;
// CHECK-NEXT:   attn_memref_0d_f64 r1;
// CHECK-NEXT: } losses_results;
// CHECK-NEXT: void _mlir_ciface_losses(losses_results *results, attn_memref_2d_f64 *arg0, attn_memref_1d_i64 *arg1);

// CALL: softmax max abs. error {{.*}}: OK
// CALL: losses max rel. error {{.*}}: OK

// ELF: 7f 45 4c 46

func.func @softmax(%x: tensor<?x?xf32>) -> tensor<?x?xf32> {
  %r = attn.softmax %x : tensor<?x?xf32>
  return %r : tensor<?x?xf32>
}

func.func @losses(%z: tensor<?x?xf64>, %t: tensor<?xi64>) -> (tensor<?xf64>, tensor<f64>) {
  %l = attn.xent_logits %z, %t reduction = none : tensor<?x?xf64>, tensor<?xi64>
  %s = attn.xent_logits %z, %t reduction = sum : tensor<?x?xf64>, tensor<?xi64>
  return %l, %s : tensor<?xf64>, tensor<f64>
}
