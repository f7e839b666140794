// RUN: attn-opt %s --split-input-file | attn-opt --split-input-file | FileCheck %s
// Round trip of the options of the cross-entropies of logits (a class
// `weight` operand, label_smoothing, z_loss, softcap) on attn.xent_logits,
// attn.xent_logits_backward, attn.linear_xent and attn.linear_xent_backward:
// custom form back to custom form with the inferred result types (default
// attributes left out), and through the generic form.
// RUN: attn-opt %s --split-input-file --mlir-print-op-generic | attn-opt --split-input-file | FileCheck %s

// A class weight alone: its type after the keyword `weight`; a mean (rank 0).
// CHECK-LABEL: func.func @xent_logits_weight(
// CHECK-SAME:    %[[Z:.*]]: tensor<8x16xf32>, %[[T:.*]]: tensor<8xi64>, %[[W:.*]]: tensor<16xf32>)
// CHECK:         %[[L:.*]] = attn.xent_logits %[[Z]], %[[T]] weight %[[W]] : tensor<8x16xf32>, tensor<8xi64> weight tensor<16xf32>
// CHECK:         return %[[L]] : tensor<f32>
func.func @xent_logits_weight(%z: tensor<8x16xf32>, %t: tensor<8xi64>, %w: tensor<16xf32>) -> tensor<f32> {
  %l = attn.xent_logits %z, %t weight %w : tensor<8x16xf32>, tensor<8xi64> weight tensor<16xf32>
  return %l : tensor<f32>
}

// -----

// Each attribute alone, then every option at once (a sum); the defaults
// (label_smoothing = 0, z_loss = 0) written are left out when printed.
// CHECK-LABEL: func.func @xent_logits_attributes(
// CHECK-SAME:    %[[Z:.*]]: tensor<8x16xf32>, %[[T:.*]]: tensor<8xi64>, %[[W:.*]]: tensor<16xf32>)
// CHECK:         attn.xent_logits %[[Z]], %[[T]] label_smoothing = 1.000000e-01 : tensor<8x16xf32>, tensor<8xi64>
// CHECK:         attn.xent_logits %[[Z]], %[[T]] z_loss = 1.000000e-04 : tensor<8x16xf32>, tensor<8xi64>
// CHECK:         attn.xent_logits %[[Z]], %[[T]] softcap = 3.000000e+01 : tensor<8x16xf32>, tensor<8xi64>
// CHECK:         attn.xent_logits %[[Z]], %[[T]] : tensor<8x16xf32>, tensor<8xi64>
// CHECK:         %[[ALL:.*]] = attn.xent_logits %[[Z]], %[[T]] weight %[[W]] reduction = sum label_smoothing = 1.000000e-01 z_loss = 1.000000e-04 softcap = 3.000000e+01 : tensor<8x16xf32>, tensor<8xi64> weight tensor<16xf32>
// CHECK:         return %[[ALL]] : tensor<f32>
func.func @xent_logits_attributes(%z: tensor<8x16xf32>, %t: tensor<8xi64>, %w: tensor<16xf32>) -> tensor<f32> {
  %0 = attn.xent_logits %z, %t label_smoothing = 0.1 : tensor<8x16xf32>, tensor<8xi64>
  %1 = attn.xent_logits %z, %t z_loss = 1.0e-04 : tensor<8x16xf32>, tensor<8xi64>
  %2 = attn.xent_logits %z, %t softcap = 30.0 : tensor<8x16xf32>, tensor<8xi64>
  %3 = attn.xent_logits %z, %t label_smoothing = 0.0 z_loss = 0.0 : tensor<8x16xf32>, tensor<8xi64>
  %l = attn.xent_logits %z, %t weight %w reduction = sum label_smoothing = 0.1 z_loss = 1.0e-04 softcap = 30.0 : tensor<8x16xf32>, tensor<8xi64> weight tensor<16xf32>
  return %l : tensor<f32>
}

// -----

// Per-row losses of a rank-3 input with every option, dynamic sizes, f64,
// i32 targets; label_smoothing 1 is in range.
// CHECK-LABEL: func.func @xent_logits_none_dynamic(
// CHECK-SAME:    %[[Z:.*]]: tensor<2x?x?xf64>, %[[T:.*]]: tensor<2x?xi32>, %[[W:.*]]: tensor<?xf64>)
// CHECK:         %[[L:.*]] = attn.xent_logits %[[Z]], %[[T]] weight %[[W]] ignore_index = 0 reduction = none label_smoothing = 1.000000e+00 z_loss = 1.000000e+00 softcap = 5.000000e-01 : tensor<2x?x?xf64>, tensor<2x?xi32> weight tensor<?xf64>
// CHECK:         return %[[L]] : tensor<2x?xf64>
func.func @xent_logits_none_dynamic(%z: tensor<2x?x?xf64>, %t: tensor<2x?xi32>, %w: tensor<?xf64>) -> tensor<2x?xf64> {
  %l = attn.xent_logits %z, %t weight %w ignore_index = 0 reduction = none label_smoothing = 1.0 z_loss = 1.0 softcap = 0.5 : tensor<2x?x?xf64>, tensor<2x?xi32> weight tensor<?xf64>
  return %l : tensor<2x?xf64>
}

