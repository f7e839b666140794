// RUN: attn-opt %s --split-input-file --verify-diagnostics

// One case per verifier rule of attention's score options (window, softcap,
// ALiBi slopes, boolean mask, diagonal). The rules are shared by
// attn.attention, attn.online_attention and attn.attention_backward.

func.func @window_three_values(%q: tensor<4x8xf32>) -> tensor<4x8xf32> {
  // expected-error @+1 {{'attn.attention' op expects 'window' as [left, right] (two sizes), got 3 values}}
  %r = attn.attention %q, %q, %q window = [1, 2, 3] : tensor<4x8xf32>, tensor<4x8xf32>, tensor<4x8xf32>
  return %r : tensor<4x8xf32>
}

// -----

func.func @window_empty(%q: tensor<4x8xf32>) -> tensor<4x8xf32> {
  // expected-error @+1 {{'attn.attention' op expects 'window' as [left, right] (two sizes), got 0 values}}
  %r = attn.attention %q, %q, %q window = [] : tensor<4x8xf32>, tensor<4x8xf32>, tensor<4x8xf32>
  return %r : tensor<4x8xf32>
}

// -----

// -1 is unbounded; nothing below it means anything.
func.func @window_size(%q: tensor<4x8xf32>) -> tensor<4x8xf32> {
  // expected-error @+1 {{'attn.attention' op expects window sizes >= 0, or -1 for unbounded, got -2}}
  %r = attn.attention %q, %q, %q window = [-2, 0] : tensor<4x8xf32>, tensor<4x8xf32>, tensor<4x8xf32>
  return %r : tensor<4x8xf32>
}

// -----

func.func @online_window_size(%q: tensor<4x8xf32>, %a: tensor<4x8xf32>, %m: tensor<4xf32>) {
  // expected-error @+1 {{'attn.online_attention' op expects window sizes >= 0, or -1 for unbounded, got -5}}
  %r:3 = attn.online_attention %q, %q, %q window = [3, -5] into %a, %m, %m
      : tensor<4x8xf32>, tensor<4x8xf32>, tensor<4x8xf32> -> tensor<4x8xf32>, tensor<4xf32>, tensor<4xf32>
  return
}

// -----

func.func @softcap_zero(%q: tensor<4x8xf32>) -> tensor<4x8xf32> {
  // expected-error @+1 {{'attn.attention' op expects a positive finite softcap, got 0.000000e+00}}
  %r = attn.attention %q, %q, %q softcap = 0.0 : tensor<4x8xf32>, tensor<4x8xf32>, tensor<4x8xf32>
  return %r : tensor<4x8xf32>
}

// -----

func.func @softcap_negative(%q: tensor<4x8xf32>) -> tensor<4x8xf32> {
  // expected-error @+1 {{'attn.attention' op expects a positive finite softcap, got -1.500000e+00}}
  %r = attn.attention %q, %q, %q softcap = -1.5 : tensor<4x8xf32>, tensor<4x8xf32>, tensor<4x8xf32>
  return %r : tensor<4x8xf32>
}

// -----

func.func @softcap_inf(%q: tensor<4x8xf32>) -> tensor<4x8xf32> {
  // expected-error @+1 {{'attn.attention' op expects a positive finite softcap, got INF}}
  %r = attn.attention %q, %q, %q softcap = 0x7FF0000000000000 : tensor<4x8xf32>, tensor<4x8xf32>, tensor<4x8xf32>
  return %r : tensor<4x8xf32>
}

// -----

func.func @backward_softcap_negative(%q: tensor<2x4x8xf32>, %l: tensor<2x4xf32>) -> tensor<2x4x8xf32> {
  // expected-error @+1 {{'attn.attention_backward' op expects a positive finite softcap, got -3.000000e+00}}
  %dq, %dk, %dv = attn.attention_backward %q, %q, %q, %q, %q, %l softcap = -3.0
      : tensor<2x4x8xf32>, tensor<2x4x8xf32>, tensor<2x4x8xf32>, tensor<2x4x8xf32>, tensor<2x4x8xf32>, tensor<2x4xf32>
  return %dq : tensor<2x4x8xf32>
}

// -----

// One slope per query head (8), not per key/value head (2): a size rule.
func.func @alibi_size(%q: tensor<1x8x4x8xf32>, %k: tensor<1x2x4x8xf32>, %s: tensor<4xf32>) -> tensor<1x8x4x8xf32> {
  // expected-error @+1 {{'attn.attention' op expects alibi slopes dimension 0 (4) to match query dimension 1 (8)}}
  %r = attn.attention %q, %k, %k alibi %s : tensor<1x8x4x8xf32>, tensor<1x2x4x8xf32>, tensor<1x2x4x8xf32> alibi tensor<4xf32>
  return %r : tensor<1x8x4x8xf32>
}

