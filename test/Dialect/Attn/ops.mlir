// RUN: attn-opt %s --split-input-file | FileCheck %s
// Round trip: custom form prints back as custom form with inferred results;
// then print in generic form and parse that again.
// RUN: attn-opt %s --split-input-file --mlir-print-op-generic | attn-opt --split-input-file | FileCheck %s

// CHECK-LABEL: func.func @masked_max_broadcast(
// CHECK-SAME:    %[[S:.*]]: tensor<4x512x512xf32>, %[[M:.*]]: tensor<512x512xf32>)
// CHECK:         %[[R:.*]] = attn.masked_max %[[S]], %[[M]] : tensor<4x512x512xf32>, tensor<512x512xf32>
// CHECK:         return %[[R]] : tensor<4x512xf32>
func.func @masked_max_broadcast(%s: tensor<4x512x512xf32>, %m: tensor<512x512xf32>) -> tensor<4x512xf32> {
  %r = attn.masked_max %s, %m : tensor<4x512x512xf32>, tensor<512x512xf32>
  return %r : tensor<4x512xf32>
}

// -----

// CHECK-LABEL: func.func @masked_max_full_mask(
// CHECK:         attn.masked_max %{{.*}}, %{{.*}} : tensor<2x3x8x16xf16>, tensor<2x3x8x16xf16>
// CHECK:         return %{{.*}} : tensor<2x3x8xf16>
func.func @masked_max_full_mask(%s: tensor<2x3x8x16xf16>, %m: tensor<2x3x8x16xf16>) -> tensor<2x3x8xf16> {
  %r = attn.masked_max %s, %m : tensor<2x3x8x16xf16>, tensor<2x3x8x16xf16>
  return %r : tensor<2x3x8xf16>
}

// -----

// A rank-1 row reduces to a rank-0 result.
// CHECK-LABEL: func.func @masked_max_rank1(
// CHECK:         attn.masked_max %{{.*}}, %{{.*}} : tensor<16xbf16>, tensor<16xbf16>
// CHECK:         return %{{.*}} : tensor<bf16>
func.func @masked_max_rank1(%s: tensor<16xbf16>, %m: tensor<16xbf16>) -> tensor<bf16> {
  %r = attn.masked_max %s, %m : tensor<16xbf16>, tensor<16xbf16>
  return %r : tensor<bf16>
}

// -----

// CHECK-LABEL: func.func @masked_max_dynamic(
// CHECK:         attn.masked_max %{{.*}}, %{{.*}} : tensor<?x?x?xf64>, tensor<?x512xf64>
// CHECK:         return %{{.*}} : tensor<?x?xf64>
func.func @masked_max_dynamic(%s: tensor<?x?x?xf64>, %m: tensor<?x512xf64>) -> tensor<?x?xf64> {
  %r = attn.masked_max %s, %m : tensor<?x?x?xf64>, tensor<?x512xf64>
  return %r : tensor<?x?xf64>
}

// -----

// CHECK-LABEL: func.func @sum_sq(
// CHECK-SAME:    %[[X:.*]]: tensor<4x1024xf32>)
// CHECK:         %[[R:.*]] = attn.sum_sq %[[X]] : tensor<4x1024xf32>
// CHECK:         return %[[R]] : tensor<4xf32>
func.func @sum_sq(%x: tensor<4x1024xf32>) -> tensor<4xf32> {
  %r = attn.sum_sq %x : tensor<4x1024xf32>
  return %r : tensor<4xf32>
}

// -----

// CHECK-LABEL: func.func @sum_sq_rank1_dynamic(
// CHECK:         attn.sum_sq %{{.*}} : tensor<?xf32>
// CHECK:         return %{{.*}} : tensor<f32>
func.func @sum_sq_rank1_dynamic(%x: tensor<?xf32>) -> tensor<f32> {
  %r = attn.sum_sq %x : tensor<?xf32>
  return %r : tensor<f32>
}

// -----

