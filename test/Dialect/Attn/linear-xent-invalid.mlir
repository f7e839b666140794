// RUN: attn-opt %s --split-input-file --verify-diagnostics

// One case per verifier rule of attn.linear_xent and attn.linear_xent_backward
// (AttnOps.cpp, the size rules in ShapeRules.cpp).

// A rank-0 hidden: the result type cannot be inferred.
func.func @hidden_rank0(%h: tensor<f32>, %w: tensor<10x4xf32>, %t: tensor<8xi64>) -> tensor<f32> {
  // expected-error @+1 {{'attn.linear_xent' op expects a ranked hidden tensor [N, D]}}
  %l = attn.linear_xent %h, %w, %t : tensor<f32>, tensor<10x4xf32>, tensor<8xi64>
  return %l : tensor<f32>
}

// -----

func.func @hidden_rank1(%h: tensor<8xf32>, %w: tensor<10x4xf32>, %t: tensor<8xi64>) -> tensor<f32> {
  // expected-error @+1 {{'attn.linear_xent' op expects hidden of rank 2 ([N, D]), got 'tensor<8xf32>'}}
  %l = attn.linear_xent %h, %w, %t : tensor<8xf32>, tensor<10x4xf32>, tensor<8xi64>
  return %l : tensor<f32>
}

// -----

func.func @hidden_rank(%h: tensor<8x4x2xf32>, %w: tensor<10x4xf32>, %t: tensor<8xi64>) -> tensor<f32> {
  // expected-error @+1 {{'attn.linear_xent' op expects hidden of rank 2 ([N, D]), got 'tensor<8x4x2xf32>'}}
  %l = attn.linear_xent %h, %w, %t : tensor<8x4x2xf32>, tensor<10x4xf32>, tensor<8xi64>
  return %l : tensor<f32>
}

// -----

func.func @classifier_rank(%h: tensor<8x4xf32>, %w: tensor<4xf32>, %t: tensor<8xi64>) -> tensor<f32> {
  // expected-error @+1 {{'attn.linear_xent' op expects classifier of rank 2 ([V, D]), got 'tensor<4xf32>'}}
  %l = attn.linear_xent %h, %w, %t : tensor<8x4xf32>, tensor<4xf32>, tensor<8xi64>
  return %l : tensor<f32>
}

// -----

func.func @target_rank(%h: tensor<8x4xf32>, %w: tensor<10x4xf32>, %t: tensor<8x1xi64>) -> tensor<f32> {
  // expected-error @+1 {{'attn.linear_xent' op expects target of rank 1 ([N]), got 'tensor<8x1xi64>'}}
  %l = attn.linear_xent %h, %w, %t : tensor<8x4xf32>, tensor<10x4xf32>, tensor<8x1xi64>
  return %l : tensor<f32>
}

// -----

func.func @element_type(%h: tensor<8x4xf32>, %w: tensor<10x4xf64>, %t: tensor<8xi64>) -> tensor<f32> {
  // expected-error @+1 {{'attn.linear_xent' op expects classifier element type 'f64' to match hidden element type 'f32'}}
  %l = attn.linear_xent %h, %w, %t : tensor<8x4xf32>, tensor<10x4xf64>, tensor<8xi64>
  return %l : tensor<f32>
}

// -----

func.func @bias_rank(%h: tensor<8x4xf32>, %w: tensor<10x4xf32>, %t: tensor<8xi64>, %b: tensor<10x1xf32>) -> tensor<f32> {
  // expected-error @+1 {{'attn.linear_xent' op expects bias of rank 1 ([V]), got 'tensor<10x1xf32>'}}
  %l = attn.linear_xent %h, %w, %t bias %b : tensor<8x4xf32>, tensor<10x4xf32>, tensor<8xi64>, tensor<10x1xf32>
  return %l : tensor<f32>
}

// -----

func.func @bias_type(%h: tensor<8x4xf32>, %w: tensor<10x4xf32>, %t: tensor<8xi64>, %b: tensor<10xf16>) -> tensor<f32> {
  // expected-error @+1 {{'attn.linear_xent' op expects bias element type 'f16' to match hidden element type 'f32'}}
  %l = attn.linear_xent %h, %w, %t bias %b : tensor<8x4xf32>, tensor<10x4xf32>, tensor<8xi64>, tensor<10xf16>
  return %l : tensor<f32>
}

