// RUN: attn-opt %s --split-input-file --verify-diagnostics

// One case per verifier rule of the options of attn.xent_logits and
// attn.xent_logits_backward (verifyXentOptions in AttnOps.cpp: the class
// weight's rank and element type, the ranges of label_smoothing, z_loss and
// softcap; the weight's length, classWeightRules in ShapeRules.cpp), and the
// weight of attn.linear_xent and attn.linear_xent_backward.

// A weight of rank 2: one per class is rank 1.
func.func @xent_logits_weight_rank2(%z: tensor<8x16xf32>, %t: tensor<8xi64>, %w: tensor<16x1xf32>) -> tensor<f32> {
  // expected-error @+1 {{'attn.xent_logits' op expects weight of rank 1 (one per class), got 'tensor<16x1xf32>'}}
  %l = attn.xent_logits %z, %t weight %w : tensor<8x16xf32>, tensor<8xi64> weight tensor<16x1xf32>
  return %l : tensor<f32>
}

// -----

// A rank-0 weight: refused by the operand's type constraint.
func.func @xent_logits_weight_rank0(%z: tensor<8x16xf32>, %t: tensor<8xi64>, %w: tensor<f32>) -> tensor<f32> {
  // expected-error @+1 {{'attn.xent_logits' op operand #2 must be ranked tensor of rank >= 1 with f16, bf16, f32 or f64 elements and no encoding, but got 'tensor<f32>'}}
  %l = attn.xent_logits %z, %t weight %w : tensor<8x16xf32>, tensor<8xi64> weight tensor<f32>
  return %l : tensor<f32>
}

// -----

// A weight of another element type than the logits'.
func.func @xent_logits_weight_type(%z: tensor<8x16xf32>, %t: tensor<8xi64>, %w: tensor<16xf16>) -> tensor<f32> {
  // expected-error @+1 {{'attn.xent_logits' op expects weight element type 'f16' to match the logits element type 'f32'}}
  %l = attn.xent_logits %z, %t weight %w : tensor<8x16xf32>, tensor<8xi64> weight tensor<16xf16>
  return %l : tensor<f32>
}

// -----

// A weight of 15 classes for logits of 16 (static sizes).
func.func @xent_logits_weight_length(%z: tensor<8x16xf32>, %t: tensor<8xi64>, %w: tensor<15xf32>) -> tensor<f32> {
  // expected-error @+1 {{'attn.xent_logits' op expects weight dimension 0 (15) to match logits dimension 1 (16)}}
  %l = attn.xent_logits %z, %t weight %w : tensor<8x16xf32>, tensor<8xi64> weight tensor<15xf32>
  return %l : tensor<f32>
}

// -----

// label_smoothing above 1.
func.func @xent_logits_label_smoothing_above_one(%z: tensor<8x16xf32>, %t: tensor<8xi64>) -> tensor<f32> {
  // expected-error @+1 {{'attn.xent_logits' op expects label_smoothing in [0, 1], got 1.500000e+00}}
  %l = attn.xent_logits %z, %t label_smoothing = 1.5 : tensor<8x16xf32>, tensor<8xi64>
  return %l : tensor<f32>
}

// -----

// label_smoothing below 0.
func.func @xent_logits_label_smoothing_negative(%z: tensor<8x16xf32>, %t: tensor<8xi64>) -> tensor<f32> {
  // expected-error @+1 {{'attn.xent_logits' op expects label_smoothing in [0, 1], got -5.000000e-01}}
  %l = attn.xent_logits %z, %t label_smoothing = -0.5 : tensor<8x16xf32>, tensor<8xi64>
  return %l : tensor<f32>
}

// -----

// A NaN label_smoothing is not in [0, 1].
func.func @xent_logits_label_smoothing_nan(%z: tensor<8x16xf32>, %t: tensor<8xi64>) -> tensor<f32> {
  // expected-error @+1 {{'attn.xent_logits' op expects label_smoothing in [0, 1], got nan}}
  %l = attn.xent_logits %z, %t label_smoothing = 0x7FF8000000000000 : tensor<8x16xf32>, tensor<8xi64>
  return %l : tensor<f32>
}