// -----

// The gradient with a weight alone (mean, a rank-0 grad), each attribute
// alone, and everything (none: a per-row grad; f16).
// CHECK-LABEL: func.func @xent_logits_backward_options(
// CHECK-SAME:    %[[G:.*]]: tensor<f32>, %[[Z:.*]]: tensor<8x16xf32>, %[[T:.*]]: tensor<8xi64>, %[[W:.*]]: tensor<16xf32>
// CHECK:         %[[DZ:.*]] = attn.xent_logits_backward %[[G]], %[[Z]], %[[T]] weight %[[W]] : tensor<f32>, tensor<8x16xf32>, tensor<8xi64> weight tensor<16xf32>
// CHECK:         attn.xent_logits_backward %[[G]], %[[Z]], %[[T]] label_smoothing = 2.500000e-01 : tensor<f32>, tensor<8x16xf32>, tensor<8xi64>
// CHECK:         attn.xent_logits_backward %[[G]], %[[Z]], %[[T]] z_loss = 1.000000e-04 : tensor<f32>, tensor<8x16xf32>, tensor<8xi64>
// CHECK:         attn.xent_logits_backward %[[G]], %[[Z]], %[[T]] reduction = sum softcap = 1.500000e+01 : tensor<f32>, tensor<8x16xf32>, tensor<8xi64>
// CHECK:         %[[DH:.*]] = attn.xent_logits_backward %{{.*}}, %{{.*}}, %{{.*}} weight %{{.*}} ignore_index = 3 reduction = none label_smoothing = 1.000000e-01 z_loss = 1.000000e-04 softcap = 3.000000e+01 : tensor<?xf16>, tensor<?x1000xf16>, tensor<?xi32> weight tensor<1000xf16>
// CHECK:         return %[[DZ]], %[[DH]] : tensor<8x16xf32>, tensor<?x1000xf16>
func.func @xent_logits_backward_options(%g: tensor<f32>, %z: tensor<8x16xf32>, %t: tensor<8xi64>, %w: tensor<16xf32>, %gh: tensor<?xf16>, %zh: tensor<?x1000xf16>, %th: tensor<?xi32>, %wh: tensor<1000xf16>) -> (tensor<8x16xf32>, tensor<?x1000xf16>) {
  %dz = attn.xent_logits_backward %g, %z, %t weight %w : tensor<f32>, tensor<8x16xf32>, tensor<8xi64> weight tensor<16xf32>
  %0 = attn.xent_logits_backward %g, %z, %t label_smoothing = 0.25 : tensor<f32>, tensor<8x16xf32>, tensor<8xi64>
  %1 = attn.xent_logits_backward %g, %z, %t z_loss = 1.0e-04 : tensor<f32>, tensor<8x16xf32>, tensor<8xi64>
  %2 = attn.xent_logits_backward %g, %z, %t reduction = sum softcap = 15.0 : tensor<f32>, tensor<8x16xf32>, tensor<8xi64>
  %dh = attn.xent_logits_backward %gh, %zh, %th weight %wh ignore_index = 3 reduction = none label_smoothing = 0.1 z_loss = 1.0e-04 softcap = 30.0 : tensor<?xf16>, tensor<?x1000xf16>, tensor<?xi32> weight tensor<1000xf16>
  return %dz, %dh : tensor<8x16xf32>, tensor<?x1000xf16>
}

// -----

