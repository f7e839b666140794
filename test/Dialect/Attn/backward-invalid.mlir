// RUN: attn-opt %s --split-input-file --verify-diagnostics

// One case per verifier rule of the gradient ops.

func.func @softmax_backward_shape(%dy: tensor<4x8xf32>, %y: tensor<4x9xf32>) -> tensor<4x9xf32> {
  // expected-error @+1 {{'attn.softmax_backward' op expects grad dimension 1 (8) to match output dimension 1 (9)}}
  %r = attn.softmax_backward %dy, %y : tensor<4x8xf32>, tensor<4x9xf32>
  return %r : tensor<4x9xf32>
}

// -----

func.func @softmax_backward_rank(%dy: tensor<8xf32>, %y: tensor<4x8xf32>) -> tensor<4x8xf32> {
  // expected-error @+1 {{'attn.softmax_backward' op expects grad of the rank of output (2), got 'tensor<8xf32>'}}
  %r = attn.softmax_backward %dy, %y : tensor<8xf32>, tensor<4x8xf32>
  return %r : tensor<4x8xf32>
}

// -----

func.func @log_softmax_backward_type(%dy: tensor<4x8xf16>, %y: tensor<4x8xf32>) -> tensor<4x8xf32> {
  // expected-error @+1 {{'attn.log_softmax_backward' op expects grad element type 'f16' to match output element type 'f32'}}
  %r = attn.log_softmax_backward %dy, %y : tensor<4x8xf16>, tensor<4x8xf32>
  return %r : tensor<4x8xf32>
}

// -----

func.func @log_softmax_backward_result(%dy: tensor<4x8xf32>, %y: tensor<4x8xf32>) -> tensor<4xf32> {
  // expected-error @+1 {{'attn.log_softmax_backward' op expects result type 'tensor<4x8xf32>' (the type of output), got 'tensor<4xf32>'}}
  %r = "attn.log_softmax_backward"(%dy, %y) : (tensor<4x8xf32>, tensor<4x8xf32>) -> tensor<4xf32>
  return %r : tensor<4xf32>
}

// -----

func.func @logsumexp_backward_grad_rank(%g: tensor<4x8xf32>, %x: tensor<4x8xf32>, %l: tensor<4xf32>) -> tensor<4x8xf32> {
  // expected-error @+1 {{'attn.logsumexp_backward' op expects grad of rank 1 (input without its last dimension), got 'tensor<4x8xf32>'}}
  %r = attn.logsumexp_backward %g, %x, %l : tensor<4x8xf32>, tensor<4x8xf32>, tensor<4xf32>
  return %r : tensor<4x8xf32>
}

// -----

func.func @logsumexp_backward_output_size(%g: tensor<4xf32>, %x: tensor<4x8xf32>, %l: tensor<5xf32>) -> tensor<4x8xf32> {
  // expected-error @+1 {{'attn.logsumexp_backward' op expects output dimension 0 (5) to match input dimension 0 (4)}}
  %r = attn.logsumexp_backward %g, %x, %l : tensor<4xf32>, tensor<4x8xf32>, tensor<5xf32>
  return %r : tensor<4x8xf32>
}

// -----

func.func @logsumexp_backward_diagonal(%g: tensor<4xf32>, %x: tensor<4x8xf32>, %l: tensor<4xf32>, %d: index) -> tensor<4x8xf32> {
  // expected-error @+1 {{'attn.logsumexp_backward' op expects 'diagonal' only with 'causal' (it places the causal mask's diagonal)}}
  %r = attn.logsumexp_backward %g, %x, %l diagonal %d : tensor<4xf32>, tensor<4x8xf32>, tensor<4xf32>
  return %r : tensor<4x8xf32>
}

// -----

func.func @logsumexp_backward_mask(%g: tensor<4xf32>, %x: tensor<4x8xf32>, %l: tensor<4xf32>, %m: tensor<4x7xf32>) -> tensor<4x8xf32> {
  // expected-error @+1 {{'attn.logsumexp_backward' op expects mask dimension 1 (7) to match input dimension 1 (8)}}
  %r = attn.logsumexp_backward %g, %x, %l mask %m : tensor<4xf32>, tensor<4x8xf32>, tensor<4xf32>, tensor<4x7xf32>
  return %r : tensor<4x8xf32>
}

// -----