// CHECK-LABEL: func.func @xent(
// CHECK-SAME:    %[[P:.*]]: tensor<8x1000xf32>, %[[Q:.*]]: tensor<8x1000xf32>)
// CHECK:         %[[R:.*]] = attn.xent %[[P]], %[[Q]] : tensor<8x1000xf32>, tensor<8x1000xf32>
// CHECK:         return %[[R]] : tensor<8xf32>
func.func @xent(%p: tensor<8x1000xf32>, %q: tensor<8x1000xf32>) -> tensor<8xf32> {
  %r = attn.xent %p, %q : tensor<8x1000xf32>, tensor<8x1000xf32>
  return %r : tensor<8xf32>
}

// -----

// Static and dynamic sizes may meet; the result takes p's sizes.
// CHECK-LABEL: func.func @xent_mixed(
// CHECK:         attn.xent %{{.*}}, %{{.*}} : tensor<?x1000xf32>, tensor<8x?xf32>
// CHECK:         return %{{.*}} : tensor<?xf32>
func.func @xent_mixed(%p: tensor<?x1000xf32>, %q: tensor<8x?xf32>) -> tensor<?xf32> {
  %r = attn.xent %p, %q : tensor<?x1000xf32>, tensor<8x?xf32>
  return %r : tensor<?xf32>
}

// -----

// The generic form with no attributes parses and prints in custom form.
// CHECK-LABEL: func.func @generic_form(
// CHECK:         attn.masked_max %{{.*}}, %{{.*}} : tensor<4x8x16xf32>, tensor<8x16xf32>
// CHECK:         attn.sum_sq %{{.*}} : tensor<4x1024xf32>
// CHECK:         attn.xent %{{.*}}, %{{.*}} : tensor<1024xf32>, tensor<1024xf32>
func.func @generic_form(%s: tensor<4x8x16xf32>, %m: tensor<8x16xf32>,
                        %x: tensor<4x1024xf32>, %p: tensor<1024xf32>)
    -> (tensor<4x8xf32>, tensor<4xf32>, tensor<f32>) {
  %0 = "attn.masked_max"(%s, %m) : (tensor<4x8x16xf32>, tensor<8x16xf32>) -> tensor<4x8xf32>
  %1 = "attn.sum_sq"(%x) : (tensor<4x1024xf32>) -> tensor<4xf32>
  %2 = "attn.xent"(%p, %p) : (tensor<1024xf32>, tensor<1024xf32>) -> tensor<f32>
  return %0, %1, %2 : tensor<4x8xf32>, tensor<4xf32>, tensor<f32>
}

// -----

// CHECK-LABEL: func.func @softmax_family(
// CHECK-SAME:    %[[X:[a-zA-Z0-9_]+]]: tensor<2x8x16xf32>, %[[M:[a-zA-Z0-9_]+]]: tensor<8x16xf32>, %[[T:[a-zA-Z0-9_]+]]: tensor<2x8xi64>)
// CHECK:         attn.softmax %[[X]] : tensor<2x8x16xf32>
// CHECK:         attn.softmax %[[X]] mask %[[M]] causal masked_rows = nan : tensor<2x8x16xf32>, tensor<8x16xf32>
// CHECK:         attn.softmax %[[X]] causal : tensor<2x8x16xf32>
// CHECK:         attn.logsumexp %[[X]] mask %[[M]] : tensor<2x8x16xf32>, tensor<8x16xf32>
// CHECK:         attn.log_softmax %[[X]] causal : tensor<2x8x16xf32>
// CHECK:         attn.xent_logits %[[X]], %[[T]] : tensor<2x8x16xf32>, tensor<2x8xi64>
// CHECK:         attn.xent_logits %[[X]], %[[T]] ignore_index = 0 reduction = none : tensor<2x8x16xf32>, tensor<2x8xi64>
// CHECK:         attn.xent_logits %[[X]], %[[T]] reduction = sum : tensor<2x8x16xf32>, tensor<2x8xi64>
func.func @softmax_family(%x: tensor<2x8x16xf32>, %m: tensor<8x16xf32>, %t: tensor<2x8xi64>)
    -> (tensor<2x8x16xf32>, tensor<2x8x16xf32>, tensor<2x8x16xf32>, tensor<2x8xf32>,
        tensor<2x8x16xf32>, tensor<f32>, tensor<2x8xf32>, tensor<f32>) {
  %0 = attn.softmax %x : tensor<2x8x16xf32>
  %1 = attn.softmax %x mask %m causal masked_rows = nan : tensor<2x8x16xf32>, tensor<8x16xf32>
  // The default masked_rows is not printed.
  %2 = attn.softmax %x causal masked_rows = zero : tensor<2x8x16xf32>
  %3 = attn.logsumexp %x mask %m : tensor<2x8x16xf32>, tensor<8x16xf32>
  %4 = attn.log_softmax %x causal : tensor<2x8x16xf32>
  %5 = attn.xent_logits %x, %t : tensor<2x8x16xf32>, tensor<2x8xi64>
  %6 = attn.xent_logits %x, %t ignore_index = 0 reduction = none : tensor<2x8x16xf32>, tensor<2x8xi64>
  %7 = attn.xent_logits %x, %t reduction = sum : tensor<2x8x16xf32>, tensor<2x8xi64>
  return %0, %1, %2, %3, %4, %5, %6, %7 : tensor<2x8x16xf32>, tensor<2x8x16xf32>, tensor<2x8x16xf32>, tensor<2x8xf32>,
      tensor<2x8x16xf32>, tensor<f32>, tensor<2x8xf32>, tensor<f32>
}

