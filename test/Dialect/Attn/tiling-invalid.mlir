// RUN: attn-opt %s --transform-interpreter -split-input-file -verify-diagnostics

// Tiles that are not the op on slices are refused with the reason.

func.func @sum_sq_reduction(%x: tensor<8x100xf32>) -> tensor<8xf32> {
  // expected-error @+3 {{'attn.sum_sq' op cannot tile reduction loop 1 as a parallel loop (tile it as a partial reduction)}}
  // expected-error @+2 {{to tile operation}}
  // expected-error @+1 {{failed to generate tiling loops}}
  %r = attn.sum_sq %x : tensor<8x100xf32>
  return %r : tensor<8xf32>
}
module attributes {transform.with_named_sequence} {
  transform.named_sequence @__transform_main(%root: !transform.any_op {transform.readonly}) {
    %s = transform.structured.match ops{["attn.sum_sq"]} in %root : (!transform.any_op) -> !transform.any_op
    %t, %l = transform.structured.tile_using_for %s tile_sizes [0, 16] : (!transform.any_op) -> (!transform.any_op, !transform.any_op)
    transform.yield
  }
}

// -----

// Query heads 0..1 and 2..3 of a group of 3 would read parts of two groups.
func.func @attention_heads(%q: tensor<6x16x8xf32>, %k: tensor<2x16x8xf32>, %v: tensor<2x16x8xf32>) -> tensor<6x16x8xf32> {
  // expected-error @+3 {{'attn.attention' op cannot tile the query heads by a tile that is neither a multiple nor a divisor of the 3 query heads per key/value head}}
  // expected-error @+2 {{to tile operation}}
  // expected-error @+1 {{failed to generate tiling loops}}
  %r = attn.attention %q, %k, %v : tensor<6x16x8xf32>, tensor<2x16x8xf32>, tensor<2x16x8xf32>
  return %r : tensor<6x16x8xf32>
}
module attributes {transform.with_named_sequence} {
  transform.named_sequence @__transform_main(%root: !transform.any_op {transform.readonly}) {
    %s = transform.structured.match ops{["attn.attention"]} in %root : (!transform.any_op) -> !transform.any_op
    %t, %l = transform.structured.tile_using_for %s tile_sizes [2] : (!transform.any_op) -> (!transform.any_op, !transform.any_op)
    transform.yield
  }
}

// -----

// Attention's keys are a reduction: a tile of keys alone would lose the others.
func.func @attention_keys(%q: tensor<16x8xf32>, %k: tensor<32x8xf32>, %v: tensor<32x8xf32>) -> tensor<16x8xf32> {
  // expected-error @+3 {{'attn.attention' op cannot tile reduction loop 1 as a parallel loop (tile it as a partial reduction)}}
  // expected-error @+2 {{to tile operation}}
  // expected-error @+1 {{failed to generate tiling loops}}
  %r = attn.attention %q, %k, %v : tensor<16x8xf32>, tensor<32x8xf32>, tensor<32x8xf32>
  return %r : tensor<16x8xf32>
}
module attributes {transform.with_named_sequence} {
  transform.named_sequence @__transform_main(%root: !transform.any_op {transform.readonly}) {
    %s = transform.structured.match ops{["attn.attention"]} in %root : (!transform.any_op) -> !transform.any_op
    %t, %l = transform.structured.tile_using_for %s tile_sizes [0, 8] : (!transform.any_op) -> (!transform.any_op, !transform.any_op)
    transform.yield
  }
}

// -----

// bf16 rows are summed in f32 by the op itself: no bf16 partial sums.
func.func @sum_sq_bf16_partial(%x: tensor<8x100xbf16>) -> tensor<8xbf16> {
  // expected-error @+1 {{'attn.sum_sq' op splits f32 and f64 reductions only (f16 and bf16 sums are formed in f32 by the op itself)}}
  %r = attn.sum_sq %x : tensor<8x100xbf16>
  return %r : tensor<8xbf16>
}
module attributes {transform.with_named_sequence} {
  transform.named_sequence @__transform_main(%root: !transform.any_op {transform.readonly}) {
    %s = transform.structured.match ops{["attn.sum_sq"]} in %root : (!transform.any_op) -> !transform.any_op
    // expected-error @+1 {{failed to tile using partial reduction}}
    %fill, %split, %comb, %loop = transform.structured.tile_reduction_using_for %s by tile_sizes = [0, 16] : (!transform.any_op) -> (!transform.any_op, !transform.any_op, !transform.any_op, !transform.any_op)
    transform.yield
  }
}

