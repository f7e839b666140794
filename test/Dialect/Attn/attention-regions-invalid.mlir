// RUN: attn-opt %s --split-input-file --verify-diagnostics

// One case per verifier rule of the score_mod and mask_mod regions and of
// attn.yield. The rules are shared by attn.attention, attn.online_attention
// and attn.attention_backward.

// score_mod takes (score, batch, head, query, key): one index missing.
func.func @score_mod_four_arguments(%q: tensor<64x16xf32>) -> tensor<64x16xf32> {
  // expected-error @+1 {{'attn.attention' op expects the score_mod region's arguments to be (score, batch, head, query, key): the compute type (f32, f64 for f64 operands) and four index, got ('f32', 'index', 'index', 'index')}}
  %o = attn.attention %q, %q, %q score_mod {
  ^bb0(%s: f32, %h: index, %i: index, %j: index):
    attn.yield %s : f32
  } : tensor<64x16xf32>, tensor<64x16xf32>, tensor<64x16xf32>
  return %o : tensor<64x16xf32>
}

// -----

// The score is of the compute type (f32 here), not of another float type.
func.func @score_mod_f16_score(%q: tensor<64x16xf32>) -> tensor<64x16xf32> {
  // expected-error @+1 {{'attn.attention' op expects the score_mod region's arguments to be (score, batch, head, query, key): the compute type (f32, f64 for f64 operands) and four index, got ('f16', 'index', 'index', 'index', 'index')}}
  %o = attn.attention %q, %q, %q score_mod {
  ^bb0(%s: f16, %b: index, %h: index, %i: index, %j: index):
    attn.yield %s : f16
  } : tensor<64x16xf32>, tensor<64x16xf32>, tensor<64x16xf32>
  return %o : tensor<64x16xf32>
}

// -----

// f16 operands are computed in f32: the score is f32, not f16.
func.func @score_mod_f16_on_f16(%q: tensor<64x16xf16>) -> tensor<64x16xf16> {
  // expected-error @+1 {{'attn.attention' op expects the score_mod region's arguments to be (score, batch, head, query, key): the compute type (f32, f64 for f64 operands) and four index, got ('f16', 'index', 'index', 'index', 'index')}}
  %o = attn.attention %q, %q, %q score_mod {
  ^bb0(%s: f16, %b: index, %h: index, %i: index, %j: index):
    attn.yield %s : f16
  } : tensor<64x16xf16>, tensor<64x16xf16>, tensor<64x16xf16>
  return %o : tensor<64x16xf16>
}

// -----

// f64 operands are computed in f64: an f32 score is refused.
func.func @score_mod_f32_on_f64(%q: tensor<64x16xf64>) -> tensor<64x16xf64> {
  // expected-error @+1 {{'attn.attention' op expects the score_mod region's arguments to be (score, batch, head, query, key): the compute type (f32, f64 for f64 operands) and four index, got ('f32', 'index', 'index', 'index', 'index')}}
  %o = attn.attention %q, %q, %q score_mod {
  ^bb0(%s: f32, %b: index, %h: index, %i: index, %j: index):
    attn.yield %s : f32
  } : tensor<64x16xf64>, tensor<64x16xf64>, tensor<64x16xf64>
  return %o : tensor<64x16xf64>
}

// -----

// The indices are index, not i32.
func.func @score_mod_i32_indices(%q: tensor<64x16xf32>) -> tensor<64x16xf32> {
  // expected-error @+1 {{'attn.attention' op expects the score_mod region's arguments to be (score, batch, head, query, key): the compute type (f32, f64 for f64 operands) and four index, got ('f32', 'i32', 'i32', 'i32', 'i32')}}
  %o = attn.attention %q, %q, %q score_mod {
  ^bb0(%s: f32, %b: i32, %h: i32, %i: i32, %j: i32):
    attn.yield %s : f32
  } : tensor<64x16xf32>, tensor<64x16xf32>, tensor<64x16xf32>
  return %o : tensor<64x16xf32>
}

// -----

