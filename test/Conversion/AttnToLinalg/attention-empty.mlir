// RUN: attn-opt %s --convert-attn-to-linalg --canonicalize --cse --split-input-file | FileCheck %s
// RUN: attn-opt %s --convert-attn-to-linalg=attention=decomposed --canonicalize --cse --split-input-file | FileCheck %s --check-prefix=DECOMP

// Attention with a size 0. No query head (or batch, query row, value
// feature): an empty result, nothing computed, no head group divided by.
// CHECK-LABEL: func.func @no_query_heads(
// CHECK-NEXT:    %[[E:.*]] = tensor.empty() : tensor<0x8x4xf32>
// CHECK-NEXT:    return %[[E]]
func.func @no_query_heads(%q: tensor<0x8x16xf32>, %k: tensor<2x5x16xf32>, %v: tensor<2x5x4xf32>) -> tensor<0x8x4xf32> {
  %r = attn.attention %q, %k, %v : tensor<0x8x16xf32>, tensor<2x5x16xf32>, tensor<2x5x4xf32>
  return %r : tensor<0x8x4xf32>
}

// -----

// The result keeps the queries' dynamic rows.
// CHECK-LABEL: func.func @no_value_features(
// CHECK-SAME:    %[[Q:[a-zA-Z0-9_]+]]: tensor<?x16xf32>
// CHECK:         %[[M:.*]] = tensor.dim %[[Q]], %{{.*}} : tensor<?x16xf32>
// CHECK-NEXT:    %[[E:.*]] = tensor.empty(%[[M]]) : tensor<?x0xf32>
// CHECK-NEXT:    return %[[E]]
func.func @no_value_features(%q: tensor<?x16xf32>, %k: tensor<5x16xf32>, %v: tensor<5x0xf32>) -> tensor<?x0xf32> {
  %r = attn.attention %q, %k, %v : tensor<?x16xf32>, tensor<5x16xf32>, tensor<5x0xf32>
  return %r : tensor<?x0xf32>
}

// -----

// D = 0: no flash blocks (nothing to slice); the scores are the empty dot
// products, 0, left unscaled (the default scale is 1, not 1 / sqrt(0)).
// CHECK-LABEL: func.func @no_features(
// CHECK-NOT:     scf.for
// CHECK-NOT:     arith.constant 0x7F800000
// CHECK:         %[[S:.*]] = linalg.generic {{.*}} ins(%{{.*}}, %{{.*}} : tensor<1x1x8x0xf32>, tensor<1x1x5x0xf32>) outs(%{{.*}} : tensor<1x1x8x5xf32>)
// CHECK-NOT:     scf.for
// CHECK:         linalg.reduce ins(%[[S]] : tensor<1x1x8x5xf32>)
func.func @no_features(%q: tensor<8x0xf32>, %k: tensor<5x0xf32>, %v: tensor<5x4xf32>) -> tensor<8x4xf32> {
  %r = attn.attention %q, %k, %v : tensor<8x0xf32>, tensor<5x0xf32>, tensor<5x4xf32>
  return %r : tensor<8x4xf32>
}

// -----

// Decomposed, masked_rows = nan: the product with the values starts from
// NaN when there is no key (it sums nothing then), from 0 otherwise.
// DECOMP-LABEL: func.func @keys_nan_rows(
// DECOMP-SAME:    %{{.*}}: tensor<8x16xf32>, %[[K:[a-zA-Z0-9_]+]]: tensor<?x16xf32>
// DECOMP-DAG:     %[[NAN:.*]] = arith.constant 0x7FC00000 : f32
// DECOMP-DAG:     %[[ZERO:.*]] = arith.constant 0.000000e+00 : f32
// DECOMP-DAG:     %[[C0:.*]] = arith.constant 0 : index
// DECOMP-DAG:     %[[C2:.*]] = arith.constant 2 : index
// DECOMP:         %[[K4:.*]] = tensor.expand_shape %[[K]]
// DECOMP:         %[[N:.*]] = tensor.dim %[[K4]], %[[C2]] : tensor<1x1x?x16xf32>
// DECOMP:         %[[NOKEY:.*]] = arith.cmpi eq, %[[N]], %[[C0]] : index
// DECOMP-NEXT:    %[[INIT:.*]] = arith.select %[[NOKEY]], %[[NAN]], %[[ZERO]] : f32
// DECOMP:         %[[FILL:.*]] = linalg.fill ins(%[[INIT]] : f32) outs(%{{.*}} : tensor<1x1x8x4xf32>)
// DECOMP:         linalg.generic {{.*}} iterator_types = ["parallel", "parallel", "parallel", "parallel", "reduction"]} ins(%{{.*}}, %{{.*}} : tensor<1x1x8x?xf32>, tensor<1x1x?x4xf32>) outs(%[[FILL]] : tensor<1x1x8x4xf32>)
func.func @keys_nan_rows(%q: tensor<8x16xf32>, %k: tensor<?x16xf32>, %v: tensor<?x4xf32>) -> tensor<8x4xf32> {
  %r = attn.attention %q, %k, %v masked_rows = nan : tensor<8x16xf32>, tensor<?x16xf32>, tensor<?x4xf32>
  return %r : tensor<8x4xf32>
}

