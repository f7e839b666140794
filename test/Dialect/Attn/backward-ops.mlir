// RUN: attn-opt %s --split-input-file | FileCheck %s
// Round trip of the gradient ops: custom form back to custom form with the
// inferred result types, and through the generic form.
// RUN: attn-opt %s --split-input-file --mlir-print-op-generic | attn-opt --split-input-file | FileCheck %s

// CHECK-LABEL: func.func @softmax_backward(
// CHECK-SAME:    %[[DY:.*]]: tensor<4x?xf32>, %[[Y:.*]]: tensor<4x?xf32>)
// CHECK:         %[[R:.*]] = attn.softmax_backward %[[DY]], %[[Y]] : tensor<4x?xf32>, tensor<4x?xf32>
// CHECK:         return %[[R]] : tensor<4x?xf32>
func.func @softmax_backward(%dy: tensor<4x?xf32>, %y: tensor<4x?xf32>) -> tensor<4x?xf32> {
  %r = attn.softmax_backward %dy, %y : tensor<4x?xf32>, tensor<4x?xf32>
  return %r : tensor<4x?xf32>
}

// -----

// CHECK-LABEL: func.func @log_softmax_backward(
// CHECK:         attn.log_softmax_backward %{{.*}}, %{{.*}} : tensor<8x100xbf16>, tensor<8x100xbf16>
// CHECK:         return %{{.*}} : tensor<8x100xbf16>
func.func @log_softmax_backward(%dy: tensor<8x100xbf16>, %y: tensor<8x100xbf16>) -> tensor<8x100xbf16> {
  %r = attn.log_softmax_backward %dy, %y : tensor<8x100xbf16>, tensor<8x100xbf16>
  return %r : tensor<8x100xbf16>
}

// -----

// CHECK-LABEL: func.func @logsumexp_backward(
// CHECK-SAME:    %[[G:.*]]: tensor<2x8xf32>, %[[X:.*]]: tensor<2x8x16xf32>, %[[L:.*]]: tensor<2x8xf32>, %[[M:.*]]: tensor<8x16xf32>, %[[D:.*]]: index)
// CHECK:         %[[R:.*]] = attn.logsumexp_backward %[[G]], %[[X]], %[[L]] mask %[[M]] causal diagonal %[[D]] : tensor<2x8xf32>, tensor<2x8x16xf32>, tensor<2x8xf32>, tensor<8x16xf32>
// CHECK:         return %[[R]] : tensor<2x8x16xf32>
func.func @logsumexp_backward(%g: tensor<2x8xf32>, %x: tensor<2x8x16xf32>, %lse: tensor<2x8xf32>, %m: tensor<8x16xf32>, %d: index) -> tensor<2x8x16xf32> {
  %r = attn.logsumexp_backward %g, %x, %lse mask %m causal diagonal %d : tensor<2x8xf32>, tensor<2x8x16xf32>, tensor<2x8xf32>, tensor<8x16xf32>
  return %r : tensor<2x8x16xf32>
}

// -----

// A rank-1 input has rank-0 gradients of its result.
// CHECK-LABEL: func.func @sum_sq_backward(
// CHECK:         attn.sum_sq_backward %{{.*}}, %{{.*}} : tensor<f64>, tensor<1024xf64>
// CHECK:         return %{{.*}} : tensor<1024xf64>
func.func @sum_sq_backward(%g: tensor<f64>, %x: tensor<1024xf64>) -> tensor<1024xf64> {
  %r = attn.sum_sq_backward %g, %x : tensor<f64>, tensor<1024xf64>
  return %r : tensor<1024xf64>
}

// -----

// CHECK-LABEL: func.func @masked_max_backward(
// CHECK:         attn.masked_max_backward %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}} : tensor<4x?xf32>, tensor<4x?x512xf32>, tensor<?x512xf32>, tensor<4x?xf32>
// CHECK:         return %{{.*}} : tensor<4x?x512xf32>
func.func @masked_max_backward(%g: tensor<4x?xf32>, %s: tensor<4x?x512xf32>, %m: tensor<?x512xf32>, %o: tensor<4x?xf32>) -> tensor<4x?x512xf32> {
  %r = attn.masked_max_backward %g, %s, %m, %o : tensor<4x?xf32>, tensor<4x?x512xf32>, tensor<?x512xf32>, tensor<4x?xf32>
  return %r : tensor<4x?x512xf32>
}