// score_mod yields a score of the compute type.
func.func @score_mod_yields_f64(%q: tensor<64x16xf32>) -> tensor<64x16xf32> {
  // expected-error @+1 {{'attn.attention' op expects the score_mod region to end with 'attn.yield' of one 'f32'}}
  %o = attn.attention %q, %q, %q score_mod {
  ^bb0(%s: f32, %b: index, %h: index, %i: index, %j: index):
    %e = arith.extf %s : f32 to f64
    attn.yield %e : f64
  } : tensor<64x16xf32>, tensor<64x16xf32>, tensor<64x16xf32>
  return %o : tensor<64x16xf32>
}

// -----

// mask_mod yields a boolean (true keeps), not an additive mask value.
func.func @mask_mod_yields_f32(%q: tensor<64x16xf32>) -> tensor<64x16xf32> {
  // expected-error @+1 {{'attn.attention' op expects the mask_mod region to end with 'attn.yield' of one 'i1'}}
  %o = attn.attention %q, %q, %q mask_mod {
  ^bb0(%b: index, %h: index, %i: index, %j: index):
    %z = arith.constant 0.0 : f32
    attn.yield %z : f32
  } : tensor<64x16xf32>, tensor<64x16xf32>, tensor<64x16xf32>
  return %o : tensor<64x16xf32>
}

// -----

// mask_mod has no score argument: (batch, head, query, key).
func.func @mask_mod_five_arguments(%q: tensor<64x16xf32>) -> tensor<64x16xf32> {
  // expected-error @+1 {{'attn.attention' op expects the mask_mod region's arguments to be (batch, head, query, key): four index, got ('f32', 'index', 'index', 'index', 'index')}}
  %o = attn.attention %q, %q, %q mask_mod {
  ^bb0(%s: f32, %b: index, %h: index, %i: index, %j: index):
    %t = arith.constant true
    attn.yield %t : i1
  } : tensor<64x16xf32>, tensor<64x16xf32>, tensor<64x16xf32>
  return %o : tensor<64x16xf32>
}

// -----

// One value, not two.
func.func @mask_mod_yields_two(%q: tensor<64x16xf32>) -> tensor<64x16xf32> {
  // expected-error @+1 {{'attn.attention' op expects the mask_mod region to end with 'attn.yield' of one 'i1'}}
  %o = attn.attention %q, %q, %q mask_mod {
  ^bb0(%b: index, %h: index, %i: index, %j: index):
    %t = arith.constant true
    attn.yield %t, %t : i1, i1
  } : tensor<64x16xf32>, tensor<64x16xf32>, tensor<64x16xf32>
  return %o : tensor<64x16xf32>
}

// -----

func.func @mask_mod_yields_nothing(%q: tensor<64x16xf32>) -> tensor<64x16xf32> {
  // expected-error @+1 {{'attn.attention' op expects the mask_mod region to end with 'attn.yield' of one 'i1'}}
  %o = attn.attention %q, %q, %q mask_mod {
  ^bb0(%b: index, %h: index, %i: index, %j: index):
    attn.yield
  } : tensor<64x16xf32>, tensor<64x16xf32>, tensor<64x16xf32>
  return %o : tensor<64x16xf32>
}

// -----

// A region is one block (MaxSizedRegion<1>): no control flow between blocks.
func.func @two_blocks(%q: tensor<64x16xf32>) -> tensor<64x16xf32> {
  // expected-error @+1 {{'attn.attention' op region #1 ('mask_mod') failed to verify constraint: region with at most 1 blocks}}
  %o = attn.attention %q, %q, %q mask_mod {
  ^bb0(%b: index, %h: index, %i: index, %j: index):
    cf.br ^bb1
  ^bb1:
    %t = arith.constant true
    attn.yield %t : i1
  } : tensor<64x16xf32>, tensor<64x16xf32>, tensor<64x16xf32>
  return %o : tensor<64x16xf32>
}

// -----

// No implicit terminator: a body without attn.yield is refused (by the
// op's verifier, before the generic "block with no terminator").
func.func @missing_terminator(%q: tensor<64x16xf32>) -> tensor<64x16xf32> {
  // expected-error @+1 {{'attn.attention' op expects the mask_mod region to end with 'attn.yield' of one 'i1'}}
  %o = attn.attention %q, %q, %q mask_mod {
  ^bb0(%b: index, %h: index, %i: index, %j: index):
    %t = arith.constant true
  } : tensor<64x16xf32>, tensor<64x16xf32>, tensor<64x16xf32>
  return %o : tensor<64x16xf32>
}

// -----

