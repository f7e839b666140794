// RUN: attn-opt %s --attn-lower-to-llvm="bf16-dot=true" | FileCheck %s
// RUN: attn-opt %s --attn-lower-to-llvm | FileCheck %s --check-prefix=AVX2

// bf16 attention with bf16-dot: the flash loop's two contractions become
// AVX512_BF16 dot products in LLVM (both operand pairs bf16, f32 sums);
// without it (an AVX2 host) no bf16 arithmetic and no dot product: the
// operands are widened and multiplied in f32.

// CHECK-LABEL: llvm.func @bf16_attention
//       CHECK:   llvm.call_intrinsic "llvm.x86.avx512bf16.dpbf16ps.512"(%{{.+}}, %{{.+}}, %{{.+}}) : (vector<16xf32>, vector<32xbf16>, vector<32xbf16>) -> vector<16xf32>
// AVX2-LABEL: llvm.func @bf16_attention
//   AVX2-NOT:   dpbf16ps
//       AVX2:   llvm.intr.fmuladd
//   AVX2-NOT:   dpbf16ps
func.func @bf16_attention(%q: tensor<1x2x128x64xbf16>, %k: tensor<1x2x256x64xbf16>, %v: tensor<1x2x256x64xbf16>) -> tensor<1x2x128x64xbf16> {
  %o = attn.attention %q, %k, %v causal : tensor<1x2x128x64xbf16>, tensor<1x2x256x64xbf16>, tensor<1x2x256x64xbf16>
  return %o : tensor<1x2x128x64xbf16>
}