// -----

func.func @features(%h: tensor<8x4xf32>, %w: tensor<10x5xf32>, %t: tensor<8xi64>) -> tensor<f32> {
  // expected-error @+1 {{'attn.linear_xent' op expects classifier dimension 1 (5) to match hidden dimension 1 (4)}}
  %l = attn.linear_xent %h, %w, %t : tensor<8x4xf32>, tensor<10x5xf32>, tensor<8xi64>
  return %l : tensor<f32>
}

// -----

func.func @tokens(%h: tensor<8x4xf32>, %w: tensor<10x4xf32>, %t: tensor<7xi64>) -> tensor<f32> {
  // expected-error @+1 {{'attn.linear_xent' op expects target dimension 0 (7) to match hidden dimension 0 (8)}}
  %l = attn.linear_xent %h, %w, %t : tensor<8x4xf32>, tensor<10x4xf32>, tensor<7xi64>
  return %l : tensor<f32>
}

// -----

func.func @classes(%h: tensor<8x4xf32>, %w: tensor<10x4xf32>, %t: tensor<8xi64>, %b: tensor<9xf32>) -> tensor<f32> {
  // expected-error @+1 {{'attn.linear_xent' op expects bias dimension 0 (9) to match classifier dimension 0 (10)}}
  %l = attn.linear_xent %h, %w, %t bias %b : tensor<8x4xf32>, tensor<10x4xf32>, tensor<8xi64>, tensor<9xf32>
  return %l : tensor<f32>
}

// -----

func.func @ignore_index(%h: tensor<8x4xf32>, %w: tensor<10x4xf32>, %t: tensor<8xi32>) -> tensor<f32> {
  // expected-error @+1 {{'attn.linear_xent' op expects ignore_index (2147483648) to fit the target element type 'i32'}}
  %l = attn.linear_xent %h, %w, %t ignore_index = 2147483648 : tensor<8x4xf32>, tensor<10x4xf32>, tensor<8xi32>
  return %l : tensor<f32>
}

// -----

func.func @ignore_index_low(%h: tensor<8x4xf32>, %w: tensor<10x4xf32>, %t: tensor<8xi32>) -> tensor<f32> {
  // expected-error @+1 {{'attn.linear_xent' op expects ignore_index (-2147483649) to fit the target element type 'i32'}}
  %l = attn.linear_xent %h, %w, %t ignore_index = -2147483649 : tensor<8x4xf32>, tensor<10x4xf32>, tensor<8xi32>
  return %l : tensor<f32>
}

// -----

func.func @label_smoothing(%h: tensor<8x4xf32>, %w: tensor<10x4xf32>, %t: tensor<8xi64>) -> tensor<f32> {
  // expected-error @+1 {{'attn.linear_xent' op expects label_smoothing in [0, 1], got 1.500000e+00}}
  %l = attn.linear_xent %h, %w, %t label_smoothing = 1.5 : tensor<8x4xf32>, tensor<10x4xf32>, tensor<8xi64>
  return %l : tensor<f32>
}

// -----

func.func @label_smoothing_negative(%h: tensor<8x4xf32>, %w: tensor<10x4xf32>, %t: tensor<8xi64>) -> tensor<f32> {
  // expected-error @+1 {{'attn.linear_xent' op expects label_smoothing in [0, 1], got -1.000000e-01}}
  %l = attn.linear_xent %h, %w, %t label_smoothing = -0.1 : tensor<8x4xf32>, tensor<10x4xf32>, tensor<8xi64>
  return %l : tensor<f32>
}

// -----

func.func @z_loss(%h: tensor<8x4xf32>, %w: tensor<10x4xf32>, %t: tensor<8xi64>) -> tensor<f32> {
  // expected-error @+1 {{'attn.linear_xent' op expects a finite z_loss >= 0, got -1.000000e-04}}
  %l = attn.linear_xent %h, %w, %t z_loss = -1.0e-4 : tensor<8x4xf32>, tensor<10x4xf32>, tensor<8xi64>
  return %l : tensor<f32>
}