// -----

// An explicit causal diagonal, on the softmax family and on attention.
// CHECK-LABEL: func.func @causal_diagonal(
// CHECK-SAME:    %[[X:[a-zA-Z0-9_]+]]: tensor<8x16xf32>, %[[M:[a-zA-Z0-9_]+]]: tensor<8x16xf32>, %[[D:[a-zA-Z0-9_]+]]: index
// CHECK:         attn.softmax %[[X]] mask %[[M]] causal diagonal %[[D]] masked_rows = nan : tensor<8x16xf32>, tensor<8x16xf32>
// CHECK:         attn.logsumexp %[[X]] causal diagonal %[[D]] : tensor<8x16xf32>
// CHECK:         attn.log_softmax %[[X]] causal diagonal %[[D]] : tensor<8x16xf32>
// CHECK:         attn.attention %[[X]], %[[X]], %[[X]] causal diagonal %[[D]] : tensor<8x16xf32>, tensor<8x16xf32>, tensor<8x16xf32>
func.func @causal_diagonal(%x: tensor<8x16xf32>, %m: tensor<8x16xf32>, %d: index)
    -> (tensor<8x16xf32>, tensor<8xf32>, tensor<8x16xf32>, tensor<8x16xf32>) {
  %0 = attn.softmax %x mask %m causal diagonal %d masked_rows = nan : tensor<8x16xf32>, tensor<8x16xf32>
  %1 = attn.logsumexp %x causal diagonal %d : tensor<8x16xf32>
  %2 = attn.log_softmax %x causal diagonal %d : tensor<8x16xf32>
  %3 = attn.attention %x, %x, %x causal diagonal %d : tensor<8x16xf32>, tensor<8x16xf32>, tensor<8x16xf32>
  return %0, %1, %2, %3 : tensor<8x16xf32>, tensor<8xf32>, tensor<8x16xf32>, tensor<8x16xf32>
}

// -----