// -----

// The value features of the online form: max and sum do not follow them.
func.func @online_attention_value_features(%q: tensor<16x8xf32>, %acc: tensor<16x8xf32>, %m: tensor<16xf32>) {
  // expected-error @+3 {{'attn.online_attention' op cannot tile loop 3: a result it does not index would be updated once per tile}}
  // expected-error @+2 {{to tile operation}}
  // expected-error @+1 {{failed to generate tiling loops}}
  %r:3 = attn.online_attention %q, %q, %q into %acc, %m, %m : tensor<16x8xf32>, tensor<16x8xf32>, tensor<16x8xf32> -> tensor<16x8xf32>, tensor<16xf32>, tensor<16xf32>
  return
}
module attributes {transform.with_named_sequence} {
  transform.named_sequence @__transform_main(%root: !transform.any_op {transform.readonly}) {
    %s = transform.structured.match ops{["attn.online_attention"]} in %root : (!transform.any_op) -> !transform.any_op
    %t, %l = transform.structured.tile_using_for %s tile_sizes [0, 0, 0, 4] : (!transform.any_op) -> (!transform.any_op, !transform.any_op)
    transform.yield
  }
}

// -----

// Attention splits over its keys, not its features.
func.func @attention_features_partial(%q: tensor<16x8xf32>) -> tensor<16x8xf32> {
  // expected-error @+1 {{'attn.attention' op splits its key loop (1) only}}
  %r = attn.attention %q, %q, %q : tensor<16x8xf32>, tensor<16x8xf32>, tensor<16x8xf32>
  return %r : tensor<16x8xf32>
}
module attributes {transform.with_named_sequence} {
  transform.named_sequence @__transform_main(%root: !transform.any_op {transform.readonly}) {
    %s = transform.structured.match ops{["attn.attention"]} in %root : (!transform.any_op) -> !transform.any_op
    // expected-error @+1 {{could not tile reduction}}
    %fill:3, %split, %comb:4, %loop = transform.structured.tile_reduction_using_forall %s by tile_sizes = [0, 0, 4, 0] : (!transform.any_op) -> (!transform.any_op, !transform.any_op, !transform.any_op, !transform.any_op, !transform.any_op, !transform.any_op, !transform.any_op, !transform.any_op, !transform.any_op)
    transform.yield
  }
}

// -----

// Grouped heads are read through h floordiv G: G must be known.
func.func @attention_dynamic_heads_partial(%q: tensor<?x16x8xf32>, %k: tensor<?x16x8xf32>) -> tensor<?x16x8xf32> {
  // expected-error @+1 {{'attn.attention' op cannot split while the head counts are dynamic}}
  %r = attn.attention %q, %k, %k : tensor<?x16x8xf32>, tensor<?x16x8xf32>, tensor<?x16x8xf32>
  return %r : tensor<?x16x8xf32>
}
module attributes {transform.with_named_sequence} {
  transform.named_sequence @__transform_main(%root: !transform.any_op {transform.readonly}) {
    %s = transform.structured.match ops{["attn.attention"]} in %root : (!transform.any_op) -> !transform.any_op
    // expected-error @+1 {{could not tile reduction}}
    %fill:3, %split, %comb:4, %loop = transform.structured.tile_reduction_using_forall %s by tile_sizes = [0, 0, 4, 0, 0] : (!transform.any_op) -> (!transform.any_op, !transform.any_op, !transform.any_op, !transform.any_op, !transform.any_op, !transform.any_op, !transform.any_op, !transform.any_op, !transform.any_op)
    transform.yield
  }
}
