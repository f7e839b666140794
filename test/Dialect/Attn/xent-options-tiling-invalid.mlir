// RUN: attn-opt %s --transform-interpreter -split-input-file -verify-diagnostics

// attn.xent_logits splits over its classes (partial-reduction.mlir) only
// without its options: with class probabilities as targets, class weights,
// label smoothing, z-loss or a softcap, a part's partial logsumexp and
// picked logit are not enough to merge the loss (partialRefusal in
// TilingInterfaceImpl.cpp), and both tile_reduction_using_for and
// tile_reduction_using_forall are refused with the reason.

// Label smoothing: each part would need the row's lse (tile_reduction_using_for).
func.func @xent_logits_label_smoothing_for(%z: tensor<8x100xf32>, %t: tensor<8xi64>) -> tensor<8xf32> {
  // expected-error @+1 {{'attn.xent_logits' op cannot split a cross-entropy with class probabilities, class weights, label smoothing, z-loss or softcap}}
  %r = attn.xent_logits %z, %t reduction = none label_smoothing = 1.000000e-01 : tensor<8x100xf32>, tensor<8xi64>
  return %r : tensor<8xf32>
}
module attributes {transform.with_named_sequence} {
  transform.named_sequence @__transform_main(%root: !transform.any_op {transform.readonly}) {
    %s = transform.structured.match ops{["attn.xent_logits"]} in %root : (!transform.any_op) -> !transform.any_op
    // expected-error @+1 {{failed to tile using partial reduction}}
    %fill:2, %split, %comb:3, %loop = transform.structured.tile_reduction_using_for %s by tile_sizes = [0, 16] : (!transform.any_op) -> (!transform.any_op, !transform.any_op, !transform.any_op, !transform.any_op, !transform.any_op, !transform.any_op, !transform.any_op)
    transform.yield
  }
}

// -----

// Label smoothing (tile_reduction_using_forall).
func.func @xent_logits_label_smoothing_forall(%z: tensor<8x100xf32>, %t: tensor<8xi64>) -> tensor<8xf32> {
  // expected-error @+1 {{'attn.xent_logits' op cannot split a cross-entropy with class probabilities, class weights, label smoothing, z-loss or softcap}}
  %r = attn.xent_logits %z, %t reduction = none label_smoothing = 1.000000e-01 : tensor<8x100xf32>, tensor<8xi64>
  return %r : tensor<8xf32>
}
module attributes {transform.with_named_sequence} {
  transform.named_sequence @__transform_main(%root: !transform.any_op {transform.readonly}) {
    %s = transform.structured.match ops{["attn.xent_logits"]} in %root : (!transform.any_op) -> !transform.any_op
    // expected-error @+1 {{could not tile reduction}}
    %fill:2, %split, %comb:3, %loop = transform.structured.tile_reduction_using_forall %s by tile_sizes = [0, 32] : (!transform.any_op) -> (!transform.any_op, !transform.any_op, !transform.any_op, !transform.any_op, !transform.any_op, !transform.any_op, !transform.any_op)
    transform.yield
  }
}

// -----

// Class weights, f64 (a mean).
func.func @xent_logits_weight_forall(%z: tensor<8x100xf64>, %t: tensor<8xi64>, %w: tensor<100xf64>) -> tensor<f64> {
  // expected-error @+1 {{'attn.xent_logits' op cannot split a cross-entropy with class probabilities, class weights, label smoothing, z-loss or softcap}}
  %r = attn.xent_logits %z, %t weight %w : tensor<8x100xf64>, tensor<8xi64> weight tensor<100xf64>
  return %r : tensor<f64>
}
module attributes {transform.with_named_sequence} {
  transform.named_sequence @__transform_main(%root: !transform.any_op {transform.readonly}) {
    %s = transform.structured.match ops{["attn.xent_logits"]} in %root : (!transform.any_op) -> !transform.any_op
    // expected-error @+1 {{could not tile reduction}}
    %fill:2, %split, %comb:3, %loop = transform.structured.tile_reduction_using_forall %s by tile_sizes = [0, 32] : (!transform.any_op) -> (!transform.any_op, !transform.any_op, !transform.any_op, !transform.any_op, !transform.any_op, !transform.any_op, !transform.any_op)
    transform.yield
  }
}

// -----

