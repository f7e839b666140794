// RUN: attn-opt %s --split-input-file | attn-opt --split-input-file | FileCheck %s
// Round trip of attn.linear_xent and attn.linear_xent_backward: custom form
// back to custom form with the inferred result types (default attributes
// left out), and through the generic form.
// RUN: attn-opt %s --split-input-file --mlir-print-op-generic | attn-opt --split-input-file | FileCheck %s

// The defaults: mean over the kept tokens, a rank-0 loss of hidden's type.
// CHECK-LABEL: func.func @linear_xent(
// CHECK-SAME:    %[[H:.*]]: tensor<8x4xf32>, %[[W:.*]]: tensor<10x4xf32>, %[[T:.*]]: tensor<8xi64>)
// CHECK:         %[[L:.*]] = attn.linear_xent %[[H]], %[[W]], %[[T]] : tensor<8x4xf32>, tensor<10x4xf32>, tensor<8xi64>
// CHECK:         return %[[L]] : tensor<f32>
func.func @linear_xent(%h: tensor<8x4xf32>, %w: tensor<10x4xf32>, %t: tensor<8xi64>) -> tensor<f32> {
  %l = attn.linear_xent %h, %w, %t : tensor<8x4xf32>, tensor<10x4xf32>, tensor<8xi64>
  return %l : tensor<f32>
}

// -----

// Attributes written with their default values are left out when printed.
// CHECK-LABEL: func.func @linear_xent_defaults_elided(
// CHECK:         %[[L:.*]] = attn.linear_xent %{{.*}}, %{{.*}}, %{{.*}} : tensor<8x4xf32>, tensor<10x4xf32>, tensor<8xi32>
// CHECK:         return %[[L]] : tensor<f32>
func.func @linear_xent_defaults_elided(%h: tensor<8x4xf32>, %w: tensor<10x4xf32>, %t: tensor<8xi32>) -> tensor<f32> {
  %l = attn.linear_xent %h, %w, %t ignore_index = -100 reduction = mean label_smoothing = 0.0 z_loss = 0.0 : tensor<8x4xf32>, tensor<10x4xf32>, tensor<8xi32>
  return %l : tensor<f32>
}

// -----

// Every attribute, a bias, the lse, dynamic sizes; f16 operands have an f32
// lse and per-token losses of f16.
// CHECK-LABEL: func.func @linear_xent_all(
// CHECK-SAME:    %[[H:.*]]: tensor<?x?xf16>, %[[W:.*]]: tensor<?x?xf16>, %[[T:.*]]: tensor<?xi32>, %[[B:.*]]: tensor<?xf16>)
// CHECK:         %[[L:[a-z0-9_]+]], %[[LSE:[a-z0-9_]+]] = attn.linear_xent %[[H]], %[[W]], %[[T]] bias %[[B]] ignore_index = -1 reduction = none label_smoothing = 1.000000e-01 z_loss = 1.000000e-04 softcap = 3.000000e+01 with_lse : tensor<?x?xf16>, tensor<?x?xf16>, tensor<?xi32>, tensor<?xf16>
// CHECK:         return %[[L]], %[[LSE]] : tensor<?xf16>, tensor<?xf32>
func.func @linear_xent_all(%h: tensor<?x?xf16>, %w: tensor<?x?xf16>, %t: tensor<?xi32>, %b: tensor<?xf16>) -> (tensor<?xf16>, tensor<?xf32>) {
  %l, %lse = attn.linear_xent %h, %w, %t bias %b ignore_index = -1 reduction = none label_smoothing = 0.1 z_loss = 1.0e-4 softcap = 30.0 with_lse : tensor<?x?xf16>, tensor<?x?xf16>, tensor<?xi32>, tensor<?xf16>
  return %l, %lse : tensor<?xf16>, tensor<?xf32>
}

// -----

