// RUN: attn-opt %s --convert-attn-to-linalg="bf16-products=true" --split-input-file | FileCheck %s
// RUN: attn-opt %s --convert-attn-to-linalg --split-input-file | FileCheck %s --check-prefix=WIDE

// --convert-attn-to-linalg="bf16-products=true".

// A bf16 flash attention with bf16 products: q, k, v stay bf16 (no widened
// copy), q * scale is rounded back to bf16, both contractions take bf16 and
// sum in f32, p is rounded to bf16 as it is written (its sum adds it
// unrounded), and the output is rounded once.

// CHECK-LABEL: func.func @bf16_flash
//  CHECK-SAME:   %[[Q:[a-zA-Z0-9_]+]]: tensor<1x2x128x64xbf16>
//   CHECK-NOT:   arith.extf %{{.*}} : bf16 to f32
//       CHECK:   scf.for
//       CHECK:     %[[QT:.+]] = linalg.generic {{.*}} ins(%{{.+}} : tensor<64x64xbf16>) outs(%{{.+}} : tensor<64x64xbf16>)
//       CHECK:       %[[QE:.+]] = arith.extf %{{.+}} : bf16 to f32
//       CHECK:       %[[QS:.+]] = arith.mulf %[[QE]], %{{.+}} : f32
//       CHECK:       %[[QR:.+]] = arith.truncf %[[QS]] : f32 to bf16
//       CHECK:       linalg.yield %[[QR]] : bf16
//       CHECK:     scf.for
//       CHECK:       %[[S:.+]] = linalg.generic {{.*}}iterator_types = ["parallel", "parallel", "reduction"]} ins(%{{.+}}, %[[QT]] : tensor<64x64xbf16>, tensor<64x64xbf16>) outs(%{{.+}} : tensor<64x64xf32>)
//       CHECK:         arith.extf
//       CHECK:         arith.extf
//       CHECK:         arith.mulf
//       CHECK:         arith.addf
//       CHECK:       %[[P:.+]]:2 = linalg.generic {{.*}} ins(%[[S]], %{{.+}} : tensor<64x64xf32>, tensor<64xf32>) outs(%{{.+}}, %{{.+}} : tensor<64x64xbf16>, tensor<64xf32>)
//       CHECK:         %[[E:.+]] = math.exp2
//       CHECK:         %[[T:.+]] = arith.addf %{{.+}}, %[[E]] : f32
//       CHECK:         %[[PR:.+]] = arith.truncf %[[E]] : f32 to bf16
//       CHECK:         linalg.yield %[[PR]], %[[T]] : bf16, f32
//       CHECK:       linalg.generic {{.*}} ins(%[[P]]#0, %{{.+}} : tensor<64x64xbf16>, tensor<64x64xbf16>) outs(%{{.+}} : tensor<64x64xf32>)
//       CHECK:   linalg.generic {{.*}} ins(%{{.+}} : tensor<1x2x128x64xf32>) outs(%{{.+}} : tensor<1x2x128x64xbf16>)
//       CHECK:     arith.truncf %{{.+}} : f32 to bf16

// Without bf16 products (or on f16): widened whole, computed in f32.
// WIDE-LABEL: func.func @bf16_flash
//       WIDE:   linalg.generic {{.*}} ins(%{{.+}} : tensor<1x2x128x64xbf16>) outs(%{{.+}} : tensor<1x2x128x64xf32>)
//       WIDE:     arith.extf %{{.+}} : bf16 to f32
//   WIDE-NOT:   tensor<64x64xbf16>
func.func @bf16_flash(%q: tensor<1x2x128x64xbf16>, %k: tensor<1x2x128x64xbf16>, %v: tensor<1x2x128x64xbf16>) -> tensor<1x2x128x64xbf16> {
  %o = attn.attention %q, %k, %v : tensor<1x2x128x64xbf16>, tensor<1x2x128x64xbf16>, tensor<1x2x128x64xbf16>
  return %o : tensor<1x2x128x64xbf16>
}

// -----

// The mask is widened to f32 (the scores' type); f16 keeps the f32 path.
// CHECK-LABEL: func.func @bf16_mask
//       CHECK:   linalg.generic {{.*}} ins(%{{.+}} : tensor<1x1x128x128xbf16>) outs(%{{.+}} : tensor<1x1x128x128xf32>)
//       CHECK:   linalg.generic {{.*}} ins(%{{.+}}, %{{.+}} : tensor<64x64xbf16>, tensor<64x64xbf16>) outs(%{{.+}} : tensor<64x64xf32>)
// CHECK-LABEL: func.func @f16_widened
//       CHECK:   linalg.generic {{.*}} ins(%{{.+}} : tensor<1x2x128x64xf16>) outs(%{{.+}} : tensor<1x2x128x64xf32>)
//   CHECK-NOT:   tensor<64x64xf16>
func.func @bf16_mask(%q: tensor<1x2x128x64xbf16>, %m: tensor<128x128xbf16>) -> tensor<1x2x128x64xbf16> {
  %o = attn.attention %q, %q, %q mask %m : tensor<1x2x128x64xbf16>, tensor<1x2x128x64xbf16>, tensor<1x2x128x64xbf16>, tensor<128x128xbf16>
  return %o : tensor<1x2x128x64xbf16>
}
func.func @f16_widened(%q: tensor<1x2x128x64xf16>) -> tensor<1x2x128x64xf16> {
  %o = attn.attention %q, %q, %q : tensor<1x2x128x64xf16>, tensor<1x2x128x64xf16>, tensor<1x2x128x64xf16>
  return %o : tensor<1x2x128x64xf16>
}