// -----

func.func @backward_alibi_size(%q: tensor<2x4x8xf32>, %l: tensor<2x4xf32>, %s: tensor<3xf32>) -> tensor<2x4x8xf32> {
  // expected-error @+1 {{'attn.attention_backward' op expects alibi slopes dimension 0 (3) to match query dimension 0 (2)}}
  %dq, %dk, %dv = attn.attention_backward %q, %q, %q, %q, %q, %l alibi %s
      : tensor<2x4x8xf32>, tensor<2x4x8xf32>, tensor<2x4x8xf32>, tensor<2x4x8xf32>, tensor<2x4x8xf32>, tensor<2x4xf32> alibi tensor<3xf32>
  return %dq : tensor<2x4x8xf32>
}

// -----

func.func @alibi_element_type(%q: tensor<8x4x8xf32>, %s: tensor<8xf16>) -> tensor<8x4x8xf32> {
  // expected-error @+1 {{'attn.attention' op expects alibi slopes element type 'f16' to match query element type 'f32'}}
  %r = attn.attention %q, %q, %q alibi %s : tensor<8x4x8xf32>, tensor<8x4x8xf32>, tensor<8x4x8xf32> alibi tensor<8xf16>
  return %r : tensor<8x4x8xf32>
}

// -----

// A query of rank 2 is one head: one slope.
func.func @alibi_rank2(%q: tensor<4x8xf32>, %s: tensor<2xf32>) -> tensor<4x8xf32> {
  // expected-error @+1 {{'attn.attention' op expects one alibi slope (a query of rank 2 is one head), got 'tensor<2xf32>'}}
  %r = attn.attention %q, %q, %q alibi %s : tensor<4x8xf32>, tensor<4x8xf32>, tensor<4x8xf32> alibi tensor<2xf32>
  return %r : tensor<4x8xf32>
}

// -----

// The slopes are a rank-1 tensor: the operand type constraint.
func.func @alibi_rank(%q: tensor<4x8xf32>, %s: tensor<1x1xf32>) -> tensor<4x8xf32> {
  // expected-error @+1 {{'attn.attention' op operand #3 must be rank-1 tensor of f16, bf16, f32 or f64 slopes, but got 'tensor<1x1xf32>'}}
  %r = attn.attention %q, %q, %q alibi %s : tensor<4x8xf32>, tensor<4x8xf32>, tensor<4x8xf32> alibi tensor<1x1xf32>
  return %r : tensor<4x8xf32>
}

// -----

// Without causal, window or alibi there is no diagonal to place.
func.func @diagonal_alone(%q: tensor<4x8xf32>, %d: index) -> tensor<4x8xf32> {
  // expected-error @+1 {{'attn.attention' op expects 'diagonal' only with 'causal', 'window' or 'alibi' (it places their diagonal)}}
  %r = attn.attention %q, %q, %q softcap = 1.0 diagonal %d : tensor<4x8xf32>, tensor<4x8xf32>, tensor<4x8xf32>
  return %r : tensor<4x8xf32>
}

// -----

func.func @online_diagonal_alone(%q: tensor<4x8xf32>, %d: index, %a: tensor<4x8xf32>, %m: tensor<4xf32>) {
  // expected-error @+1 {{'attn.online_attention' op expects 'diagonal' only with 'causal', 'window' or 'alibi' (it places their diagonal)}}
  %r:3 = attn.online_attention %q, %q, %q softcap = 2.0 diagonal %d into %a, %m, %m
      : tensor<4x8xf32>, tensor<4x8xf32>, tensor<4x8xf32> -> tensor<4x8xf32>, tensor<4xf32>, tensor<4xf32>
  return
}

// -----

// A mask is additive (the scores' float type) or boolean (i1): not i8.
func.func @mask_i8(%q: tensor<4x8xf32>, %m: tensor<4x4xi8>) -> tensor<4x8xf32> {
  // expected-error @+1 {{'attn.attention' op operand #3 must be ranked tensor of rank >= 1 with f16, bf16, f32, f64 (additive) or i1 (true keeps) elements and no encoding, but got 'tensor<4x4xi8>'}}
  %r = attn.attention %q, %q, %q mask %m : tensor<4x8xf32>, tensor<4x8xf32>, tensor<4x8xf32>, tensor<4x4xi8>
  return %r : tensor<4x8xf32>
}