func.func @sum_sq_backward_size(%g: tensor<3xf32>, %x: tensor<4x8xf32>) -> tensor<4x8xf32> {
  // expected-error @+1 {{'attn.sum_sq_backward' op expects grad dimension 0 (3) to match input dimension 0 (4)}}
  %r = attn.sum_sq_backward %g, %x : tensor<3xf32>, tensor<4x8xf32>
  return %r : tensor<4x8xf32>
}

// -----

func.func @masked_max_backward_output(%g: tensor<4xf32>, %s: tensor<4x8xf32>, %m: tensor<4x8xf32>, %o: tensor<4x8xf32>) -> tensor<4x8xf32> {
  // expected-error @+1 {{'attn.masked_max_backward' op expects output of rank 1 (scores without its last dimension), got 'tensor<4x8xf32>'}}
  %r = attn.masked_max_backward %g, %s, %m, %o : tensor<4xf32>, tensor<4x8xf32>, tensor<4x8xf32>, tensor<4x8xf32>
  return %r : tensor<4x8xf32>
}

// -----

func.func @xent_backward_q(%g: tensor<4xf32>, %p: tensor<4x8xf32>, %q: tensor<4x9xf32>) -> (tensor<4x8xf32>, tensor<4x8xf32>) {
  // expected-error @+1 {{'attn.xent_backward' op expects q dimension 1 (9) to match p dimension 1 (8)}}
  %dp, %dq = attn.xent_backward %g, %p, %q : tensor<4xf32>, tensor<4x8xf32>, tensor<4x9xf32>
  return %dp, %dq : tensor<4x8xf32>, tensor<4x8xf32>
}

// -----

func.func @xent_backward_result(%g: tensor<4xf32>, %p: tensor<4x8xf32>, %q: tensor<4x8xf32>) -> (tensor<4x8xf32>, tensor<4x8xf16>) {
  // expected-error @+1 {{'attn.xent_backward' op expects result types 'tensor<4x8xf32>' (the type of p), got 'tensor<4x8xf16>'}}
  %dp, %dq = "attn.xent_backward"(%g, %p, %q) : (tensor<4xf32>, tensor<4x8xf32>, tensor<4x8xf32>) -> (tensor<4x8xf32>, tensor<4x8xf16>)
  return %dp, %dq : tensor<4x8xf32>, tensor<4x8xf16>
}

// -----

func.func @xent_logits_backward_grad_mean(%g: tensor<4xf32>, %z: tensor<4x8xf32>, %t: tensor<4xi64>) -> tensor<4x8xf32> {
  // expected-error @+1 {{'attn.xent_logits_backward' op expects a rank-0 grad (the gradient of a mean), got 'tensor<4xf32>'}}
  %r = attn.xent_logits_backward %g, %z, %t : tensor<4xf32>, tensor<4x8xf32>, tensor<4xi64>
  return %r : tensor<4x8xf32>
}

// -----

func.func @xent_logits_backward_grad_none(%g: tensor<f32>, %z: tensor<4x8xf32>, %t: tensor<4xi64>) -> tensor<4x8xf32> {
  // expected-error @+1 {{'attn.xent_logits_backward' op expects grad of rank 1 (logits without its last dimension), got 'tensor<f32>'}}
  %r = attn.xent_logits_backward %g, %z, %t reduction = none : tensor<f32>, tensor<4x8xf32>, tensor<4xi64>
  return %r : tensor<4x8xf32>
}

// -----

func.func @xent_logits_backward_target(%g: tensor<f32>, %z: tensor<4x8xf32>, %t: tensor<5xi64>) -> tensor<4x8xf32> {
  // expected-error @+1 {{'attn.xent_logits_backward' op expects target dimension 0 (5) to match logits dimension 0 (4)}}
  %r = attn.xent_logits_backward %g, %z, %t reduction = sum : tensor<f32>, tensor<4x8xf32>, tensor<5xi64>
  return %r : tensor<4x8xf32>
}

// -----

func.func @xent_logits_backward_ignore(%g: tensor<f32>, %z: tensor<4x8xf32>, %t: tensor<4xi32>) -> tensor<4x8xf32> {
  // expected-error @+1 {{'attn.xent_logits_backward' op expects ignore_index (4294967296) to fit the target element type 'i32'}}
  %r = attn.xent_logits_backward %g, %z, %t ignore_index = 4294967296 : tensor<f32>, tensor<4x8xf32>, tensor<4xi32>
  return %r : tensor<4x8xf32>
}