// -----

func.func @z_loss_inf(%h: tensor<8x4xf32>, %w: tensor<10x4xf32>, %t: tensor<8xi64>) -> tensor<f32> {
  // expected-error @+1 {{'attn.linear_xent' op expects a finite z_loss >= 0, got INF}}
  %l = attn.linear_xent %h, %w, %t z_loss = 0x7FF0000000000000 : tensor<8x4xf32>, tensor<10x4xf32>, tensor<8xi64>
  return %l : tensor<f32>
}

// -----

func.func @softcap_zero(%h: tensor<8x4xf32>, %w: tensor<10x4xf32>, %t: tensor<8xi64>) -> tensor<f32> {
  // expected-error @+1 {{'attn.linear_xent' op expects a positive, finite softcap, got 0.000000e+00}}
  %l = attn.linear_xent %h, %w, %t softcap = 0.0 : tensor<8x4xf32>, tensor<10x4xf32>, tensor<8xi64>
  return %l : tensor<f32>
}

// -----

func.func @softcap_negative(%h: tensor<8x4xf32>, %w: tensor<10x4xf32>, %t: tensor<8xi64>) -> tensor<f32> {
  // expected-error @+1 {{'attn.linear_xent' op expects a positive, finite softcap, got -3.000000e+01}}
  %l = attn.linear_xent %h, %w, %t softcap = -30.0 : tensor<8x4xf32>, tensor<10x4xf32>, tensor<8xi64>
  return %l : tensor<f32>
}

// -----

// The generic form: result types other than the inferred ones.
func.func @result_none(%h: tensor<8x4xf32>, %w: tensor<10x4xf32>, %t: tensor<8xi64>) -> tensor<f32> {
  // expected-error @+1 {{'attn.linear_xent' op expects result type 'tensor<8xf32>' (hidden without its features), got 'tensor<f32>'}}
  %l = "attn.linear_xent"(%h, %w, %t) <{reduction = 0 : i32, operandSegmentSizes = array<i32: 1, 1, 1, 0, 0>}> : (tensor<8x4xf32>, tensor<10x4xf32>, tensor<8xi64>) -> tensor<f32>
  return %l : tensor<f32>
}

// -----

func.func @result_mean(%h: tensor<8x4xf32>, %w: tensor<10x4xf32>, %t: tensor<8xi64>) -> tensor<8xf32> {
  // expected-error @+1 {{'attn.linear_xent' op expects result type 'tensor<f32>' (a rank-0 tensor for a sum or mean), got 'tensor<8xf32>'}}
  %l = "attn.linear_xent"(%h, %w, %t) <{operandSegmentSizes = array<i32: 1, 1, 1, 0, 0>}> : (tensor<8x4xf32>, tensor<10x4xf32>, tensor<8xi64>) -> tensor<8xf32>
  return %l : tensor<8xf32>
}

// -----

func.func @result_sum_type(%h: tensor<8x4xf32>, %w: tensor<10x4xf32>, %t: tensor<8xi64>) -> tensor<f64> {
  // expected-error @+1 {{'attn.linear_xent' op expects result type 'tensor<f32>' (a rank-0 tensor for a sum or mean), got 'tensor<f64>'}}
  %l = "attn.linear_xent"(%h, %w, %t) <{reduction = 1 : i32, operandSegmentSizes = array<i32: 1, 1, 1, 0, 0>}> : (tensor<8x4xf32>, tensor<10x4xf32>, tensor<8xi64>) -> tensor<f64>
  return %l : tensor<f64>
}

// -----

func.func @with_lse_one_result(%h: tensor<8x4xf32>, %w: tensor<10x4xf32>, %t: tensor<8xi64>) -> tensor<f32> {
  // expected-error @+1 {{'attn.linear_xent' op expects two results with 'with_lse'}}
  %l = "attn.linear_xent"(%h, %w, %t) <{with_lse, operandSegmentSizes = array<i32: 1, 1, 1, 0, 0>}> : (tensor<8x4xf32>, tensor<10x4xf32>, tensor<8xi64>) -> tensor<f32>
  return %l : tensor<f32>
}

