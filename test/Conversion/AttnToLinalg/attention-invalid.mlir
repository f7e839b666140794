// RUN: attn-opt %s --convert-attn-to-linalg --split-input-file --verify-diagnostics

// Heads are grouped through an affine floordiv, so the lowering needs their
// counts: a dynamic head dimension is reported, not miscompiled.
func.func @dynamic_heads(%q: tensor<?x8x16xf32>, %k: tensor<?x8x16xf32>) -> tensor<?x8x16xf32> {
  // expected-error @+1 {{'attn.attention' op lowering needs static head counts to group query heads onto key/value heads}}
  %r = attn.attention %q, %k, %k : tensor<?x8x16xf32>, tensor<?x8x16xf32>, tensor<?x8x16xf32>
  return %r : tensor<?x8x16xf32>
}

// -----

func.func @online_dynamic_heads(%q: tensor<?x8x16xf32>, %k: tensor<?x8x16xf32>, %m: tensor<?x8xf32>) {
  // expected-error @+1 {{'attn.online_attention' op lowering needs static head counts to group query heads onto key/value heads}}
  %r:3 = attn.online_attention %q, %k, %k into %q, %m, %m : tensor<?x8x16xf32>, tensor<?x8x16xf32>, tensor<?x8x16xf32> -> tensor<?x8x16xf32>, tensor<?x8xf32>, tensor<?x8xf32>
  return
}