// f64: an f64 lse; a sum; the attributes one at a time.
// CHECK-LABEL: func.func @linear_xent_f64_sum(
// CHECK-SAME:    %[[H:.*]]: tensor<?x64xf64>, %[[W:.*]]: tensor<1000x64xf64>, %[[T:.*]]: tensor<?xi64>)
// CHECK:         %[[L:[a-z0-9_]+]], %[[LSE:[a-z0-9_]+]] = attn.linear_xent %[[H]], %[[W]], %[[T]] reduction = sum with_lse : tensor<?x64xf64>, tensor<1000x64xf64>, tensor<?xi64>
// CHECK:         attn.linear_xent %[[H]], %[[W]], %[[T]] ignore_index = 7 : tensor<?x64xf64>
// CHECK:         attn.linear_xent %[[H]], %[[W]], %[[T]] label_smoothing = 2.500000e-01 : tensor<?x64xf64>
// CHECK:         attn.linear_xent %[[H]], %[[W]], %[[T]] z_loss = 1.000000e+00 : tensor<?x64xf64>
// CHECK:         attn.linear_xent %[[H]], %[[W]], %[[T]] softcap = 1.500000e+01 : tensor<?x64xf64>
// CHECK:         return %[[L]], %[[LSE]] : tensor<f64>, tensor<?xf64>
func.func @linear_xent_f64_sum(%h: tensor<?x64xf64>, %w: tensor<1000x64xf64>, %t: tensor<?xi64>) -> (tensor<f64>, tensor<?xf64>) {
  %l, %lse = attn.linear_xent %h, %w, %t reduction = sum with_lse : tensor<?x64xf64>, tensor<1000x64xf64>, tensor<?xi64>
  %0 = attn.linear_xent %h, %w, %t ignore_index = 7 : tensor<?x64xf64>, tensor<1000x64xf64>, tensor<?xi64>
  %1 = attn.linear_xent %h, %w, %t label_smoothing = 0.25 : tensor<?x64xf64>, tensor<1000x64xf64>, tensor<?xi64>
  %2 = attn.linear_xent %h, %w, %t z_loss = 1.0 : tensor<?x64xf64>, tensor<1000x64xf64>, tensor<?xi64>
  %3 = attn.linear_xent %h, %w, %t softcap = 15.0 : tensor<?x64xf64>, tensor<1000x64xf64>, tensor<?xi64>
  return %l, %lse : tensor<f64>, tensor<?xf64>
}

// -----

// bf16, per-token losses without the lse; label_smoothing 1 and an
// ignore_index of the i32 extremes are in range.
// CHECK-LABEL: func.func @linear_xent_bf16(
// CHECK:         %[[L:.*]] = attn.linear_xent %{{.*}}, %{{.*}}, %{{.*}} bias %{{.*}} ignore_index = 2147483647 reduction = none label_smoothing = 1.000000e+00 : tensor<16x8xbf16>, tensor<32x8xbf16>, tensor<16xi32>, tensor<32xbf16>
// CHECK:         attn.linear_xent %{{.*}}, %{{.*}}, %{{.*}} ignore_index = -2147483648 : tensor<16x8xbf16>
// CHECK:         return %[[L]] : tensor<16xbf16>
func.func @linear_xent_bf16(%h: tensor<16x8xbf16>, %w: tensor<32x8xbf16>, %t: tensor<16xi32>, %b: tensor<32xbf16>) -> tensor<16xbf16> {
  %l = attn.linear_xent %h, %w, %t bias %b ignore_index = 2147483647 reduction = none label_smoothing = 1.0 : tensor<16x8xbf16>, tensor<32x8xbf16>, tensor<16xi32>, tensor<32xbf16>
  %0 = attn.linear_xent %h, %w, %t ignore_index = -2147483648 : tensor<16x8xbf16>, tensor<32x8xbf16>, tensor<16xi32>
  return %l : tensor<16xbf16>
}

// -----

// The gradients of hidden and classifier, from a rank-0 grad (mean).
// CHECK-LABEL: func.func @linear_xent_backward(
// CHECK-SAME:    %[[G:.*]]: tensor<f32>, %[[H:.*]]: tensor<8x4xf32>, %[[W:.*]]: tensor<10x4xf32>, %[[T:.*]]: tensor<8xi64>, %[[LSE:.*]]: tensor<8xf32>)
// CHECK:         %[[DH:[a-z0-9_]+]], %[[DW:[a-z0-9_]+]] = attn.linear_xent_backward %[[G]], %[[H]], %[[W]], %[[T]], %[[LSE]] : tensor<f32>, tensor<8x4xf32>, tensor<10x4xf32>, tensor<8xi64>, tensor<8xf32>
// CHECK:         return %[[DH]], %[[DW]] : tensor<8x4xf32>, tensor<10x4xf32>
func.func @linear_xent_backward(%g: tensor<f32>, %h: tensor<8x4xf32>, %w: tensor<10x4xf32>, %t: tensor<8xi64>, %lse: tensor<8xf32>) -> (tensor<8x4xf32>, tensor<10x4xf32>) {
  %dh, %dw = attn.linear_xent_backward %g, %h, %w, %t, %lse : tensor<f32>, tensor<8x4xf32>, tensor<10x4xf32>, tensor<8xi64>, tensor<8xf32>
  return %dh, %dw : tensor<8x4xf32>, tensor<10x4xf32>
}