// -----

func.func @lse_without_with_lse(%h: tensor<8x4xf32>, %w: tensor<10x4xf32>, %t: tensor<8xi64>) -> tensor<f32> {
  // expected-error @+1 {{'attn.linear_xent' op expects one result without 'with_lse'}}
  %l, %lse = "attn.linear_xent"(%h, %w, %t) <{operandSegmentSizes = array<i32: 1, 1, 1, 0, 0>}> : (tensor<8x4xf32>, tensor<10x4xf32>, tensor<8xi64>) -> (tensor<f32>, tensor<8xf32>)
  return %l : tensor<f32>
}

// -----

func.func @lse_type(%h: tensor<8x4xf16>, %w: tensor<10x4xf16>, %t: tensor<8xi64>) -> tensor<f16> {
  // expected-error @+1 {{'attn.linear_xent' op expects lse type 'tensor<8xf32>' (one per token, f32 for f16 and bf16), got 'tensor<8xf16>'}}
  %l, %lse = "attn.linear_xent"(%h, %w, %t) <{with_lse, operandSegmentSizes = array<i32: 1, 1, 1, 0, 0>}> : (tensor<8x4xf16>, tensor<10x4xf16>, tensor<8xi64>) -> (tensor<f16>, tensor<8xf16>)
  return %l : tensor<f16>
}

// -----

func.func @lse_size(%h: tensor<8x4xf32>, %w: tensor<10x4xf32>, %t: tensor<8xi64>) -> tensor<f32> {
  // expected-error @+1 {{'attn.linear_xent' op expects lse type 'tensor<8xf32>' (one per token, f32 for f16 and bf16), got 'tensor<7xf32>'}}
  %l, %lse = "attn.linear_xent"(%h, %w, %t) <{with_lse, operandSegmentSizes = array<i32: 1, 1, 1, 0, 0>}> : (tensor<8x4xf32>, tensor<10x4xf32>, tensor<8xi64>) -> (tensor<f32>, tensor<7xf32>)
  return %l : tensor<f32>
}

// -----

// Targets of i32 or i64 only (the operand constraint).
func.func @target_type(%h: tensor<8x4xf32>, %w: tensor<10x4xf32>, %t: tensor<8xi16>) -> tensor<f32> {
  // expected-error @+1 {{'attn.linear_xent' op operand #2 must be ranked tensor of i32 or i64 elements and no encoding, but got 'tensor<8xi16>'}}
  %l = "attn.linear_xent"(%h, %w, %t) <{operandSegmentSizes = array<i32: 1, 1, 1, 0, 0>}> : (tensor<8x4xf32>, tensor<10x4xf32>, tensor<8xi16>) -> tensor<f32>
  return %l : tensor<f32>
}

// -----

// attn.linear_xent_backward: grad [N] for none, rank 0 for sum and mean.
func.func @backward_grad_rank_none(%g: tensor<f32>, %h: tensor<8x4xf32>, %w: tensor<10x4xf32>, %t: tensor<8xi64>, %lse: tensor<8xf32>) -> (tensor<8x4xf32>, tensor<10x4xf32>) {
  // expected-error @+1 {{'attn.linear_xent_backward' op expects grad of rank 1 (hidden without its last dimension), got 'tensor<f32>'}}
  %dh, %dw = attn.linear_xent_backward %g, %h, %w, %t, %lse reduction = none : tensor<f32>, tensor<8x4xf32>, tensor<10x4xf32>, tensor<8xi64>, tensor<8xf32>
  return %dh, %dw : tensor<8x4xf32>, tensor<10x4xf32>
}

// -----

func.func @backward_grad_type_none(%g: tensor<8xf64>, %h: tensor<8x4xf32>, %w: tensor<10x4xf32>, %t: tensor<8xi64>, %lse: tensor<8xf32>) -> (tensor<8x4xf32>, tensor<10x4xf32>) {
  // expected-error @+1 {{'attn.linear_xent_backward' op expects grad element type 'f64' to match hidden element type 'f32'}}
  %dh, %dw = attn.linear_xent_backward %g, %h, %w, %t, %lse reduction = none : tensor<8xf64>, tensor<8x4xf32>, tensor<10x4xf32>, tensor<8xi64>, tensor<8xf32>
  return %dh, %dw : tensor<8x4xf32>, tensor<10x4xf32>
}