// linear_xent with a bias and a weight (the bias's type after a comma, the
// weight's after `weight`), and with a weight alone.
// CHECK-LABEL: func.func @linear_xent_weight(
// CHECK-SAME:    %[[H:.*]]: tensor<8x4xf32>, %[[C:.*]]: tensor<10x4xf32>, %[[T:.*]]: tensor<8xi64>, %[[B:.*]]: tensor<10xf32>, %[[W:.*]]: tensor<10xf32>)
// CHECK:         %[[L:[a-z0-9_]+]], %[[LSE:[a-z0-9_]+]] = attn.linear_xent %[[H]], %[[C]], %[[T]] bias %[[B]] weight %[[W]] label_smoothing = 1.000000e-01 with_lse : tensor<8x4xf32>, tensor<10x4xf32>, tensor<8xi64>, tensor<10xf32> weight tensor<10xf32>
// CHECK:         %[[L2:.*]] = attn.linear_xent %[[H]], %[[C]], %[[T]] weight %[[W]] reduction = none : tensor<8x4xf32>, tensor<10x4xf32>, tensor<8xi64> weight tensor<10xf32>
// CHECK:         return %[[L]], %[[LSE]], %[[L2]] : tensor<f32>, tensor<8xf32>, tensor<8xf32>
func.func @linear_xent_weight(%h: tensor<8x4xf32>, %c: tensor<10x4xf32>, %t: tensor<8xi64>, %b: tensor<10xf32>, %w: tensor<10xf32>) -> (tensor<f32>, tensor<8xf32>, tensor<8xf32>) {
  %l, %lse = attn.linear_xent %h, %c, %t bias %b weight %w label_smoothing = 0.1 with_lse : tensor<8x4xf32>, tensor<10x4xf32>, tensor<8xi64>, tensor<10xf32> weight tensor<10xf32>
  %l2 = attn.linear_xent %h, %c, %t weight %w reduction = none : tensor<8x4xf32>, tensor<10x4xf32>, tensor<8xi64> weight tensor<10xf32>
  return %l, %lse, %l2 : tensor<f32>, tensor<8xf32>, tensor<8xf32>
}

// -----

// Its gradients with a bias and a weight (three results), and with a weight
// alone (two); dynamic sizes, every attribute.
// CHECK-LABEL: func.func @linear_xent_backward_weight(
// CHECK-SAME:    %[[G:.*]]: tensor<f32>, %[[H:.*]]: tensor<?x4xf32>, %[[C:.*]]: tensor<?x4xf32>, %[[T:.*]]: tensor<?xi32>, %[[LSE:.*]]: tensor<?xf32>, %[[B:.*]]: tensor<?xf32>, %[[W:.*]]: tensor<?xf32>)
// CHECK:         %[[DH:[a-z0-9_]+]], %[[DC:[a-z0-9_]+]], %[[DB:[a-z0-9_]+]] = attn.linear_xent_backward %[[G]], %[[H]], %[[C]], %[[T]], %[[LSE]] bias %[[B]] weight %[[W]] reduction = sum label_smoothing = 5.000000e-02 z_loss = 1.000000e-04 softcap = 3.000000e+01 : tensor<f32>, tensor<?x4xf32>, tensor<?x4xf32>, tensor<?xi32>, tensor<?xf32>, tensor<?xf32> weight tensor<?xf32>
// CHECK:         %[[DH2:[a-z0-9_]+]], %[[DC2:[a-z0-9_]+]] = attn.linear_xent_backward %[[G]], %[[H]], %[[C]], %[[T]], %[[LSE]] weight %[[W]] : tensor<f32>, tensor<?x4xf32>, tensor<?x4xf32>, tensor<?xi32>, tensor<?xf32> weight tensor<?xf32>
// CHECK:         return %[[DH]], %[[DC]], %[[DB]], %[[DH2]], %[[DC2]] :
func.func @linear_xent_backward_weight(%g: tensor<f32>, %h: tensor<?x4xf32>, %c: tensor<?x4xf32>, %t: tensor<?xi32>, %lse: tensor<?xf32>, %b: tensor<?xf32>, %w: tensor<?xf32>) -> (tensor<?x4xf32>, tensor<?x4xf32>, tensor<?xf32>, tensor<?x4xf32>, tensor<?x4xf32>) {
  %dh, %dc, %db = attn.linear_xent_backward %g, %h, %c, %t, %lse bias %b weight %w reduction = sum label_smoothing = 0.05 z_loss = 1.0e-04 softcap = 30.0 : tensor<f32>, tensor<?x4xf32>, tensor<?x4xf32>, tensor<?xi32>, tensor<?xf32>, tensor<?xf32> weight tensor<?xf32>
  %dh2, %dc2 = attn.linear_xent_backward %g, %h, %c, %t, %lse weight %w : tensor<f32>, tensor<?x4xf32>, tensor<?x4xf32>, tensor<?xi32>, tensor<?xf32> weight tensor<?xf32>
  return %dh, %dc, %db, %dh2, %dc2 : tensor<?x4xf32>, tensor<?x4xf32>, tensor<?xf32>, tensor<?x4xf32>, tensor<?x4xf32>
}