// -----

// A size 0 in any operand counts, the others agreeing at run time: no key
// in the mask (and in k, v) leaves every row without a key, filled with 0
// (NaN with masked_rows = nan).
// CHECK-LABEL: func.func @no_keys_masked(
// CHECK:         %[[ZERO:.*]] = arith.constant 0.000000e+00 : f32
// CHECK:         %[[E:.*]] = tensor.empty() : tensor<8x4xf32>
// CHECK:         %[[R:.*]] = linalg.fill ins(%[[ZERO]] : f32) outs(%[[E]] : tensor<8x4xf32>)
// CHECK-NEXT:    return %[[R]]
func.func @no_keys_masked(%q: tensor<8x16xf32>, %k: tensor<0x16xf32>, %v: tensor<0x4xf32>, %m: tensor<8x0xf32>) -> tensor<8x4xf32> {
  %r = attn.attention %q, %k, %v mask %m : tensor<8x16xf32>, tensor<0x16xf32>, tensor<0x4xf32>, tensor<8x0xf32>
  return %r : tensor<8x4xf32>
}

// -----

// CHECK-LABEL: func.func @no_keys_dynamic_values(
// CHECK:         %[[NAN:.*]] = arith.constant 0x7FC00000 : f32
// CHECK:         linalg.fill ins(%[[NAN]] : f32) outs(%{{.*}} : tensor<8x4xf32>)
func.func @no_keys_dynamic_values(%q: tensor<8x16xf32>, %k: tensor<0x16xf32>, %v: tensor<?x4xf32>) -> tensor<8x4xf32> {
  %r = attn.attention %q, %k, %v masked_rows = nan : tensor<8x16xf32>, tensor<0x16xf32>, tensor<?x4xf32>
  return %r : tensor<8x4xf32>
}

// -----

// No batch in the keys and values: an empty result of the queries' dynamic
// batch (0 at run time).
// CHECK-LABEL: func.func @no_batch_in_keys(
// CHECK-SAME:    %[[Q:[a-zA-Z0-9_]+]]: tensor<?x2x8x16xf32>
// CHECK:         %[[B:.*]] = tensor.dim %[[Q]], %{{.*}} : tensor<?x2x8x16xf32>
// CHECK-NEXT:    %[[E:.*]] = tensor.empty(%[[B]]) : tensor<?x2x8x4xf32>
// CHECK-NEXT:    return %[[E]]
func.func @no_batch_in_keys(%q: tensor<?x2x8x16xf32>, %k: tensor<0x2x5x16xf32>, %v: tensor<0x2x5x4xf32>) -> tensor<?x2x8x4xf32> {
  %r = attn.attention %q, %k, %v : tensor<?x2x8x16xf32>, tensor<0x2x5x16xf32>, tensor<0x2x5x4xf32>
  return %r : tensor<?x2x8x4xf32>
}

// -----

// D = 0 known from the keys alone: still no flash blocks.
// CHECK-LABEL: func.func @no_features_in_keys(
// CHECK-NOT:     scf.for
// CHECK:         linalg.generic {{.*}} ins(%{{.*}}, %{{.*}} : tensor<1x1x8x{{[?0]}}xf32>, tensor<1x1x5x0xf32>) outs(%{{.*}} : tensor<1x1x8x5xf32>)
// CHECK-NOT:     scf.for
func.func @no_features_in_keys(%q: tensor<8x?xf32>, %k: tensor<5x0xf32>, %v: tensor<5x4xf32>) -> tensor<8x4xf32> {
  %r = attn.attention %q, %k, %v : tensor<8x?xf32>, tensor<5x0xf32>, tensor<5x4xf32>
  return %r : tensor<8x4xf32>
}