// -----

func.func @backward_grad_size_none(%g: tensor<7xf32>, %h: tensor<8x4xf32>, %w: tensor<10x4xf32>, %t: tensor<8xi64>, %lse: tensor<8xf32>) -> (tensor<8x4xf32>, tensor<10x4xf32>) {
  // expected-error @+1 {{'attn.linear_xent_backward' op expects grad dimension 0 (7) to match hidden dimension 0 (8)}}
  %dh, %dw = attn.linear_xent_backward %g, %h, %w, %t, %lse reduction = none : tensor<7xf32>, tensor<8x4xf32>, tensor<10x4xf32>, tensor<8xi64>, tensor<8xf32>
  return %dh, %dw : tensor<8x4xf32>, tensor<10x4xf32>
}

// -----

func.func @backward_grad_rank_mean(%g: tensor<8xf32>, %h: tensor<8x4xf32>, %w: tensor<10x4xf32>, %t: tensor<8xi64>, %lse: tensor<8xf32>) -> (tensor<8x4xf32>, tensor<10x4xf32>) {
  // expected-error @+1 {{'attn.linear_xent_backward' op expects a rank-0 grad (the gradient of a mean), got 'tensor<8xf32>'}}
  %dh, %dw = attn.linear_xent_backward %g, %h, %w, %t, %lse : tensor<8xf32>, tensor<8x4xf32>, tensor<10x4xf32>, tensor<8xi64>, tensor<8xf32>
  return %dh, %dw : tensor<8x4xf32>, tensor<10x4xf32>
}

// -----

func.func @backward_grad_rank_sum(%g: tensor<1xf32>, %h: tensor<8x4xf32>, %w: tensor<10x4xf32>, %t: tensor<8xi64>, %lse: tensor<8xf32>) -> (tensor<8x4xf32>, tensor<10x4xf32>) {
  // expected-error @+1 {{'attn.linear_xent_backward' op expects a rank-0 grad (the gradient of a sum), got 'tensor<1xf32>'}}
  %dh, %dw = attn.linear_xent_backward %g, %h, %w, %t, %lse reduction = sum : tensor<1xf32>, tensor<8x4xf32>, tensor<10x4xf32>, tensor<8xi64>, tensor<8xf32>
  return %dh, %dw : tensor<8x4xf32>, tensor<10x4xf32>
}

// -----

func.func @backward_grad_type_mean(%g: tensor<f16>, %h: tensor<8x4xf32>, %w: tensor<10x4xf32>, %t: tensor<8xi64>, %lse: tensor<8xf32>) -> (tensor<8x4xf32>, tensor<10x4xf32>) {
  // expected-error @+1 {{'attn.linear_xent_backward' op expects grad element type 'f16' to match hidden element type 'f32'}}
  %dh, %dw = attn.linear_xent_backward %g, %h, %w, %t, %lse : tensor<f16>, tensor<8x4xf32>, tensor<10x4xf32>, tensor<8xi64>, tensor<8xf32>
  return %dh, %dw : tensor<8x4xf32>, tensor<10x4xf32>
}

// -----

// The lse: [N], f32 for f16 and bf16, of the hidden states' tokens.
func.func @backward_lse_rank(%g: tensor<f32>, %h: tensor<8x4xf32>, %w: tensor<10x4xf32>, %t: tensor<8xi64>, %lse: tensor<8x1xf32>) -> (tensor<8x4xf32>, tensor<10x4xf32>) {
  // expected-error @+1 {{'attn.linear_xent_backward' op expects lse of rank 1 with 'f32' elements (one per token; f32 for f16 and bf16), got 'tensor<8x1xf32>'}}
  %dh, %dw = attn.linear_xent_backward %g, %h, %w, %t, %lse : tensor<f32>, tensor<8x4xf32>, tensor<10x4xf32>, tensor<8xi64>, tensor<8x1xf32>
  return %dh, %dw : tensor<8x4xf32>, tensor<10x4xf32>
}

