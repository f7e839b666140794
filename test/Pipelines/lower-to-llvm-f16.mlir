// RUN: attn-opt %s --attn-lower-to-llvm | mlir-translate --mlir-to-llvmir | llc -O3 -mtriple=x86_64 -mattr=+avx2,+fma,+f16c -o - | FileCheck %s
// RUN: attn-opt %s --attn-lower-to-llvm | mlir-translate --mlir-to-llvmir | llc -O3 -mtriple=x86_64 -mattr=+avx2,+fma,-f16c -o - | FileCheck %s --check-prefix=NOF16C

// f16 is computed in f32 (sums of many terms overflow and lose digits in
// f16) and converted with what the target has: F16C's vector conversions
// (the Python JIT compiles for the host's CPU and features), not a library
// call per element. Without F16C, LLVM calls compiler-rt per element.

// CHECK-LABEL: f16_softmax:
//       CHECK:   vcvtph2ps {{.*}}%ymm
//       CHECK:   vcvtps2ph
//   CHECK-NOT:   __extendhfsf2
//   CHECK-NOT:   __truncsfhf2

// NOF16C-LABEL: f16_softmax:
//       NOF16C:   __extendhfsf2
func.func @f16_softmax(%x: tensor<4x256xf16>) -> tensor<4x256xf16> {
  %r = attn.softmax %x : tensor<4x256xf16>
  return %r : tensor<4x256xf16>
}