// -----

// A negative z_loss.
func.func @xent_logits_z_loss_negative(%z: tensor<8x16xf32>, %t: tensor<8xi64>) -> tensor<f32> {
  // expected-error @+1 {{'attn.xent_logits' op expects a finite z_loss >= 0, got -1.000000e-03}}
  %l = attn.xent_logits %z, %t z_loss = -1.0e-3 : tensor<8x16xf32>, tensor<8xi64>
  return %l : tensor<f32>
}

// -----

// An infinite z_loss.
func.func @xent_logits_z_loss_inf(%z: tensor<8x16xf32>, %t: tensor<8xi64>) -> tensor<f32> {
  // expected-error @+1 {{'attn.xent_logits' op expects a finite z_loss >= 0, got INF}}
  %l = attn.xent_logits %z, %t z_loss = 0x7FF0000000000000 : tensor<8x16xf32>, tensor<8xi64>
  return %l : tensor<f32>
}

// -----

// A softcap of 0.
func.func @xent_logits_softcap_zero(%z: tensor<8x16xf32>, %t: tensor<8xi64>) -> tensor<f32> {
  // expected-error @+1 {{'attn.xent_logits' op expects a positive, finite softcap, got 0.000000e+00}}
  %l = attn.xent_logits %z, %t softcap = 0.0 : tensor<8x16xf32>, tensor<8xi64>
  return %l : tensor<f32>
}

// -----

// A negative softcap.
func.func @xent_logits_softcap_negative(%z: tensor<8x16xf32>, %t: tensor<8xi64>) -> tensor<f32> {
  // expected-error @+1 {{'attn.xent_logits' op expects a positive, finite softcap, got -3.000000e+01}}
  %l = attn.xent_logits %z, %t softcap = -30.0 : tensor<8x16xf32>, tensor<8xi64>
  return %l : tensor<f32>
}

// -----

// An infinite softcap.
func.func @xent_logits_softcap_inf(%z: tensor<8x16xf32>, %t: tensor<8xi64>) -> tensor<f32> {
  // expected-error @+1 {{'attn.xent_logits' op expects a positive, finite softcap, got INF}}
  %l = attn.xent_logits %z, %t softcap = 0x7FF0000000000000 : tensor<8x16xf32>, tensor<8xi64>
  return %l : tensor<f32>
}

// -----

// A weight of rank 2: one per class is rank 1.
func.func @xent_logits_backward_weight_rank2(%g: tensor<f32>, %z: tensor<8x16xf32>, %t: tensor<8xi64>, %w: tensor<16x1xf32>) -> tensor<8x16xf32> {
  // expected-error @+1 {{'attn.xent_logits_backward' op expects weight of rank 1 (one per class), got 'tensor<16x1xf32>'}}
  %r = attn.xent_logits_backward %g, %z, %t weight %w : tensor<f32>, tensor<8x16xf32>, tensor<8xi64> weight tensor<16x1xf32>
  return %r : tensor<8x16xf32>
}

// -----

// A rank-0 weight: refused by the operand's type constraint.
func.func @xent_logits_backward_weight_rank0(%g: tensor<f32>, %z: tensor<8x16xf32>, %t: tensor<8xi64>, %w: tensor<f32>) -> tensor<8x16xf32> {
  // expected-error @+1 {{'attn.xent_logits_backward' op operand #3 must be ranked tensor of rank >= 1 with f16, bf16, f32 or f64 elements and no encoding, but got 'tensor<f32>'}}
  %r = attn.xent_logits_backward %g, %z, %t weight %w : tensor<f32>, tensor<8x16xf32>, tensor<8xi64> weight tensor<f32>
  return %r : tensor<8x16xf32>
}

// -----

// A weight of another element type than the logits'.
func.func @xent_logits_backward_weight_type(%g: tensor<f32>, %z: tensor<8x16xf32>, %t: tensor<8xi64>, %w: tensor<16xf16>) -> tensor<8x16xf32> {
  // expected-error @+1 {{'attn.xent_logits_backward' op expects weight element type 'f16' to match the logits element type 'f32'}}
  %r = attn.xent_logits_backward %g, %z, %t weight %w : tensor<f32>, tensor<8x16xf32>, tensor<8xi64> weight tensor<16xf16>
  return %r : tensor<8x16xf32>
}