// -----

func.func @backward_lse_type_f16(%g: tensor<f16>, %h: tensor<8x4xf16>, %w: tensor<10x4xf16>, %t: tensor<8xi64>, %lse: tensor<8xf16>) -> (tensor<8x4xf16>, tensor<10x4xf16>) {
  // expected-error @+1 {{'attn.linear_xent_backward' op expects lse of rank 1 with 'f32' elements (one per token; f32 for f16 and bf16), got 'tensor<8xf16>'}}
  %dh, %dw = attn.linear_xent_backward %g, %h, %w, %t, %lse : tensor<f16>, tensor<8x4xf16>, tensor<10x4xf16>, tensor<8xi64>, tensor<8xf16>
  return %dh, %dw : tensor<8x4xf16>, tensor<10x4xf16>
}

// -----

func.func @backward_lse_type_f64(%g: tensor<f64>, %h: tensor<8x4xf64>, %w: tensor<10x4xf64>, %t: tensor<8xi64>, %lse: tensor<8xf32>) -> (tensor<8x4xf64>, tensor<10x4xf64>) {
  // expected-error @+1 {{'attn.linear_xent_backward' op expects lse of rank 1 with 'f64' elements (one per token; f32 for f16 and bf16), got 'tensor<8xf32>'}}
  %dh, %dw = attn.linear_xent_backward %g, %h, %w, %t, %lse : tensor<f64>, tensor<8x4xf64>, tensor<10x4xf64>, tensor<8xi64>, tensor<8xf32>
  return %dh, %dw : tensor<8x4xf64>, tensor<10x4xf64>
}

// -----

func.func @backward_lse_size(%g: tensor<f32>, %h: tensor<8x4xf32>, %w: tensor<10x4xf32>, %t: tensor<8xi64>, %lse: tensor<7xf32>) -> (tensor<8x4xf32>, tensor<10x4xf32>) {
  // expected-error @+1 {{'attn.linear_xent_backward' op expects lse dimension 0 (7) to match hidden dimension 0 (8)}}
  %dh, %dw = attn.linear_xent_backward %g, %h, %w, %t, %lse : tensor<f32>, tensor<8x4xf32>, tensor<10x4xf32>, tensor<8xi64>, tensor<7xf32>
  return %dh, %dw : tensor<8x4xf32>, tensor<10x4xf32>
}

// -----

// The rules linear_xent's operands and options share.
func.func @backward_features(%g: tensor<f32>, %h: tensor<8x4xf32>, %w: tensor<10x3xf32>, %t: tensor<8xi64>, %lse: tensor<8xf32>) -> (tensor<8x4xf32>, tensor<10x3xf32>) {
  // expected-error @+1 {{'attn.linear_xent_backward' op expects classifier dimension 1 (3) to match hidden dimension 1 (4)}}
  %dh, %dw = attn.linear_xent_backward %g, %h, %w, %t, %lse : tensor<f32>, tensor<8x4xf32>, tensor<10x3xf32>, tensor<8xi64>, tensor<8xf32>
  return %dh, %dw : tensor<8x4xf32>, tensor<10x3xf32>
}

// -----

func.func @backward_classifier_type(%g: tensor<f32>, %h: tensor<8x4xf32>, %w: tensor<10x4xf64>, %t: tensor<8xi64>, %lse: tensor<8xf32>) -> (tensor<8x4xf32>, tensor<10x4xf64>) {
  // expected-error @+1 {{'attn.linear_xent_backward' op expects classifier element type 'f64' to match hidden element type 'f32'}}
  %dh, %dw = attn.linear_xent_backward %g, %h, %w, %t, %lse : tensor<f32>, tensor<8x4xf32>, tensor<10x4xf64>, tensor<8xi64>, tensor<8xf32>
  return %dh, %dw : tensor<8x4xf32>, tensor<10x4xf64>
}

// -----