// Generic form with no attributes: every attribute takes its default.
// CHECK-LABEL: func.func @softmax_family_generic(
// CHECK:         attn.softmax %{{.*}} : tensor<4x8xf32>
// CHECK:         attn.logsumexp %{{.*}} : tensor<4x8xf32>
// CHECK:         attn.log_softmax %{{.*}} : tensor<4x8xf32>
// CHECK:         attn.xent_logits %{{.*}}, %{{.*}} : tensor<4x8xf32>, tensor<4xi32>
// CHECK:         attn.logsumexp %{{.*}} : tensor<?xf64>
func.func @softmax_family_generic(%x: tensor<4x8xf32>, %t: tensor<4xi32>, %y: tensor<?xf64>)
    -> (tensor<4x8xf32>, tensor<4xf32>, tensor<4x8xf32>, tensor<f32>, tensor<f64>) {
  %0 = "attn.softmax"(%x) <{operandSegmentSizes = array<i32: 1, 0, 0>}> : (tensor<4x8xf32>) -> tensor<4x8xf32>
  %1 = "attn.logsumexp"(%x) <{operandSegmentSizes = array<i32: 1, 0, 0>}> : (tensor<4x8xf32>) -> tensor<4xf32>
  %2 = "attn.log_softmax"(%x) <{operandSegmentSizes = array<i32: 1, 0, 0>}> : (tensor<4x8xf32>) -> tensor<4x8xf32>
  %3 = "attn.xent_logits"(%x, %t) : (tensor<4x8xf32>, tensor<4xi32>) -> tensor<f32>
  %4 = "attn.logsumexp"(%y) <{operandSegmentSizes = array<i32: 1, 0, 0>}> : (tensor<?xf64>) -> tensor<f64>
  return %0, %1, %2, %3, %4 : tensor<4x8xf32>, tensor<4xf32>, tensor<4x8xf32>, tensor<f32>, tensor<f64>
}

// -----

// CHECK-LABEL: func.func @attention(
// CHECK:         attn.attention %{{.*}}, %{{.*}}, %{{.*}} : tensor<2x8x128x64xf32>, tensor<2x2x256x64xf32>, tensor<2x2x256x32xf32>
// CHECK:         attn.attention %{{.*}}, %{{.*}}, %{{.*}} mask %{{.*}} scale = 1.250000e-01 causal masked_rows = nan : tensor<2x8x128x64xf32>, tensor<2x2x256x64xf32>, tensor<2x2x256x32xf32>, tensor<2x1x128x256xf32>
// CHECK:         attn.attention %{{.*}}, %{{.*}}, %{{.*}} causal : tensor<8x?x64xbf16>, tensor<8x?x64xbf16>, tensor<8x?x64xbf16>
// CHECK:         attn.attention %{{.*}}, %{{.*}}, %{{.*}} mask %{{.*}} : tensor<16x64xf32>, tensor<32x64xf32>, tensor<32x64xf32>, tensor<32xf32>
// CHECK:         attn.attention %{{.*}}, %{{.*}}, %{{.*}} : tensor<16x64xf32>, tensor<32x64xf32>, tensor<32x64xf32>
func.func @attention(%q: tensor<2x8x128x64xf32>, %k: tensor<2x2x256x64xf32>, %v: tensor<2x2x256x32xf32>,
                     %m: tensor<2x1x128x256xf32>, %x: tensor<8x?x64xbf16>,
                     %q2: tensor<16x64xf32>, %k2: tensor<32x64xf32>, %m2: tensor<32xf32>)
    -> (tensor<2x8x128x32xf32>, tensor<2x8x128x32xf32>, tensor<8x?x64xbf16>, tensor<16x64xf32>, tensor<16x64xf32>) {
  %0 = attn.attention %q, %k, %v : tensor<2x8x128x64xf32>, tensor<2x2x256x64xf32>, tensor<2x2x256x32xf32>
  %1 = attn.attention %q, %k, %v mask %m scale = 0.125 causal masked_rows = nan
      : tensor<2x8x128x64xf32>, tensor<2x2x256x64xf32>, tensor<2x2x256x32xf32>, tensor<2x1x128x256xf32>
  %2 = attn.attention %x, %x, %x causal : tensor<8x?x64xbf16>, tensor<8x?x64xbf16>, tensor<8x?x64xbf16>
  %3 = attn.attention %q2, %k2, %k2 mask %m2 : tensor<16x64xf32>, tensor<32x64xf32>, tensor<32x64xf32>, tensor<32xf32>
  %4 = "attn.attention"(%q2, %k2, %k2) <{operandSegmentSizes = array<i32: 1, 1, 1, 0, 0, 0, 0, 0>}> ({}, {}) : (tensor<16x64xf32>, tensor<32x64xf32>, tensor<32x64xf32>) -> tensor<16x64xf32>
  return %0, %1, %2, %3, %4 : tensor<2x8x128x32xf32>, tensor<2x8x128x32xf32>, tensor<8x?x64xbf16>, tensor<16x64xf32>, tensor<16x64xf32>
}