// -----

func.func @attention_lse_type(%q: tensor<4x8xf16>) -> (tensor<4x8xf16>, tensor<4xf16>) {
  // expected-error @+1 {{'attn.attention' op expects lse type 'tensor<4xf32>' (query without its features, f32 for f16 and bf16), got 'tensor<4xf16>'}}
  %o, %l = "attn.attention"(%q, %q, %q) <{with_lse, operandSegmentSizes = array<i32: 1, 1, 1, 0, 0, 0, 0, 0>}> ({}, {}) : (tensor<4x8xf16>, tensor<4x8xf16>, tensor<4x8xf16>) -> (tensor<4x8xf16>, tensor<4xf16>)
  return %o, %l : tensor<4x8xf16>, tensor<4xf16>
}

// -----

func.func @attention_lse_missing(%q: tensor<4x8xf32>) -> (tensor<4x8xf32>, tensor<4xf32>) {
  // expected-error @+1 {{'attn.attention' op expects one result without 'with_lse'}}
  %o, %l = "attn.attention"(%q, %q, %q) <{operandSegmentSizes = array<i32: 1, 1, 1, 0, 0, 0, 0, 0>}> ({}, {}) : (tensor<4x8xf32>, tensor<4x8xf32>, tensor<4x8xf32>) -> (tensor<4x8xf32>, tensor<4xf32>)
  return %o, %l : tensor<4x8xf32>, tensor<4xf32>
}

// -----

func.func @attention_backward_lse_rank(%q: tensor<2x4x8xf32>, %l: tensor<2x4x8xf32>) -> tensor<2x4x8xf32> {
  // expected-error @+1 {{'attn.attention_backward' op expects lse of rank 2 with 'f32' elements (query without its features; f32 for f16 and bf16), got 'tensor<2x4x8xf32>'}}
  %dq, %dk, %dv = attn.attention_backward %q, %q, %q, %q, %q, %l : tensor<2x4x8xf32>, tensor<2x4x8xf32>, tensor<2x4x8xf32>, tensor<2x4x8xf32>, tensor<2x4x8xf32>, tensor<2x4x8xf32>
  return %dq : tensor<2x4x8xf32>
}

// -----

func.func @attention_backward_lse_f16(%q: tensor<2x4x8xf16>, %l: tensor<2x4xf16>) -> tensor<2x4x8xf16> {
  // expected-error @+1 {{'attn.attention_backward' op expects lse of rank 2 with 'f32' elements (query without its features; f32 for f16 and bf16), got 'tensor<2x4xf16>'}}
  %dq, %dk, %dv = attn.attention_backward %q, %q, %q, %q, %q, %l : tensor<2x4x8xf16>, tensor<2x4x8xf16>, tensor<2x4x8xf16>, tensor<2x4x8xf16>, tensor<2x4x8xf16>, tensor<2x4xf16>
  return %dq : tensor<2x4x8xf16>
}

// -----

func.func @attention_backward_grad(%q: tensor<2x4x8xf32>, %g: tensor<2x4x7xf32>, %l: tensor<2x4xf32>) -> tensor<2x4x8xf32> {
  // expected-error @+1 {{'attn.attention_backward' op expects grad dimension 2 (7) to match value dimension 2 (8)}}
  %dq, %dk, %dv = attn.attention_backward %g, %q, %q, %q, %q, %l : tensor<2x4x7xf32>, tensor<2x4x8xf32>, tensor<2x4x8xf32>, tensor<2x4x8xf32>, tensor<2x4x8xf32>, tensor<2x4xf32>
  return %dq : tensor<2x4x8xf32>
}

// -----

func.func @attention_backward_output_rank(%q: tensor<2x4x8xf32>, %o: tensor<4x8xf32>, %l: tensor<2x4xf32>) -> tensor<2x4x8xf32> {
  // expected-error @+1 {{'attn.attention_backward' op expects output of the rank of the attention's result (3), got 'tensor<4x8xf32>'}}
  %dq, %dk, %dv = attn.attention_backward %q, %q, %q, %q, %o, %l : tensor<2x4x8xf32>, tensor<2x4x8xf32>, tensor<2x4x8xf32>, tensor<2x4x8xf32>, tensor<4x8xf32>, tensor<2x4xf32>
  return %dq : tensor<2x4x8xf32>
}

// -----