func.func @backward_bias_size(%g: tensor<f32>, %h: tensor<8x4xf32>, %w: tensor<10x4xf32>, %t: tensor<8xi64>, %lse: tensor<8xf32>, %b: tensor<11xf32>) -> (tensor<8x4xf32>, tensor<10x4xf32>, tensor<11xf32>) {
  // expected-error @+1 {{'attn.linear_xent_backward' op expects bias dimension 0 (11) to match classifier dimension 0 (10)}}
  %dh, %dw, %db = attn.linear_xent_backward %g, %h, %w, %t, %lse bias %b : tensor<f32>, tensor<8x4xf32>, tensor<10x4xf32>, tensor<8xi64>, tensor<8xf32>, tensor<11xf32>
  return %dh, %dw, %db : tensor<8x4xf32>, tensor<10x4xf32>, tensor<11xf32>
}

// -----

func.func @backward_target_size(%g: tensor<f32>, %h: tensor<8x4xf32>, %w: tensor<10x4xf32>, %t: tensor<9xi32>, %lse: tensor<8xf32>) -> (tensor<8x4xf32>, tensor<10x4xf32>) {
  // expected-error @+1 {{'attn.linear_xent_backward' op expects target dimension 0 (9) to match hidden dimension 0 (8)}}
  %dh, %dw = attn.linear_xent_backward %g, %h, %w, %t, %lse : tensor<f32>, tensor<8x4xf32>, tensor<10x4xf32>, tensor<9xi32>, tensor<8xf32>
  return %dh, %dw : tensor<8x4xf32>, tensor<10x4xf32>
}

// -----

func.func @backward_ignore_index(%g: tensor<f32>, %h: tensor<8x4xf32>, %w: tensor<10x4xf32>, %t: tensor<8xi32>, %lse: tensor<8xf32>) -> (tensor<8x4xf32>, tensor<10x4xf32>) {
  // expected-error @+1 {{'attn.linear_xent_backward' op expects ignore_index (4294967296) to fit the target element type 'i32'}}
  %dh, %dw = attn.linear_xent_backward %g, %h, %w, %t, %lse ignore_index = 4294967296 : tensor<f32>, tensor<8x4xf32>, tensor<10x4xf32>, tensor<8xi32>, tensor<8xf32>
  return %dh, %dw : tensor<8x4xf32>, tensor<10x4xf32>
}

// -----

func.func @backward_label_smoothing(%g: tensor<f32>, %h: tensor<8x4xf32>, %w: tensor<10x4xf32>, %t: tensor<8xi64>, %lse: tensor<8xf32>) -> (tensor<8x4xf32>, tensor<10x4xf32>) {
  // expected-error @+1 {{'attn.linear_xent_backward' op expects label_smoothing in [0, 1], got 2.000000e+00}}
  %dh, %dw = attn.linear_xent_backward %g, %h, %w, %t, %lse label_smoothing = 2.0 : tensor<f32>, tensor<8x4xf32>, tensor<10x4xf32>, tensor<8xi64>, tensor<8xf32>
  return %dh, %dw : tensor<8x4xf32>, tensor<10x4xf32>
}

// -----

func.func @backward_z_loss(%g: tensor<f32>, %h: tensor<8x4xf32>, %w: tensor<10x4xf32>, %t: tensor<8xi64>, %lse: tensor<8xf32>) -> (tensor<8x4xf32>, tensor<10x4xf32>) {
  // expected-error @+1 {{'attn.linear_xent_backward' op expects a finite z_loss >= 0, got -1.000000e+00}}
  %dh, %dw = attn.linear_xent_backward %g, %h, %w, %t, %lse z_loss = -1.0 : tensor<f32>, tensor<8x4xf32>, tensor<10x4xf32>, tensor<8xi64>, tensor<8xf32>
  return %dh, %dw : tensor<8x4xf32>, tensor<10x4xf32>
}

// -----