// -----

// Two results: the gradients with respect to p and to q.
// CHECK-LABEL: func.func @xent_backward(
// CHECK:         %[[DP:.*]], %[[DQ:.*]] = attn.xent_backward %{{.*}}, %{{.*}}, %{{.*}} : tensor<8xf16>, tensor<8x10xf16>, tensor<8x10xf16>
// CHECK:         return %[[DP]], %[[DQ]] : tensor<8x10xf16>, tensor<8x10xf16>
func.func @xent_backward(%g: tensor<8xf16>, %p: tensor<8x10xf16>, %q: tensor<8x10xf16>) -> (tensor<8x10xf16>, tensor<8x10xf16>) {
  %dp, %dq = attn.xent_backward %g, %p, %q : tensor<8xf16>, tensor<8x10xf16>, tensor<8x10xf16>
  return %dp, %dq : tensor<8x10xf16>, tensor<8x10xf16>
}

// -----

// CHECK-LABEL: func.func @xent_logits_backward_mean(
// CHECK:         attn.xent_logits_backward %{{.*}}, %{{.*}}, %{{.*}} : tensor<f32>, tensor<?x32000xf32>, tensor<?xi64>
// CHECK:         return %{{.*}} : tensor<?x32000xf32>
func.func @xent_logits_backward_mean(%g: tensor<f32>, %z: tensor<?x32000xf32>, %t: tensor<?xi64>) -> tensor<?x32000xf32> {
  %r = attn.xent_logits_backward %g, %z, %t : tensor<f32>, tensor<?x32000xf32>, tensor<?xi64>
  return %r : tensor<?x32000xf32>
}

// -----

// CHECK-LABEL: func.func @xent_logits_backward_none(
// CHECK:         attn.xent_logits_backward %{{.*}}, %{{.*}}, %{{.*}} ignore_index = 0 reduction = none : tensor<4x7xf32>, tensor<4x7x10xf32>, tensor<4x7xi32>
func.func @xent_logits_backward_none(%g: tensor<4x7xf32>, %z: tensor<4x7x10xf32>, %t: tensor<4x7xi32>) -> tensor<4x7x10xf32> {
  %r = attn.xent_logits_backward %g, %z, %t ignore_index = 0 reduction = none : tensor<4x7xf32>, tensor<4x7x10xf32>, tensor<4x7xi32>
  return %r : tensor<4x7x10xf32>
}

// -----

// CHECK-LABEL: func.func @attention_with_lse(
// CHECK:         %[[O:.*]], %[[L:.*]] = attn.attention %{{.*}}, %{{.*}}, %{{.*}} causal with_lse : tensor<1x8x?x64xbf16>, tensor<1x2x?x64xbf16>, tensor<1x2x?x64xbf16>
// CHECK:         return %[[O]], %[[L]] : tensor<1x8x?x64xbf16>, tensor<1x8x?xf32>
func.func @attention_with_lse(%q: tensor<1x8x?x64xbf16>, %k: tensor<1x2x?x64xbf16>, %v: tensor<1x2x?x64xbf16>) -> (tensor<1x8x?x64xbf16>, tensor<1x8x?xf32>) {
  %o, %lse = attn.attention %q, %k, %v causal with_lse : tensor<1x8x?x64xbf16>, tensor<1x2x?x64xbf16>, tensor<1x2x?x64xbf16>
  return %o, %lse : tensor<1x8x?x64xbf16>, tensor<1x8x?xf32>
}

// -----