func.func @empty_body(%q: tensor<64x16xf32>) -> tensor<64x16xf32> {
  // expected-error @+1 {{'attn.attention' op expects the score_mod region to end with 'attn.yield' of one 'f32'}}
  %o = attn.attention %q, %q, %q score_mod {
  ^bb0(%s: f32, %b: index, %h: index, %i: index, %j: index):
  } : tensor<64x16xf32>, tensor<64x16xf32>, tensor<64x16xf32>
  return %o : tensor<64x16xf32>
}

// -----

// Another dialect's terminator is no attn.yield.
func.func @other_terminator(%q: tensor<64x16xf32>) -> tensor<64x16xf32> {
  // expected-error @+1 {{'attn.attention' op expects the mask_mod region to end with 'attn.yield' of one 'i1'}}
  %o = attn.attention %q, %q, %q mask_mod {
  ^bb0(%b: index, %h: index, %i: index, %j: index):
    %t = arith.constant true
    scf.yield %t : i1
  } : tensor<64x16xf32>, tensor<64x16xf32>, tensor<64x16xf32>
  return %o : tensor<64x16xf32>
}

// -----

// attn.yield ends the regions of the attention ops only.
func.func @yield_outside_attention() {
  %t = arith.constant true
  // expected-error @+1 {{'attn.yield' op expects parent op to be one of 'attn.attention, attn.online_attention, attn.attention_backward'}}
  attn.yield %t : i1
}

// -----

// Nor does it end a region nested in score_mod (scf.if's is scf.yield).
func.func @yield_nested(%q: tensor<64x16xf32>, %c: i1) -> tensor<64x16xf32> {
  %o = attn.attention %q, %q, %q score_mod {
  ^bb0(%s: f32, %b: index, %h: index, %i: index, %j: index):
    %r = scf.if %c -> f32 {
      // expected-error @+1 {{'attn.yield' op expects parent op to be one of 'attn.attention, attn.online_attention, attn.attention_backward'}}
      attn.yield %s : f32
    } else {
      scf.yield %s : f32
    }
    attn.yield %r : f32
  } : tensor<64x16xf32>, tensor<64x16xf32>, tensor<64x16xf32>
  return %o : tensor<64x16xf32>
}

// -----

// online_attention with a region needs its origin in the whole attention,
// whose indices the region sees.
func.func @online_region_without_origin(%q: tensor<32x16xf32>, %acc: tensor<32x16xf32>, %m: tensor<32xf32>) -> tensor<32x16xf32> {
  // expected-error @+1 {{'attn.online_attention' op expects 4 origin indices (batch, head, row, key) with 'dropout' or a score_mod or mask_mod region, got 0}}
  %a, %mx, %s = attn.online_attention %q, %q, %q mask_mod {
  ^bb0(%b: index, %h: index, %i: index, %j: index):
    %t = arith.constant true
    attn.yield %t : i1
  } into %acc, %m, %m : tensor<32x16xf32>, tensor<32x16xf32>, tensor<32x16xf32> -> tensor<32x16xf32>, tensor<32xf32>, tensor<32xf32>
  return %a : tensor<32x16xf32>
}

// -----

func.func @online_region_three_origins(%q: tensor<32x16xf32>, %acc: tensor<32x16xf32>, %m: tensor<32xf32>, %c: index) -> tensor<32x16xf32> {
  // expected-error @+1 {{'attn.online_attention' op expects 4 origin indices (batch, head, row, key) with 'dropout' or a score_mod or mask_mod region, got 3}}
  %a, %mx, %s = attn.online_attention %q, %q, %q at [%c, %c, %c] score_mod {
  ^bb0(%x: f32, %b: index, %h: index, %i: index, %j: index):
    attn.yield %x : f32
  } into %acc, %m, %m : tensor<32x16xf32>, tensor<32x16xf32>, tensor<32x16xf32> -> tensor<32x16xf32>, tensor<32xf32>, tensor<32xf32>
  return %a : tensor<32x16xf32>
}

// -----