// -----

// A weight of 15 classes for logits of 16 (static sizes).
func.func @xent_logits_backward_weight_length(%g: tensor<f32>, %z: tensor<8x16xf32>, %t: tensor<8xi64>, %w: tensor<15xf32>) -> tensor<8x16xf32> {
  // expected-error @+1 {{'attn.xent_logits_backward' op expects weight dimension 0 (15) to match logits dimension 1 (16)}}
  %r = attn.xent_logits_backward %g, %z, %t weight %w : tensor<f32>, tensor<8x16xf32>, tensor<8xi64> weight tensor<15xf32>
  return %r : tensor<8x16xf32>
}

// -----

// label_smoothing above 1.
func.func @xent_logits_backward_label_smoothing_above_one(%g: tensor<f32>, %z: tensor<8x16xf32>, %t: tensor<8xi64>) -> tensor<8x16xf32> {
  // expected-error @+1 {{'attn.xent_logits_backward' op expects label_smoothing in [0, 1], got 1.500000e+00}}
  %r = attn.xent_logits_backward %g, %z, %t label_smoothing = 1.5 : tensor<f32>, tensor<8x16xf32>, tensor<8xi64>
  return %r : tensor<8x16xf32>
}

// -----

// label_smoothing below 0.
func.func @xent_logits_backward_label_smoothing_negative(%g: tensor<f32>, %z: tensor<8x16xf32>, %t: tensor<8xi64>) -> tensor<8x16xf32> {
  // expected-error @+1 {{'attn.xent_logits_backward' op expects label_smoothing in [0, 1], got -5.000000e-01}}
  %r = attn.xent_logits_backward %g, %z, %t label_smoothing = -0.5 : tensor<f32>, tensor<8x16xf32>, tensor<8xi64>
  return %r : tensor<8x16xf32>
}

// -----

// A NaN label_smoothing is not in [0, 1].
func.func @xent_logits_backward_label_smoothing_nan(%g: tensor<f32>, %z: tensor<8x16xf32>, %t: tensor<8xi64>) -> tensor<8x16xf32> {
  // expected-error @+1 {{'attn.xent_logits_backward' op expects label_smoothing in [0, 1], got nan}}
  %r = attn.xent_logits_backward %g, %z, %t label_smoothing = 0x7FF8000000000000 : tensor<f32>, tensor<8x16xf32>, tensor<8xi64>
  return %r : tensor<8x16xf32>
}

// -----

// A negative z_loss.
func.func @xent_logits_backward_z_loss_negative(%g: tensor<f32>, %z: tensor<8x16xf32>, %t: tensor<8xi64>) -> tensor<8x16xf32> {
  // expected-error @+1 {{'attn.xent_logits_backward' op expects a finite z_loss >= 0, got -1.000000e-03}}
  %r = attn.xent_logits_backward %g, %z, %t z_loss = -1.0e-3 : tensor<f32>, tensor<8x16xf32>, tensor<8xi64>
  return %r : tensor<8x16xf32>
}

// -----

// An infinite z_loss.
func.func @xent_logits_backward_z_loss_inf(%g: tensor<f32>, %z: tensor<8x16xf32>, %t: tensor<8xi64>) -> tensor<8x16xf32> {
  // expected-error @+1 {{'attn.xent_logits_backward' op expects a finite z_loss >= 0, got INF}}
  %r = attn.xent_logits_backward %g, %z, %t z_loss = 0x7FF0000000000000 : tensor<f32>, tensor<8x16xf32>, tensor<8xi64>
  return %r : tensor<8x16xf32>
}

// -----

// A softcap of 0.
func.func @xent_logits_backward_softcap_zero(%g: tensor<f32>, %z: tensor<8x16xf32>, %t: tensor<8xi64>) -> tensor<8x16xf32> {
  // expected-error @+1 {{'attn.xent_logits_backward' op expects a positive, finite softcap, got 0.000000e+00}}
  %r = attn.xent_logits_backward %g, %z, %t softcap = 0.0 : tensor<f32>, tensor<8x16xf32>, tensor<8xi64>
  return %r : tensor<8x16xf32>
}