func.func @backward_softcap(%g: tensor<f32>, %h: tensor<8x4xf32>, %w: tensor<10x4xf32>, %t: tensor<8xi64>, %lse: tensor<8xf32>) -> (tensor<8x4xf32>, tensor<10x4xf32>) {
  // expected-error @+1 {{'attn.linear_xent_backward' op expects a positive, finite softcap, got 0.000000e+00}}
  %dh, %dw = attn.linear_xent_backward %g, %h, %w, %t, %lse softcap = 0.0 : tensor<f32>, tensor<8x4xf32>, tensor<10x4xf32>, tensor<8xi64>, tensor<8xf32>
  return %dh, %dw : tensor<8x4xf32>, tensor<10x4xf32>
}

// -----

// Results: the gradients of hidden, classifier (and bias), of their types.
func.func @backward_result_count(%g: tensor<f32>, %h: tensor<8x4xf32>, %w: tensor<10x4xf32>, %t: tensor<8xi64>, %lse: tensor<8xf32>) -> tensor<8x4xf32> {
  // expected-error @+1 {{'attn.linear_xent_backward' op expects 2 results (the gradients of hidden, classifier), got 3}}
  %dh, %dw, %db = "attn.linear_xent_backward"(%g, %h, %w, %t, %lse) <{operandSegmentSizes = array<i32: 1, 1, 1, 1, 1, 0, 0>}> : (tensor<f32>, tensor<8x4xf32>, tensor<10x4xf32>, tensor<8xi64>, tensor<8xf32>) -> (tensor<8x4xf32>, tensor<10x4xf32>, tensor<10xf32>)
  return %dh : tensor<8x4xf32>
}

// -----

func.func @backward_result_count_bias(%g: tensor<f32>, %h: tensor<8x4xf32>, %w: tensor<10x4xf32>, %t: tensor<8xi64>, %lse: tensor<8xf32>, %b: tensor<10xf32>) -> tensor<8x4xf32> {
  // expected-error @+1 {{'attn.linear_xent_backward' op expects 3 results (the gradients of hidden, classifier and bias), got 2}}
  %dh, %dw = "attn.linear_xent_backward"(%g, %h, %w, %t, %lse, %b) <{operandSegmentSizes = array<i32: 1, 1, 1, 1, 1, 1, 0>}> : (tensor<f32>, tensor<8x4xf32>, tensor<10x4xf32>, tensor<8xi64>, tensor<8xf32>, tensor<10xf32>) -> (tensor<8x4xf32>, tensor<10x4xf32>)
  return %dh : tensor<8x4xf32>
}

// -----

func.func @backward_result_type(%g: tensor<f32>, %h: tensor<8x4xf32>, %w: tensor<10x4xf32>, %t: tensor<8xi64>, %lse: tensor<8xf32>) -> tensor<8x4xf32> {
  // expected-error @+1 {{'attn.linear_xent_backward' op expects result types of hidden, classifier and bias, got 'tensor<10x4xf64>' for 'tensor<10x4xf32>'}}
  %dh, %dw = "attn.linear_xent_backward"(%g, %h, %w, %t, %lse) <{operandSegmentSizes = array<i32: 1, 1, 1, 1, 1, 0, 0>}> : (tensor<f32>, tensor<8x4xf32>, tensor<10x4xf32>, tensor<8xi64>, tensor<8xf32>) -> (tensor<8x4xf32>, tensor<10x4xf64>)
  return %dh : tensor<8x4xf32>
}

// -----

func.func @backward_result_shape(%g: tensor<f32>, %h: tensor<8x4xf32>, %w: tensor<10x4xf32>, %t: tensor<8xi64>, %lse: tensor<8xf32>, %b: tensor<10xf32>) -> tensor<8x4xf32> {
  // expected-error @+1 {{'attn.linear_xent_backward' op expects result types of hidden, classifier and bias, got 'tensor<?xf32>' for 'tensor<10xf32>'}}
  %dh, %dw, %db = "attn.linear_xent_backward"(%g, %h, %w, %t, %lse, %b) <{operandSegmentSizes = array<i32: 1, 1, 1, 1, 1, 1, 0>}> : (tensor<f32>, tensor<8x4xf32>, tensor<10x4xf32>, tensor<8xi64>, tensor<8xf32>, tensor<10xf32>) -> (tensor<8x4xf32>, tensor<10x4xf32>, tensor<?xf32>)
  return %dh : tensor<8x4xf32>
}