func.func @attention_backward_heads(%q: tensor<3x4x8xf32>, %k: tensor<2x4x8xf32>, %l: tensor<3x4xf32>) -> tensor<3x4x8xf32> {
  // expected-error @+1 {{'attn.attention_backward' op expects the query heads (3) to be a multiple of the key/value heads (2)}}
  %dq, %dk, %dv = attn.attention_backward %q, %q, %k, %k, %q, %l : tensor<3x4x8xf32>, tensor<3x4x8xf32>, tensor<2x4x8xf32>, tensor<2x4x8xf32>, tensor<3x4x8xf32>, tensor<3x4xf32>
  return %dq : tensor<3x4x8xf32>
}

// -----

func.func @attention_backward_diagonal(%q: tensor<2x4x8xf32>, %l: tensor<2x4xf32>, %d: index) -> tensor<2x4x8xf32> {
  // expected-error @+1 {{'attn.attention_backward' op expects 'diagonal' only with 'causal', 'window' or 'alibi' (it places their diagonal)}}
  %dq, %dk, %dv = attn.attention_backward %q, %q, %q, %q, %q, %l diagonal %d : tensor<2x4x8xf32>, tensor<2x4x8xf32>, tensor<2x4x8xf32>, tensor<2x4x8xf32>, tensor<2x4x8xf32>, tensor<2x4xf32>
  return %dq : tensor<2x4x8xf32>
}

// -----

func.func @attention_dropout_without_rng(%q: tensor<4x8xf32>) -> tensor<4x8xf32> {
  // expected-error @+1 {{'attn.attention' op expects 'dropout' and 'rng' together (the probability and the generator state)}}
  %o = attn.attention %q, %q, %q dropout = 0.1 : tensor<4x8xf32>, tensor<4x8xf32>, tensor<4x8xf32>
  return %o : tensor<4x8xf32>
}

// -----

func.func @attention_dropout_one(%q: tensor<4x8xf32>, %r: tensor<2xi64>) -> tensor<4x8xf32> {
  // expected-error @+1 {{'attn.attention' op expects a dropout probability in [0, 1), got 1.000000e+00}}
  %o = attn.attention %q, %q, %q dropout = 1.0 rng %r : tensor<4x8xf32>, tensor<4x8xf32>, tensor<4x8xf32>
  return %o : tensor<4x8xf32>
}

// -----

func.func @attention_backward_rng_without_dropout(%q: tensor<4x8xf32>, %l: tensor<4xf32>, %r: tensor<2xi64>) -> tensor<4x8xf32> {
  // expected-error @+1 {{'attn.attention_backward' op expects 'dropout' and 'rng' together (the probability and the generator state)}}
  %dq, %dk, %dv = attn.attention_backward %q, %q, %q, %q, %q, %l rng %r : tensor<4x8xf32>, tensor<4x8xf32>, tensor<4x8xf32>, tensor<4x8xf32>, tensor<4x8xf32>, tensor<4xf32>
  return %dq : tensor<4x8xf32>
}

// -----

func.func @online_dropout_origin(%q: tensor<4x8xf32>, %s: tensor<4xf32>, %r: tensor<2xi64>, %i: index) -> tensor<4x8xf32> {
  // expected-error @+1 {{'attn.online_attention' op expects 4 origin indices (batch, head, row, key) with 'dropout' or a score_mod or mask_mod region, got 2}}
  %acc, %max, %sum = attn.online_attention %q, %q, %q dropout = 0.5 rng %r at [%i, %i] into %q, %s, %s : tensor<4x8xf32>, tensor<4x8xf32>, tensor<4x8xf32> -> tensor<4x8xf32>, tensor<4xf32>, tensor<4xf32>
  return %acc : tensor<4x8xf32>
}

// -----

func.func @attention_rng_type(%q: tensor<4x8xf32>, %r: tensor<3xi64>) -> tensor<4x8xf32> {
  // expected-error @+1 {{'attn.attention' op operand #3 must be tensor<2xi64> (dropout's [seed, offset]), but got 'tensor<3xi64>'}}
  %o = "attn.attention"(%q, %q, %q, %r) <{dropout_p = 0.5 : f64, operandSegmentSizes = array<i32: 1, 1, 1, 0, 0, 0, 0, 1>}> ({}, {}) : (tensor<4x8xf32>, tensor<4x8xf32>, tensor<4x8xf32>, tensor<3xi64>) -> tensor<4x8xf32>
  return %o : tensor<4x8xf32>
}