// -----

// Every attribute, a bias (a third gradient), a per-token grad (none),
// dynamic sizes; f16 with an f32 lse.
// CHECK-LABEL: func.func @linear_xent_backward_all(
// CHECK-SAME:    %[[G:.*]]: tensor<?xf16>, %[[H:.*]]: tensor<?x?xf16>, %[[W:.*]]: tensor<?x?xf16>, %[[T:.*]]: tensor<?xi32>, %[[LSE:.*]]: tensor<?xf32>, %[[B:.*]]: tensor<?xf16>)
// CHECK:         %[[DH:[a-z0-9_]+]], %[[DW:[a-z0-9_]+]], %[[DB:[a-z0-9_]+]] = attn.linear_xent_backward %[[G]], %[[H]], %[[W]], %[[T]], %[[LSE]] bias %[[B]] ignore_index = 0 reduction = none label_smoothing = 5.000000e-02 z_loss = 1.000000e-04 softcap = 3.000000e+01 : tensor<?xf16>, tensor<?x?xf16>, tensor<?x?xf16>, tensor<?xi32>, tensor<?xf32>, tensor<?xf16>
// CHECK:         return %[[DH]], %[[DW]], %[[DB]] : tensor<?x?xf16>, tensor<?x?xf16>, tensor<?xf16>
func.func @linear_xent_backward_all(%g: tensor<?xf16>, %h: tensor<?x?xf16>, %w: tensor<?x?xf16>, %t: tensor<?xi32>, %lse: tensor<?xf32>, %b: tensor<?xf16>) -> (tensor<?x?xf16>, tensor<?x?xf16>, tensor<?xf16>) {
  %dh, %dw, %db = attn.linear_xent_backward %g, %h, %w, %t, %lse bias %b ignore_index = 0 reduction = none label_smoothing = 0.05 z_loss = 1.0e-4 softcap = 30.0 : tensor<?xf16>, tensor<?x?xf16>, tensor<?x?xf16>, tensor<?xi32>, tensor<?xf32>, tensor<?xf16>
  return %dh, %dw, %db : tensor<?x?xf16>, tensor<?x?xf16>, tensor<?xf16>
}

// -----

// A sum in f64 (an f64 lse), with a bias; static classes, dynamic tokens.
// CHECK-LABEL: func.func @linear_xent_backward_f64_sum(
// CHECK:         %[[DH:[a-z0-9_]+]], %[[DW:[a-z0-9_]+]], %[[DB:[a-z0-9_]+]] = attn.linear_xent_backward %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}} bias %{{.*}} reduction = sum : tensor<f64>, tensor<?x32xf64>, tensor<100x32xf64>, tensor<?xi64>, tensor<?xf64>, tensor<100xf64>
// CHECK:         return %[[DH]], %[[DW]], %[[DB]] : tensor<?x32xf64>, tensor<100x32xf64>, tensor<100xf64>
func.func @linear_xent_backward_f64_sum(%g: tensor<f64>, %h: tensor<?x32xf64>, %w: tensor<100x32xf64>, %t: tensor<?xi64>, %lse: tensor<?xf64>, %b: tensor<100xf64>) -> (tensor<?x32xf64>, tensor<100x32xf64>, tensor<100xf64>) {
  %dh, %dw, %db = attn.linear_xent_backward %g, %h, %w, %t, %lse bias %b reduction = sum : tensor<f64>, tensor<?x32xf64>, tensor<100x32xf64>, tensor<?xi64>, tensor<?xf64>, tensor<100xf64>
  return %dh, %dw, %db : tensor<?x32xf64>, tensor<100x32xf64>, tensor<100xf64>
}