// -----

// linear_xent: the logits blocks multiply the bf16 classifier rows by the
// bf16 hᵀ (transposed once, kept bf16), summing in f32; no f32 copy of the
// classifier; the loss rounded to bf16 once.
// CHECK-LABEL: func.func @bf16_linear_xent
//  CHECK-SAME:   %[[H:[a-zA-Z0-9_]+]]: tensor<128x64xbf16>, %[[W:[a-zA-Z0-9_]+]]: tensor<256x64xbf16>
//   CHECK-NOT:   tensor<256x64xf32>
//       CHECK:   %[[HT:.+]] = linalg.generic {{.*}} ins(%[[H]] : tensor<128x64xbf16>) outs(%{{.+}} : tensor<64x128xbf16>)
//       CHECK:   linalg.generic {{.*}}iterator_types = ["parallel", "parallel", "reduction"]} ins(%{{.+}}, %{{.+}} : tensor<64x64xbf16>, tensor<64x64xbf16>) outs(%{{.+}} : tensor<64x64xf32>)
//       CHECK:     arith.extf
//       CHECK:     arith.extf
//   CHECK-NOT:   tensor<256x64xf32>
//       CHECK:   arith.truncf %{{.+}} : f32 to bf16
func.func @bf16_linear_xent(%h: tensor<128x64xbf16>, %w: tensor<256x64xbf16>, %t: tensor<128xi64>) -> tensor<bf16> {
  %l = attn.linear_xent %h, %w, %t : tensor<128x64xbf16>, tensor<256x64xbf16>, tensor<128xi64>
  return %l : tensor<bf16>
}

// -----

// linear_xent_backward: dz is computed in f32 and rounded to bf16 for the
// two gradient products (dW += dzᵀ h, dh += dz W), which sum in f32.
// CHECK-LABEL: func.func @bf16_linear_xent_backward
//       CHECK:   %[[DZ16:.+]] = linalg.generic {{.*}} ins(%{{.+}} : tensor<64x64xf32>) outs(%{{.+}} : tensor<64x64xbf16>)
//       CHECK:     arith.truncf
//       CHECK:   linalg.generic {{.*}} ins(%[[DZ16]], %{{.+}} : tensor<64x64xbf16>, tensor<64x64xbf16>) outs(%{{.+}} : tensor<64x64xf32>)
//       CHECK:   linalg.generic {{.*}} ins(%[[DZ16]], %{{.+}} : tensor<64x64xbf16>, tensor<64x64xbf16>) outs(%{{.+}} : tensor<64x64xf32>)
func.func @bf16_linear_xent_backward(%g: tensor<bf16>, %h: tensor<128x64xbf16>, %w: tensor<256x64xbf16>, %t: tensor<128xi64>, %lse: tensor<128xf32>) -> (tensor<128x64xbf16>, tensor<256x64xbf16>) {
  %dh, %dw = attn.linear_xent_backward %g, %h, %w, %t, %lse : tensor<bf16>, tensor<128x64xbf16>, tensor<256x64xbf16>, tensor<128xi64>, tensor<128xf32>
  return %dh, %dw : tensor<128x64xbf16>, tensor<256x64xbf16>
}

// -----

// attention_backward: q, k, v, dO stay bf16; the scores and dP are mixed
// products; P and dS are rounded to bf16 for dV += Pᵀ dO, dK += dSᵀ q and
// dQ += dS k, which sum in f32; the gradients are rounded once.
// CHECK-LABEL: func.func @bf16_attention_backward
//   CHECK-NOT:   tensor<1x2x128x64xf32>) outs
//       CHECK:   scf.for
//       CHECK:     linalg.generic {{.*}}iterator_types = ["parallel", "parallel", "reduction"]} ins(%{{.+}}, %{{.+}} : tensor<64x64xbf16>, tensor<64x64xbf16>) outs(%{{.+}} : tensor<64x64xf32>)
//       CHECK:     %[[DS16:.+]] = linalg.generic {{.*}} ins(%{{.+}} : tensor<64x64xf32>) outs(%{{.+}} : tensor<64x64xbf16>)
//       CHECK:       arith.truncf
//       CHECK:     linalg.generic {{.*}} ins(%[[DS16]], %{{.+}} : tensor<64x64xbf16>, tensor<64x64xbf16>) outs(%{{.+}} : tensor<64x64xf32>)
//       CHECK:   arith.truncf %{{.+}} : f32 to bf16
func.func @bf16_attention_backward(%do: tensor<1x2x128x64xbf16>, %q: tensor<1x2x128x64xbf16>, %o: tensor<1x2x128x64xbf16>, %lse: tensor<1x2x128xf32>) -> (tensor<1x2x128x64xbf16>, tensor<1x2x128x64xbf16>, tensor<1x2x128x64xbf16>) {
  %dq, %dk, %dv = attn.attention_backward %do, %q, %q, %q, %o, %lse causal : tensor<1x2x128x64xbf16>, tensor<1x2x128x64xbf16>, tensor<1x2x128x64xbf16>, tensor<1x2x128x64xbf16>, tensor<1x2x128x64xbf16>, tensor<1x2x128xf32>
  return %dq, %dk, %dv : tensor<1x2x128x64xbf16>, tensor<1x2x128x64xbf16>, tensor<1x2x128x64xbf16>
}