// And an origin only with dropout or a region.
func.func @online_origin_without_region(%q: tensor<32x16xf32>, %acc: tensor<32x16xf32>, %m: tensor<32xf32>, %c: index) -> tensor<32x16xf32> {
  // expected-error @+1 {{'attn.online_attention' op expects no origin without 'dropout' or a region, got 4}}
  %a, %mx, %s = attn.online_attention %q, %q, %q at [%c, %c, %c, %c] into %acc, %m, %m : tensor<32x16xf32>, tensor<32x16xf32>, tensor<32x16xf32> -> tensor<32x16xf32>, tensor<32xf32>, tensor<32xf32>
  return %a : tensor<32x16xf32>
}

// -----

// The same region rules on online_attention's ...
func.func @online_mask_mod_yields_f32(%q: tensor<32x16xf32>, %acc: tensor<32x16xf32>, %m: tensor<32xf32>, %c: index) -> tensor<32x16xf32> {
  // expected-error @+1 {{'attn.online_attention' op expects the mask_mod region to end with 'attn.yield' of one 'i1'}}
  %a, %mx, %s = attn.online_attention %q, %q, %q at [%c, %c, %c, %c] mask_mod {
  ^bb0(%b: index, %h: index, %i: index, %j: index):
    %z = arith.constant 0.0 : f32
    attn.yield %z : f32
  } into %acc, %m, %m : tensor<32x16xf32>, tensor<32x16xf32>, tensor<32x16xf32> -> tensor<32x16xf32>, tensor<32xf32>, tensor<32xf32>
  return %a : tensor<32x16xf32>
}

// -----

// ... and attention_backward's.
func.func @backward_score_mod_four_arguments(%q: tensor<64x16xf32>, %l: tensor<64xf32>) -> tensor<64x16xf32> {
  // expected-error @+1 {{'attn.attention_backward' op expects the score_mod region's arguments to be (score, batch, head, query, key): the compute type (f32, f64 for f64 operands) and four index, got ('f32', 'index', 'index', 'index')}}
  %dq, %dk, %dv = attn.attention_backward %q, %q, %q, %q, %q, %l score_mod {
  ^bb0(%s: f32, %b: index, %h: index, %i: index):
    attn.yield %s : f32
  } : tensor<64x16xf32>, tensor<64x16xf32>, tensor<64x16xf32>, tensor<64x16xf32>, tensor<64x16xf32>, tensor<64xf32>
  return %dq : tensor<64x16xf32>
}

// -----

// The backward differentiates score_mod by its ops' rules: math.floor of
// the score has none (its gradient would be 0 almost everywhere, silently).
func.func @backward_score_mod_not_differentiable(%q: tensor<2x4x8xf32>, %l: tensor<2x4xf32>) -> tensor<2x4x8xf32> {
  // expected-error @+1 {{'attn.attention_backward' op expects a score_mod differentiable with respect to the score (addf, subf, mulf, divf, negf, select, maximumf, minimumf, extf, truncf, tanh, exp, log, sqrt, absf of it), got 'math.floor'}}
  %dq, %dk, %dv = attn.attention_backward %q, %q, %q, %q, %q, %l score_mod {
  ^bb0(%s: f32, %b: index, %h: index, %i: index, %j: index):
    %f = math.floor %s : f32
    attn.yield %f : f32
  } : tensor<2x4x8xf32>, tensor<2x4x8xf32>, tensor<2x4x8xf32>, tensor<2x4x8xf32>, tensor<2x4x8xf32>, tensor<2x4xf32>
  return %dq : tensor<2x4x8xf32>
}

// -----

// Index arithmetic and reads of captured tensors need no rule; a float op
// of the score inside an scf.if does.
func.func @backward_score_mod_region_op(%q: tensor<2x4x8xf32>, %l: tensor<2x4xf32>, %c: i1) -> tensor<2x4x8xf32> {
  // expected-error @+1 {{got 'scf.if'}}
  %dq, %dk, %dv = attn.attention_backward %q, %q, %q, %q, %q, %l score_mod {
  ^bb0(%s: f32, %b: index, %h: index, %i: index, %j: index):
    %r = scf.if %c -> f32 {
      scf.yield %s : f32
    } else {
      %n = arith.negf %s : f32
      scf.yield %n : f32
    }
    attn.yield %r : f32
  } : tensor<2x4x8xf32>, tensor<2x4x8xf32>, tensor<2x4x8xf32>, tensor<2x4x8xf32>, tensor<2x4x8xf32>, tensor<2x4xf32>
  return %dq : tensor<2x4x8xf32>
}