// -----

// A negative softcap.
func.func @xent_logits_backward_softcap_negative(%g: tensor<f32>, %z: tensor<8x16xf32>, %t: tensor<8xi64>) -> tensor<8x16xf32> {
  // expected-error @+1 {{'attn.xent_logits_backward' op expects a positive, finite softcap, got -3.000000e+01}}
  %r = attn.xent_logits_backward %g, %z, %t softcap = -30.0 : tensor<f32>, tensor<8x16xf32>, tensor<8xi64>
  return %r : tensor<8x16xf32>
}

// -----

// An infinite softcap.
func.func @xent_logits_backward_softcap_inf(%g: tensor<f32>, %z: tensor<8x16xf32>, %t: tensor<8xi64>) -> tensor<8x16xf32> {
  // expected-error @+1 {{'attn.xent_logits_backward' op expects a positive, finite softcap, got INF}}
  %r = attn.xent_logits_backward %g, %z, %t softcap = 0x7FF0000000000000 : tensor<f32>, tensor<8x16xf32>, tensor<8xi64>
  return %r : tensor<8x16xf32>
}

// -----

// linear_xent: a weight [V] of rank 2.
func.func @linear_xent_weight_rank(%h: tensor<8x4xf32>, %c: tensor<10x4xf32>, %t: tensor<8xi64>, %w: tensor<10x1xf32>) -> tensor<f32> {
  // expected-error @+1 {{'attn.linear_xent' op expects weight of rank 1 (one per class), got 'tensor<10x1xf32>'}}
  %l = attn.linear_xent %h, %c, %t weight %w : tensor<8x4xf32>, tensor<10x4xf32>, tensor<8xi64> weight tensor<10x1xf32>
  return %l : tensor<f32>
}

// -----

// linear_xent: a weight of another element type than hidden's.
func.func @linear_xent_weight_type(%h: tensor<8x4xf32>, %c: tensor<10x4xf32>, %t: tensor<8xi64>, %b: tensor<10xf32>, %w: tensor<10xf64>) -> tensor<f32> {
  // expected-error @+1 {{'attn.linear_xent' op expects weight element type 'f64' to match the logits element type 'f32'}}
  %l = attn.linear_xent %h, %c, %t bias %b weight %w : tensor<8x4xf32>, tensor<10x4xf32>, tensor<8xi64>, tensor<10xf32> weight tensor<10xf64>
  return %l : tensor<f32>
}

// -----

// linear_xent: a weight of 9 classes for a classifier of 10.
func.func @linear_xent_weight_length(%h: tensor<8x4xf32>, %c: tensor<10x4xf32>, %t: tensor<8xi64>, %b: tensor<10xf32>, %w: tensor<9xf32>) -> tensor<f32> {
  // expected-error @+1 {{'attn.linear_xent' op expects weight dimension 0 (9) to match classifier dimension 0 (10)}}
  %l = attn.linear_xent %h, %c, %t bias %b weight %w : tensor<8x4xf32>, tensor<10x4xf32>, tensor<8xi64>, tensor<10xf32> weight tensor<9xf32>
  return %l : tensor<f32>
}

// -----

// linear_xent_backward: a weight of 11 classes for a classifier of 10.
func.func @linear_xent_backward_weight_length(%g: tensor<f32>, %h: tensor<8x4xf32>, %c: tensor<10x4xf32>, %t: tensor<8xi64>, %lse: tensor<8xf32>, %w: tensor<11xf32>) -> (tensor<8x4xf32>, tensor<10x4xf32>) {
  // expected-error @+1 {{'attn.linear_xent_backward' op expects weight dimension 0 (11) to match classifier dimension 0 (10)}}
  %dh, %dc = attn.linear_xent_backward %g, %h, %c, %t, %lse weight %w : tensor<f32>, tensor<8x4xf32>, tensor<10x4xf32>, tensor<8xi64>, tensor<8xf32> weight tensor<11xf32>
  return %dh, %dc : tensor<8x4xf32>, tensor<10x4xf32>
}