// -----

// CHECK-LABEL: func.func @online_attention(
// CHECK:         %{{.*}}, %{{.*}}, %{{.*}} = attn.online_attention %{{.*}}, %{{.*}}, %{{.*}} into %{{.*}}, %{{.*}}, %{{.*}} : tensor<8x64x32xf32>, tensor<2x16x32xf32>, tensor<2x16x8xf32> -> tensor<8x64x8xf32>, tensor<8x64xf32>, tensor<8x64xf32>
// CHECK:         attn.online_attention %{{.*}}, %{{.*}}, %{{.*}} mask %{{.*}} scale = 5.000000e-01 causal diagonal %{{.*}} into %{{.*}}, %{{.*}}, %{{.*}} : tensor<?x4xf64>, tensor<?x4xf64>, tensor<?x2xf64>, tensor<?x?xf64> -> tensor<?x2xf64>, tensor<?xf64>, tensor<?xf64>
// CHECK:         attn.online_attention %{{.*}}, %{{.*}}, %{{.*}} into
func.func @online_attention(%q: tensor<8x64x32xf32>, %k: tensor<2x16x32xf32>, %v: tensor<2x16x8xf32>,
                            %acc: tensor<8x64x8xf32>, %max: tensor<8x64xf32>, %sum: tensor<8x64xf32>,
                            %x: tensor<?x4xf64>, %y: tensor<?x2xf64>, %m: tensor<?x?xf64>,
                            %a2: tensor<?x2xf64>, %l2: tensor<?xf64>, %d: index) {
  %0:3 = attn.online_attention %q, %k, %v into %acc, %max, %sum
      : tensor<8x64x32xf32>, tensor<2x16x32xf32>, tensor<2x16x8xf32> -> tensor<8x64x8xf32>, tensor<8x64xf32>, tensor<8x64xf32>
  %1:3 = attn.online_attention %x, %x, %y mask %m scale = 0.5 causal diagonal %d into %a2, %l2, %l2
      : tensor<?x4xf64>, tensor<?x4xf64>, tensor<?x2xf64>, tensor<?x?xf64> -> tensor<?x2xf64>, tensor<?xf64>, tensor<?xf64>
  %2:3 = "attn.online_attention"(%q, %k, %v, %acc, %max, %sum) <{operandSegmentSizes = array<i32: 1, 1, 1, 0, 0, 0, 0, 0, 1, 1, 1>}> ({}, {})
      : (tensor<8x64x32xf32>, tensor<2x16x32xf32>, tensor<2x16x8xf32>, tensor<8x64x8xf32>, tensor<8x64xf32>, tensor<8x64xf32>) -> (tensor<8x64x8xf32>, tensor<8x64xf32>, tensor<8x64xf32>)
  return
}

// -----

// bf16 operands with an f32 state (and an f32 mask: the scores' type).
// CHECK-LABEL: func.func @online_attention_mixed
// CHECK:         attn.online_attention %{{.*}}, %{{.*}}, %{{.*}} mask %{{.*}} into %{{.*}}, %{{.*}}, %{{.*}} : tensor<64x32xbf16>, tensor<16x32xbf16>, tensor<16x8xbf16>, tensor<64x16xf32> -> tensor<64x8xf32>, tensor<64xf32>, tensor<64xf32>
func.func @online_attention_mixed(%q: tensor<64x32xbf16>, %k: tensor<16x32xbf16>, %v: tensor<16x8xbf16>, %mask: tensor<64x16xf32>,
                                  %acc: tensor<64x8xf32>, %max: tensor<64xf32>, %sum: tensor<64xf32>) {
  %0:3 = attn.online_attention %q, %k, %v mask %mask into %acc, %max, %sum
      : tensor<64x32xbf16>, tensor<16x32xbf16>, tensor<16x8xbf16>, tensor<64x16xf32> -> tensor<64x8xf32>, tensor<64xf32>, tensor<64xf32>
  return
}