// Class weights (tile_reduction_using_for, a sum).
func.func @xent_logits_weight_for(%z: tensor<8x100xf32>, %t: tensor<8xi64>, %w: tensor<100xf32>) -> tensor<f32> {
  // expected-error @+1 {{'attn.xent_logits' op cannot split a cross-entropy with class probabilities, class weights, label smoothing, z-loss or softcap}}
  %r = attn.xent_logits %z, %t weight %w reduction = sum : tensor<8x100xf32>, tensor<8xi64> weight tensor<100xf32>
  return %r : tensor<f32>
}
module attributes {transform.with_named_sequence} {
  transform.named_sequence @__transform_main(%root: !transform.any_op {transform.readonly}) {
    %s = transform.structured.match ops{["attn.xent_logits"]} in %root : (!transform.any_op) -> !transform.any_op
    // expected-error @+1 {{failed to tile using partial reduction}}
    %fill:2, %split, %comb:3, %loop = transform.structured.tile_reduction_using_for %s by tile_sizes = [0, 16] : (!transform.any_op) -> (!transform.any_op, !transform.any_op, !transform.any_op, !transform.any_op, !transform.any_op, !transform.any_op, !transform.any_op)
    transform.yield
  }
}

// -----

// The z-loss of the row's lse.
func.func @xent_logits_z_loss_forall(%z: tensor<8x100xf32>, %t: tensor<8xi64>) -> tensor<8xf32> {
  // expected-error @+1 {{'attn.xent_logits' op cannot split a cross-entropy with class probabilities, class weights, label smoothing, z-loss or softcap}}
  %r = attn.xent_logits %z, %t reduction = none z_loss = 1.000000e-04 : tensor<8x100xf32>, tensor<8xi64>
  return %r : tensor<8xf32>
}
module attributes {transform.with_named_sequence} {
  transform.named_sequence @__transform_main(%root: !transform.any_op {transform.readonly}) {
    %s = transform.structured.match ops{["attn.xent_logits"]} in %root : (!transform.any_op) -> !transform.any_op
    // expected-error @+1 {{could not tile reduction}}
    %fill:2, %split, %comb:3, %loop = transform.structured.tile_reduction_using_forall %s by tile_sizes = [0, 32] : (!transform.any_op) -> (!transform.any_op, !transform.any_op, !transform.any_op, !transform.any_op, !transform.any_op, !transform.any_op, !transform.any_op)
    transform.yield
  }
}

// -----

// A softcap.
func.func @xent_logits_softcap_for(%z: tensor<8x100xf32>, %t: tensor<8xi64>) -> tensor<8xf32> {
  // expected-error @+1 {{'attn.xent_logits' op cannot split a cross-entropy with class probabilities, class weights, label smoothing, z-loss or softcap}}
  %r = attn.xent_logits %z, %t reduction = none softcap = 3.000000e+01 : tensor<8x100xf32>, tensor<8xi64>
  return %r : tensor<8xf32>
}
module attributes {transform.with_named_sequence} {
  transform.named_sequence @__transform_main(%root: !transform.any_op {transform.readonly}) {
    %s = transform.structured.match ops{["attn.xent_logits"]} in %root : (!transform.any_op) -> !transform.any_op
    // expected-error @+1 {{failed to tile using partial reduction}}
    %fill:2, %split, %comb:3, %loop = transform.structured.tile_reduction_using_for %s by tile_sizes = [0, 16] : (!transform.any_op) -> (!transform.any_op, !transform.any_op, !transform.any_op, !transform.any_op, !transform.any_op, !transform.any_op, !transform.any_op)
    transform.yield
  }
}

// -----

// Class probabilities as targets (a float target of the logits' shape).
func.func @xent_logits_probabilities_forall(%z: tensor<8x100xf32>, %p: tensor<8x100xf32>) -> tensor<8xf32> {
  // expected-error @+1 {{'attn.xent_logits' op cannot split a cross-entropy with class probabilities, class weights, label smoothing, z-loss or softcap}}
  %r = attn.xent_logits %z, %p reduction = none : tensor<8x100xf32>, tensor<8x100xf32>
  return %r : tensor<8xf32>
}
module attributes {transform.with_named_sequence} {
  transform.named_sequence @__transform_main(%root: !transform.any_op {transform.readonly}) {
    %s = transform.structured.match ops{["attn.xent_logits"]} in %root : (!transform.any_op) -> !transform.any_op
    // expected-error @+1 {{could not tile reduction}}
    %fill:2, %split, %comb:3, %loop = transform.structured.tile_reduction_using_forall %s by tile_sizes = [0, 32] : (!transform.any_op) -> (!transform.any_op, !transform.any_op, !transform.any_op, !transform.any_op, !transform.any_op, !transform.any_op, !transform.any_op)
    transform.yield
  }
}