// CHECK-LABEL: func.func @attention_backward(
// CHECK-SAME:    %[[DO:.*]]: tensor<1x8x128x32xf32>, %[[Q:.*]]: tensor<1x8x128x64xf32>, %[[K:.*]]: tensor<1x2x256x64xf32>, %[[V:.*]]: tensor<1x2x256x32xf32>, %[[O:.*]]: tensor<1x8x128x32xf32>, %[[L:.*]]: tensor<1x8x128xf32>, %[[M:.*]]: tensor<128x256xf32>)
// CHECK:         %[[DQ:.*]], %[[DK:.*]], %[[DV:.*]] = attn.attention_backward %[[DO]], %[[Q]], %[[K]], %[[V]], %[[O]], %[[L]] mask %[[M]] scale = 1.250000e-01 causal : tensor<1x8x128x32xf32>, tensor<1x8x128x64xf32>, tensor<1x2x256x64xf32>, tensor<1x2x256x32xf32>, tensor<1x8x128x32xf32>, tensor<1x8x128xf32>, tensor<128x256xf32>
// CHECK:         return %[[DQ]], %[[DK]], %[[DV]] : tensor<1x8x128x64xf32>, tensor<1x2x256x64xf32>, tensor<1x2x256x32xf32>
func.func @attention_backward(%do: tensor<1x8x128x32xf32>, %q: tensor<1x8x128x64xf32>, %k: tensor<1x2x256x64xf32>, %v: tensor<1x2x256x32xf32>, %o: tensor<1x8x128x32xf32>, %lse: tensor<1x8x128xf32>, %m: tensor<128x256xf32>) -> (tensor<1x8x128x64xf32>, tensor<1x2x256x64xf32>, tensor<1x2x256x32xf32>) {
  %dq, %dk, %dv = attn.attention_backward %do, %q, %k, %v, %o, %lse mask %m scale = 0.125 causal : tensor<1x8x128x32xf32>, tensor<1x8x128x64xf32>, tensor<1x2x256x64xf32>, tensor<1x2x256x32xf32>, tensor<1x8x128x32xf32>, tensor<1x8x128xf32>, tensor<128x256xf32>
  return %dq, %dk, %dv : tensor<1x8x128x64xf32>, tensor<1x2x256x64xf32>, tensor<1x2x256x32xf32>
}

// -----

// Dropout: the probability, the generator state [seed, offset] (its type is
// always tensor<2xi64>), and for the online form the origin of its scores.
// CHECK-LABEL: func.func @attention_dropout(
// CHECK-SAME:    %[[Q:.*]]: tensor<2x64x16xf32>, %[[R:.*]]: tensor<2xi64>, %[[DO:.*]]: tensor<2x64x16xf32>, %[[I:.*]]: index)
// CHECK:         %[[O:.*]], %[[L:.*]] = attn.attention %[[Q]], %[[Q]], %[[Q]] dropout = 1.000000e-01 rng %[[R]] with_lse : tensor<2x64x16xf32>, tensor<2x64x16xf32>, tensor<2x64x16xf32>
// CHECK:         attn.attention_backward %[[DO]], %[[Q]], %[[Q]], %[[Q]], %[[O]], %[[L]] dropout = 1.000000e-01 rng %[[R]] : tensor<2x64x16xf32>, tensor<2x64x16xf32>, tensor<2x64x16xf32>, tensor<2x64x16xf32>, tensor<2x64x16xf32>, tensor<2x64xf32>
// CHECK:         attn.online_attention %[[Q]], %[[Q]], %[[Q]] dropout = 1.000000e-01 rng %[[R]] at[%[[I]], %[[I]], %[[I]], %[[I]]] into
func.func @attention_dropout(%q: tensor<2x64x16xf32>, %r: tensor<2xi64>, %do: tensor<2x64x16xf32>, %i: index) -> (tensor<2x64x16xf32>, tensor<2x64x16xf32>) {
  %o, %lse = attn.attention %q, %q, %q dropout = 0.1 rng %r with_lse : tensor<2x64x16xf32>, tensor<2x64x16xf32>, tensor<2x64x16xf32>
  %dq, %dk, %dv = attn.attention_backward %do, %q, %q, %q, %o, %lse dropout = 0.1 rng %r : tensor<2x64x16xf32>, tensor<2x64x16xf32>, tensor<2x64x16xf32>, tensor<2x64x16xf32>, tensor<2x64x16xf32>, tensor<2x64xf32>
  %acc, %max, %sum = attn.online_attention %q, %q, %q dropout = 0.1 rng %r at [%i, %i, %i, %i] into %o, %lse, %lse : tensor<2x64x16xf32>, tensor<2x64x16xf32>, tensor<2x64x16xf32> -> tensor<2x64x16xf32>, tensor<2x64xf32>, tensor<2x64xf32>
  return %acc, %dq : tensor<2x64x16xf32>, tensor<2x64x16xf32>
}
