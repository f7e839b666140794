// RUN: attn-opt %s --split-input-file --verify-diagnostics

// One case per verifier rule of each op.

func.func @masked_max_rank0(%s: tensor<f32>, %m: tensor<f32>) -> tensor<f32> {
  // expected-error @+1 {{'attn.masked_max' op expects scores of rank >= 1 (a last dimension to reduce), got 'tensor<f32>'}}
  %r = attn.masked_max %s, %m : tensor<f32>, tensor<f32>
  return %r : tensor<f32>
}

// -----

// The same rule in generic form is the operand type constraint's.
func.func @masked_max_rank0_generic(%s: tensor<f32>, %m: tensor<4xf32>) -> tensor<f32> {
  // expected-error @+1 {{'attn.masked_max' op operand #0 must be ranked tensor of rank >= 1 with f16, bf16, f32 or f64 elements and no encoding, but got 'tensor<f32>'}}
  %r = "attn.masked_max"(%s, %m) : (tensor<f32>, tensor<4xf32>) -> tensor<f32>
  return %r : tensor<f32>
}

// -----

func.func @masked_max_mask_rank0(%s: tensor<4xf32>, %m: tensor<f32>) -> tensor<f32> {
  // expected-error @+1 {{'attn.masked_max' op operand #1 must be ranked tensor of rank >= 1 with f16, bf16, f32 or f64 elements and no encoding, but got 'tensor<f32>'}}
  %r = "attn.masked_max"(%s, %m) : (tensor<4xf32>, tensor<f32>) -> tensor<f32>
  return %r : tensor<f32>
}

// -----

func.func @masked_max_element_type(%s: tensor<4x8xf32>, %m: tensor<4x8xf16>) -> tensor<4xf32> {
  // expected-error @+1 {{'attn.masked_max' op expects mask element type 'f16' to match scores element type 'f32'}}
  %r = attn.masked_max %s, %m : tensor<4x8xf32>, tensor<4x8xf16>
  return %r : tensor<4xf32>
}

// -----

func.func @masked_max_mask_rank(%s: tensor<2x3x4x8xf32>, %m: tensor<3x4x8xf32>) -> tensor<2x3x4xf32> {
  // expected-error @+1 {{'attn.masked_max' op expects mask of rank 2 ([M, N]) or of the rank of scores (4), got 'tensor<3x4x8xf32>'}}
  %r = attn.masked_max %s, %m : tensor<2x3x4x8xf32>, tensor<3x4x8xf32>
  return %r : tensor<2x3x4xf32>
}

// -----

func.func @masked_max_mask_rank_too_large(%s: tensor<8xf32>, %m: tensor<1x8xf32>) -> tensor<f32> {
  // expected-error @+1 {{'attn.masked_max' op expects mask rank (2) <= scores rank (1)}}
  %r = attn.masked_max %s, %m : tensor<8xf32>, tensor<1x8xf32>
  return %r : tensor<f32>
}

// -----

func.func @masked_max_mask_shape(%s: tensor<4x512x512xf32>, %m: tensor<512x256xf32>) -> tensor<4x512xf32> {
  // expected-error @+1 {{'attn.masked_max' op expects mask dimension 1 (256) to match scores dimension 2 (512)}}
  %r = attn.masked_max %s, %m : tensor<4x512x512xf32>, tensor<512x256xf32>
  return %r : tensor<4x512xf32>
}

// -----

func.func @masked_max_integer(%s: tensor<4x8xi32>, %m: tensor<4x8xi32>) -> tensor<4xi32> {
  // expected-error @+1 {{'attn.masked_max' op operand #0 must be ranked tensor of rank >= 1 with f16, bf16, f32 or f64 elements and no encoding, but got 'tensor<4x8xi32>'}}
  %r = "attn.masked_max"(%s, %m) : (tensor<4x8xi32>, tensor<4x8xi32>) -> tensor<4xi32>
  return %r : tensor<4xi32>
}

// -----

func.func @masked_max_unranked(%s: tensor<*xf32>, %m: tensor<4x8xf32>) -> tensor<4xf32> {
  // expected-error @+1 {{'attn.masked_max' op operand #0 must be ranked tensor of rank >= 1 with f16, bf16, f32 or f64 elements and no encoding, but got 'tensor<*xf32>'}}
  %r = "attn.masked_max"(%s, %m) : (tensor<*xf32>, tensor<4x8xf32>) -> tensor<4xf32>
  return %r : tensor<4xf32>
}

// -----

func.func @masked_max_result_type(%s: tensor<4x8xf32>, %m: tensor<4x8xf32>) -> tensor<8xf32> {
  // expected-error @+1 {{'attn.masked_max' op expects result type 'tensor<4xf32>' (scores without its last dimension), got 'tensor<8xf32>'}}
  %r = "attn.masked_max"(%s, %m) : (tensor<4x8xf32>, tensor<4x8xf32>) -> tensor<8xf32>
  return %r : tensor<8xf32>
}

// -----

func.func @sum_sq_rank0(%x: tensor<f32>) -> tensor<f32> {
  // expected-error @+1 {{'attn.sum_sq' op expects input of rank >= 1 (a last dimension to reduce), got 'tensor<f32>'}}
  %r = attn.sum_sq %x : tensor<f32>
  return %r : tensor<f32>
}

// -----

func.func @sum_sq_integer(%x: tensor<4x8xi8>) -> tensor<4xi8> {
  // expected-error @+1 {{'attn.sum_sq' op operand #0 must be ranked tensor of rank >= 1 with f16, bf16, f32 or f64 elements and no encoding, but got 'tensor<4x8xi8>'}}
  %r = "attn.sum_sq"(%x) : (tensor<4x8xi8>) -> tensor<4xi8>
  return %r : tensor<4xi8>
}

// -----

func.func @sum_sq_result_type(%x: tensor<4x8xf32>) -> tensor<4xf64> {
  // expected-error @+1 {{'attn.sum_sq' op expects result type 'tensor<4xf32>' (input without its last dimension), got 'tensor<4xf64>'}}
  %r = "attn.sum_sq"(%x) : (tensor<4x8xf32>) -> tensor<4xf64>
  return %r : tensor<4xf64>
}

// -----

func.func @sum_sq_integer_result(%x: tensor<4x8xf32>) -> tensor<4xi32> {
  // expected-error @+1 {{'attn.sum_sq' op result #0 must be ranked tensor of 16-bit float or bfloat16 type or 32-bit float or 64-bit float values, but got 'tensor<4xi32>'}}
  %r = "attn.sum_sq"(%x) : (tensor<4x8xf32>) -> tensor<4xi32>
  return %r : tensor<4xi32>
}

// -----

func.func @xent_rank0(%p: tensor<f32>, %q: tensor<f32>) -> tensor<f32> {
  // expected-error @+1 {{'attn.xent' op expects p of rank >= 1 (a last dimension to reduce), got 'tensor<f32>'}}
  %r = attn.xent %p, %q : tensor<f32>, tensor<f32>
  return %r : tensor<f32>
}

// -----

func.func @xent_element_type(%p: tensor<8xf32>, %q: tensor<8xf64>) -> tensor<f32> {
  // expected-error @+1 {{'attn.xent' op expects q element type 'f64' to match p element type 'f32'}}
  %r = attn.xent %p, %q : tensor<8xf32>, tensor<8xf64>
  return %r : tensor<f32>
}

// -----

func.func @xent_rank(%p: tensor<4x8xf32>, %q: tensor<8xf32>) -> tensor<4xf32> {
  // expected-error @+1 {{'attn.xent' op expects q of the rank of p (2), got 'tensor<8xf32>'}}
  %r = attn.xent %p, %q : tensor<4x8xf32>, tensor<8xf32>
  return %r : tensor<4xf32>
}

// -----

func.func @xent_shape(%p: tensor<4x8xf32>, %q: tensor<4x9xf32>) -> tensor<4xf32> {
  // expected-error @+1 {{'attn.xent' op expects q dimension 1 (9) to match p dimension 1 (8)}}
  %r = attn.xent %p, %q : tensor<4x8xf32>, tensor<4x9xf32>
  return %r : tensor<4xf32>
}

// -----

func.func @xent_result_type(%p: tensor<4x8xf32>, %q: tensor<4x8xf32>) -> tensor<4x8xf32> {
  // expected-error @+1 {{'attn.xent' op expects result type 'tensor<4xf32>' (p without its last dimension), got 'tensor<4x8xf32>'}}
  %r = "attn.xent"(%p, %q) : (tensor<4x8xf32>, tensor<4x8xf32>) -> tensor<4x8xf32>
  return %r : tensor<4x8xf32>
}

// -----

// Custom-form operand types are checked while parsing.
func.func @sum_sq_vector(%x: vector<4xf32>) {
  // expected-error @+1 {{custom op 'attn.sum_sq' invalid kind of type specified: expected builtin.tensor, but found 'vector<4xf32>'}}
  %r = attn.sum_sq %x : vector<4xf32>
  return
}

// -----

func.func @sum_sq_unranked(%x: tensor<*xf32>) {
  // expected-error @+1 {{custom op 'attn.sum_sq' invalid kind of type specified: expected builtin.tensor, but found 'tensor<*xf32>'}}
  %r = attn.sum_sq %x : tensor<*xf32>
  return
}

// -----

func.func @softmax_rank0(%x: tensor<f32>) {
  // expected-error @+1 {{'attn.softmax' op expects input of rank >= 1 (a last dimension to reduce), got 'tensor<f32>'}}
  %r = attn.softmax %x : tensor<f32>
  return
}

// -----

func.func @softmax_mask_element_type(%x: tensor<4x8xf32>, %m: tensor<4x8xf16>) {
  // expected-error @+1 {{'attn.softmax' op expects mask element type 'f16' to match input element type 'f32'}}
  %r = attn.softmax %x mask %m : tensor<4x8xf32>, tensor<4x8xf16>
  return
}

// -----

func.func @softmax_mask_rank(%x: tensor<2x3x4x8xf32>, %m: tensor<8xf32>) {
  // expected-error @+1 {{'attn.softmax' op expects mask of rank 2 ([M, N]) or of the rank of input (4), got 'tensor<8xf32>'}}
  %r = attn.softmax %x mask %m : tensor<2x3x4x8xf32>, tensor<8xf32>
  return
}

// -----

func.func @log_softmax_mask_shape(%x: tensor<2x4x8xf32>, %m: tensor<5x8xf32>) {
  // expected-error @+1 {{'attn.log_softmax' op expects mask dimension 0 (5) to match input dimension 1 (4)}}
  %r = attn.log_softmax %x mask %m : tensor<2x4x8xf32>, tensor<5x8xf32>
  return
}

// -----

func.func @logsumexp_causal_rank1(%x: tensor<8xf32>) {
  // expected-error @+1 {{'attn.logsumexp' op expects input of rank >= 2 ([..., M, N]) to be causally masked, got 'tensor<8xf32>'}}
  %r = attn.logsumexp %x causal : tensor<8xf32>
  return
}

// -----

func.func @softmax_masked_rows_value(%x: tensor<4x8xf32>) {
  // expected-error @+1 {{'attn.softmax' op attribute 'masked_rows' failed to satisfy constraint: what a fully masked row returns: zero or nan}}
  %r = "attn.softmax"(%x) {masked_rows = 7 : i32, operandSegmentSizes = array<i32: 1, 0, 0>} : (tensor<4x8xf32>) -> tensor<4x8xf32>
  return
}

// -----

func.func @softmax_masked_rows_keyword(%x: tensor<4x8xf32>) {
  // expected-error @+1 {{expected string or keyword containing one of the following enum values for attribute 'masked_rows' [zero, nan]}}
  %r = attn.softmax %x masked_rows = foo : tensor<4x8xf32>
  return
}

// -----

func.func @log_softmax_result_type(%x: tensor<4x8xf32>) {
  // expected-error @+1 {{'attn.log_softmax' op expects result type 'tensor<4x8xf32>' (the type of input), got 'tensor<4xf32>'}}
  %r = "attn.log_softmax"(%x) <{operandSegmentSizes = array<i32: 1, 0, 0>}> : (tensor<4x8xf32>) -> tensor<4xf32>
  return
}

// -----

func.func @logsumexp_result_type(%x: tensor<4x8xf32>) {
  // expected-error @+1 {{'attn.logsumexp' op expects result type 'tensor<4xf32>' (input without its last dimension), got 'tensor<4x8xf32>'}}
  %r = "attn.logsumexp"(%x) <{operandSegmentSizes = array<i32: 1, 0, 0>}> : (tensor<4x8xf32>) -> tensor<4x8xf32>
  return
}

// -----

func.func @xent_logits_float_target(%x: tensor<4x8xf32>, %t: tensor<4xf32>) {
  // expected-error @+1 {{'attn.xent_logits' op expects class probabilities of the logits' rank (2), got 'tensor<4xf32>'}}
  %r = "attn.xent_logits"(%x, %t) : (tensor<4x8xf32>, tensor<4xf32>) -> tensor<f32>
  return
}

// -----

func.func @xent_logits_integer_logits(%x: tensor<4x8xi32>, %t: tensor<4xi32>) {
  // expected-error @+1 {{'attn.xent_logits' op operand #0 must be ranked tensor of rank >= 1 with f16, bf16, f32 or f64 elements and no encoding, but got 'tensor<4x8xi32>'}}
  %r = "attn.xent_logits"(%x, %t) : (tensor<4x8xi32>, tensor<4xi32>) -> tensor<i32>
  return
}

// -----

func.func @xent_logits_target_rank(%x: tensor<4x8xf32>, %t: tensor<4x8xi64>) {
  // expected-error @+1 {{'attn.xent_logits' op expects target of rank 1 (logits without the class dimension), got 'tensor<4x8xi64>'}}
  %r = attn.xent_logits %x, %t : tensor<4x8xf32>, tensor<4x8xi64>
  return
}

// -----

func.func @xent_logits_target_shape(%x: tensor<4x8xf32>, %t: tensor<5xi64>) {
  // expected-error @+1 {{'attn.xent_logits' op expects target dimension 0 (5) to match logits dimension 0 (4)}}
  %r = attn.xent_logits %x, %t : tensor<4x8xf32>, tensor<5xi64>
  return
}

// -----

func.func @xent_logits_reduction_value(%x: tensor<4x8xf32>, %t: tensor<4xi64>) {
  // expected-error @+1 {{'attn.xent_logits' op attribute 'reduction' failed to satisfy constraint: how per-row losses are combined: none, sum or mean}}
  %r = "attn.xent_logits"(%x, %t) {reduction = 5 : i32} : (tensor<4x8xf32>, tensor<4xi64>) -> tensor<f32>
  return
}

// -----

func.func @xent_logits_none_result(%x: tensor<4x8xf32>, %t: tensor<4xi64>) {
  // expected-error @+1 {{'attn.xent_logits' op expects result type 'tensor<4xf32>' (logits without the class dimension), got 'tensor<f32>'}}
  %r = "attn.xent_logits"(%x, %t) <{reduction = 0 : i32}> : (tensor<4x8xf32>, tensor<4xi64>) -> tensor<f32>
  return
}

// -----

func.func @xent_logits_mean_result(%x: tensor<4x8xf32>, %t: tensor<4xi64>) {
  // expected-error @+1 {{'attn.xent_logits' op expects result type 'tensor<f32>' (a rank-0 tensor for a sum or mean), got 'tensor<4xf32>'}}
  %r = "attn.xent_logits"(%x, %t) : (tensor<4x8xf32>, tensor<4xi64>) -> tensor<4xf32>
  return
}

// -----

func.func @attention_rank(%q: tensor<1x1x2x4x8xf32>) {
  // expected-error @+1 {{'attn.attention' op expects query of rank 2 ([M, D]), 3 ([H, M, D]) or 4 ([B, H, M, D]), got 'tensor<1x1x2x4x8xf32>'}}
  %r = attn.attention %q, %q, %q : tensor<1x1x2x4x8xf32>, tensor<1x1x2x4x8xf32>, tensor<1x1x2x4x8xf32>
  return
}

// -----

func.func @attention_kv_rank(%q: tensor<2x4x8xf32>, %k: tensor<4x8xf32>) {
  // expected-error @+1 {{'attn.attention' op expects key and value of the rank of query (3), got 'tensor<4x8xf32>' and 'tensor<4x8xf32>'}}
  %r = attn.attention %q, %k, %k : tensor<2x4x8xf32>, tensor<4x8xf32>, tensor<4x8xf32>
  return
}

// -----

func.func @attention_element_type(%q: tensor<4x8xf32>, %k: tensor<4x8xf32>, %v: tensor<4x8xf16>) {
  // expected-error @+1 {{'attn.attention' op expects value element type 'f16' to match query element type 'f32'}}
  %r = attn.attention %q, %k, %v : tensor<4x8xf32>, tensor<4x8xf32>, tensor<4x8xf16>
  return
}

// -----

func.func @attention_batch(%q: tensor<2x4x8x16xf32>, %k: tensor<3x4x8x16xf32>) {
  // expected-error @+1 {{'attn.attention' op expects key dimension 0 (3) to match query dimension 0 (2)}}
  %r = attn.attention %q, %k, %k : tensor<2x4x8x16xf32>, tensor<3x4x8x16xf32>, tensor<3x4x8x16xf32>
  return
}

// -----

func.func @attention_head_dim(%q: tensor<4x8x16xf32>, %k: tensor<4x8x32xf32>) {
  // expected-error @+1 {{'attn.attention' op expects key dimension 2 (32) to match query dimension 2 (16)}}
  %r = attn.attention %q, %k, %k : tensor<4x8x16xf32>, tensor<4x8x32xf32>, tensor<4x8x32xf32>
  return
}

// -----

func.func @attention_kv_length(%q: tensor<8x16xf32>, %k: tensor<10x16xf32>, %v: tensor<12x16xf32>) {
  // expected-error @+1 {{'attn.attention' op expects value dimension 0 (12) to match key dimension 0 (10)}}
  %r = attn.attention %q, %k, %v : tensor<8x16xf32>, tensor<10x16xf32>, tensor<12x16xf32>
  return
}

// -----

func.func @attention_kv_heads(%q: tensor<4x8x16xf32>, %k: tensor<2x8x16xf32>, %v: tensor<1x8x16xf32>) {
  // expected-error @+1 {{'attn.attention' op expects value dimension 0 (1) to match key dimension 0 (2)}}
  %r = attn.attention %q, %k, %v : tensor<4x8x16xf32>, tensor<2x8x16xf32>, tensor<1x8x16xf32>
  return
}

// -----

func.func @attention_groups(%q: tensor<1x6x8x16xf32>, %k: tensor<1x4x8x16xf32>) {
  // expected-error @+1 {{'attn.attention' op expects the query heads (6) to be a multiple of the key/value heads (4)}}
  %r = attn.attention %q, %k, %k : tensor<1x6x8x16xf32>, tensor<1x4x8x16xf32>, tensor<1x4x8x16xf32>
  return
}

// -----

func.func @attention_scale(%q: tensor<8x16xf32>) {
  // expected-error @+1 {{'attn.attention' op expects a finite scale, got INF}}
  %r = "attn.attention"(%q, %q, %q) <{operandSegmentSizes = array<i32: 1, 1, 1, 0, 0, 0, 0, 0>, scale = 0x7FF0000000000000 : f64}> ({}, {}) : (tensor<8x16xf32>, tensor<8x16xf32>, tensor<8x16xf32>) -> tensor<8x16xf32>
  return
}

// -----

// The scores are scaled in f32 (f64 for f64): the scale must be finite there.
func.func @attention_scale_f32(%q: tensor<2x8xf32>) {
  // expected-error @+1 {{'attn.attention' op expects a scale finite in 'f32', got 1.000000e+39}}
  %r = attn.attention %q, %q, %q scale = 1.0e39 : tensor<2x8xf32>, tensor<2x8xf32>, tensor<2x8xf32>
  return
}

// -----

func.func @attention_scale_bf16(%q: tensor<2x8xbf16>) {
  // expected-error @+1 {{'attn.attention' op expects a scale finite in 'f32', got 1.000000e+39}}
  %r = attn.attention %q, %q, %q scale = 1.0e39 : tensor<2x8xbf16>, tensor<2x8xbf16>, tensor<2x8xbf16>
  return
}

// -----

func.func @attention_key_element_type(%q: tensor<4x8xf32>, %k: tensor<4x8xf16>) {
  // expected-error @+1 {{'attn.attention' op expects key element type 'f16' to match query element type 'f32'}}
  %r = attn.attention %q, %k, %q : tensor<4x8xf32>, tensor<4x8xf16>, tensor<4x8xf32>
  return
}

// -----

func.func @attention_value_batch(%q: tensor<2x4x8x16xf32>, %v: tensor<3x4x8x16xf32>) {
  // expected-error @+1 {{'attn.attention' op expects value dimension 0 (3) to match query dimension 0 (2)}}
  %r = attn.attention %q, %q, %v : tensor<2x4x8x16xf32>, tensor<2x4x8x16xf32>, tensor<3x4x8x16xf32>
  return
}

// -----

// The custom form infers the result type from query and value first.
func.func @attention_rank0_inferred(%q: tensor<f32>) {
  // expected-error @+1 {{'attn.attention' op expects ranked query and value tensors of rank >= 1}}
  %r = attn.attention %q, %q, %q : tensor<f32>, tensor<f32>, tensor<f32>
  return
}

// -----

func.func @softmax_encoding(%x: tensor<4x8xf32, "enc">) {
  // expected-error @+1 {{'attn.softmax' op operand #0 must be ranked tensor of rank >= 1 with f16, bf16, f32 or f64 elements and no encoding, but got 'tensor<4x8xf32, "enc">'}}
  %r = "attn.softmax"(%x) <{operandSegmentSizes = array<i32: 1, 0, 0>}> : (tensor<4x8xf32, "enc">) -> tensor<4x8xf32>
  return
}

// -----

func.func @xent_logits_target_encoding(%z: tensor<4x8xf32>, %t: tensor<4xi64, "enc">) {
  // expected-error @+1 {{'attn.xent_logits' op operand #1 must be ranked tensor of i32 or i64 class indices, or of f16, bf16, f32 or f64 class probabilities, with no encoding, but got 'tensor<4xi64, "enc">'}}
  %r = "attn.xent_logits"(%z, %t) : (tensor<4x8xf32>, tensor<4xi64, "enc">) -> tensor<f32>
  return
}

// -----

func.func @xent_logits_rank0_inferred(%z: tensor<f32>, %t: tensor<i64>) {
  // expected-error @+1 {{'attn.xent_logits' op expects logits of rank >= 1 (a last dimension to reduce), got 'tensor<f32>'}}
  %r = attn.xent_logits %z, %t : tensor<f32>, tensor<i64>
  return
}

// -----

func.func @attention_mask_element_type(%q: tensor<8x16xf32>, %m: tensor<8x8xf64>) {
  // expected-error @+1 {{'attn.attention' op expects mask element type 'f64' to match query element type 'f32'}}
  %r = attn.attention %q, %q, %q mask %m : tensor<8x16xf32>, tensor<8x16xf32>, tensor<8x16xf32>, tensor<8x8xf64>
  return
}

// -----

func.func @attention_mask_rank(%q: tensor<8x16xf32>, %m: tensor<1x8x8xf32>) {
  // expected-error @+1 {{'attn.attention' op expects mask of rank <= 2 (broadcastable to the scores), got 'tensor<1x8x8xf32>'}}
  %r = attn.attention %q, %q, %q mask %m : tensor<8x16xf32>, tensor<8x16xf32>, tensor<8x16xf32>, tensor<1x8x8xf32>
  return
}

// -----

func.func @attention_mask_shape(%q: tensor<2x4x8x16xf32>, %k: tensor<2x4x10x16xf32>, %m: tensor<3x1x8x10xf32>) {
  // expected-error @+1 {{'attn.attention' op expects mask dimension 0 (3) to be 1 or the scores' dimension 0 (2)}}
  %r = attn.attention %q, %k, %k mask %m : tensor<2x4x8x16xf32>, tensor<2x4x10x16xf32>, tensor<2x4x10x16xf32>, tensor<3x1x8x10xf32>
  return
}

// -----

func.func @attention_result_type(%q: tensor<8x16xf32>, %v: tensor<8x4xf32>) {
  // expected-error @+1 {{'attn.attention' op expects result type 'tensor<8x4xf32>' (query with the last dimension of value), got 'tensor<8x16xf32>'}}
  %r = "attn.attention"(%q, %q, %v) <{operandSegmentSizes = array<i32: 1, 1, 1, 0, 0, 0, 0, 0>}> ({}, {}) : (tensor<8x16xf32>, tensor<8x16xf32>, tensor<8x4xf32>) -> tensor<8x16xf32>
  return
}

// -----

func.func @attention_masked_rows(%q: tensor<8x16xf32>) {
  // expected-error @+1 {{'attn.attention' op attribute 'masked_rows' failed to satisfy constraint: what a fully masked row returns: zero or nan}}
  %r = "attn.attention"(%q, %q, %q) ({}, {}) {masked_rows = 3 : i32, operandSegmentSizes = array<i32: 1, 1, 1, 0, 0, 0, 0, 0>} : (tensor<8x16xf32>, tensor<8x16xf32>, tensor<8x16xf32>) -> tensor<8x16xf32>
  return
}

// -----

func.func @xent_logits_ignore_index_range(%x: tensor<4x8xf32>, %t: tensor<4xi32>) {
  // expected-error @+1 {{'attn.xent_logits' op expects ignore_index (4294967196) to fit the target element type 'i32'}}
  %r = attn.xent_logits %x, %t ignore_index = 4294967196 : tensor<4x8xf32>, tensor<4xi32>
  return
}

// -----

// The discardable attn attributes: unit attributes, each on its one op.

func.func @nonpositive_not_unit(%x: f32) -> f32 {
  // expected-error @+1 {{'attn.nonpositive' must be a unit attribute}}
  %0 = math.exp2 %x {attn.nonpositive = 1 : i32} : f32
  return %0 : f32
}

// -----

func.func @nonpositive_on_log(%x: f32) -> f32 {
  // expected-error @+1 {{'attn.nonpositive' applies to 'math.exp' and 'math.exp2' only}}
  %0 = math.log %x {attn.nonpositive} : f32
  return %0 : f32
}

// -----

func.func @nonpositive_exp_not_unit(%x: f32) -> f32 {
  // expected-error @+1 {{'attn.nonpositive' must be a unit attribute}}
  %0 = math.exp %x {attn.nonpositive = 1 : i32} : f32
  return %0 : f32
}

// -----

func.func @denormal_scaled_on_exp2(%x: f32) -> f32 {
  // expected-error @+1 {{'attn.denormal_scaled' applies to 'math.log' only}}
  %0 = math.exp2 %x {attn.denormal_scaled} : f32
  return %0 : f32
}

// -----

func.func @unknown_attn_attribute(%x: f32) -> f32 {
  // expected-error @+1 {{unknown attn attribute 'attn.positive'}}
  %0 = math.exp2 %x {attn.positive} : f32
  return %0 : f32
}

// -----

// No longer an attn attribute: the online softmax is recognized by its math.
func.func @online_softmax_attribute(%x: f32) -> f32 {
  // expected-error @+1 {{unknown attn attribute 'attn.online_softmax'}}
  %0 = math.exp %x {attn.online_softmax} : f32
  return %0 : f32
}

// -----

func.func @diagonal_without_causal(%x: tensor<8x16xf32>, %d: index) {
  // expected-error @+1 {{'attn.softmax' op expects 'diagonal' only with 'causal' (it places the causal mask's diagonal)}}
  %r = attn.softmax %x diagonal %d : tensor<8x16xf32>
  return
}

// -----

func.func @attention_diagonal_without_causal(%x: tensor<8x16xf32>, %d: index) {
  // expected-error @+1 {{'attn.attention' op expects 'diagonal' only with 'causal'}}
  %r = attn.attention %x, %x, %x diagonal %d : tensor<8x16xf32>, tensor<8x16xf32>, tensor<8x16xf32>
  return
}

// -----

func.func @online_attention_acc_rank(%q: tensor<8x16xf32>, %acc: tensor<8xf32>, %m: tensor<8xf32>) {
  // expected-error @+1 {{'attn.online_attention' op expects acc of rank 2 (the query's with the value's features), got 'tensor<8xf32>'}}
  %r:3 = attn.online_attention %q, %q, %q into %acc, %m, %m : tensor<8x16xf32>, tensor<8x16xf32>, tensor<8x16xf32> -> tensor<8xf32>, tensor<8xf32>, tensor<8xf32>
  return
}

// -----

func.func @online_attention_max_rank(%q: tensor<8x16xf32>, %acc: tensor<8x16xf32>, %m: tensor<8x1xf32>, %l: tensor<8xf32>) {
  // expected-error @+1 {{'attn.online_attention' op expects max of rank 1 (the query's without its features), got 'tensor<8x1xf32>'}}
  %r:3 = attn.online_attention %q, %q, %q into %acc, %m, %l : tensor<8x16xf32>, tensor<8x16xf32>, tensor<8x16xf32> -> tensor<8x16xf32>, tensor<8x1xf32>, tensor<8xf32>
  return
}

// -----

func.func @online_attention_acc_features(%q: tensor<8x16xf32>, %v: tensor<8x4xf32>, %acc: tensor<8x16xf32>, %m: tensor<8xf32>) {
  // expected-error @+1 {{'attn.online_attention' op expects acc dimension 1 (16) to match value dimension 1 (4)}}
  %r:3 = attn.online_attention %q, %q, %v into %acc, %m, %m : tensor<8x16xf32>, tensor<8x16xf32>, tensor<8x4xf32> -> tensor<8x16xf32>, tensor<8xf32>, tensor<8xf32>
  return
}

// -----

func.func @online_attention_sum_rows(%q: tensor<8x16xf32>, %acc: tensor<8x16xf32>, %m: tensor<8xf32>, %l: tensor<7xf32>) {
  // expected-error @+1 {{'attn.online_attention' op expects sum dimension 0 (7) to match query dimension 0 (8)}}
  %r:3 = attn.online_attention %q, %q, %q into %acc, %m, %l : tensor<8x16xf32>, tensor<8x16xf32>, tensor<8x16xf32> -> tensor<8x16xf32>, tensor<8xf32>, tensor<7xf32>
  return
}

// -----

func.func @online_attention_f16(%q: tensor<8x16xf16>, %acc: tensor<8x16xf16>, %m: tensor<8xf16>) {
  // expected-error @+1 {{'attn.online_attention' op expects an f32 or f64 state, got 'f16'}}
  %r:3 = attn.online_attention %q, %q, %q into %acc, %m, %m : tensor<8x16xf16>, tensor<8x16xf16>, tensor<8x16xf16> -> tensor<8x16xf16>, tensor<8xf16>, tensor<8xf16>
  return
}

// -----

func.func @online_attention_state_type(%q: tensor<8x16xf32>, %acc: tensor<8x16xf32>, %m: tensor<8xf64>, %l: tensor<8xf32>) {
  // expected-error @+1 {{'attn.online_attention' op expects max element type 'f64' to match acc element type 'f32'}}
  %r:3 = attn.online_attention %q, %q, %q into %acc, %m, %l : tensor<8x16xf32>, tensor<8x16xf32>, tensor<8x16xf32> -> tensor<8x16xf32>, tensor<8xf64>, tensor<8xf32>
  return
}

// -----

func.func @online_attention_mixed_f64(%q: tensor<8x16xbf16>, %acc: tensor<8x16xf64>, %m: tensor<8xf64>) {
  // expected-error @+1 {{'attn.online_attention' op expects query, key and value of the state's type, or bf16 or f16 with an f32 state, got 'bf16' with 'f64'}}
  %r:3 = attn.online_attention %q, %q, %q into %acc, %m, %m : tensor<8x16xbf16>, tensor<8x16xbf16>, tensor<8x16xbf16> -> tensor<8x16xf64>, tensor<8xf64>, tensor<8xf64>
  return
}

// -----

func.func @online_attention_mixed_mask(%q: tensor<8x16xbf16>, %mask: tensor<8x8xbf16>, %acc: tensor<8x16xf32>, %m: tensor<8xf32>) {
  // expected-error @+1 {{'attn.online_attention' op expects mask element type 'bf16' to match acc element type 'f32'}}
  %r:3 = attn.online_attention %q, %q, %q mask %mask into %acc, %m, %m : tensor<8x16xbf16>, tensor<8x16xbf16>, tensor<8x16xbf16>, tensor<8x8xbf16> -> tensor<8x16xf32>, tensor<8xf32>, tensor<8xf32>
  return
}

// -----

func.func @online_attention_heads(%q: tensor<3x8x16xf32>, %k: tensor<2x8x16xf32>, %acc: tensor<3x8x16xf32>, %m: tensor<3x8xf32>) {
  // expected-error @+1 {{'attn.online_attention' op expects the query heads (3) to be a multiple of the key/value heads (2)}}
  %r:3 = attn.online_attention %q, %k, %k into %acc, %m, %m : tensor<3x8x16xf32>, tensor<2x8x16xf32>, tensor<2x8x16xf32> -> tensor<3x8x16xf32>, tensor<3x8xf32>, tensor<3x8xf32>
  return
}

// -----

func.func @online_attention_diagonal(%q: tensor<8x16xf32>, %acc: tensor<8x16xf32>, %m: tensor<8xf32>, %d: index) {
  // expected-error @+1 {{'attn.online_attention' op expects 'diagonal' only with 'causal'}}
  %r:3 = attn.online_attention %q, %q, %q diagonal %d into %acc, %m, %m : tensor<8x16xf32>, tensor<8x16xf32>, tensor<8x16xf32> -> tensor<8x16xf32>, tensor<8xf32>, tensor<8xf32>
  return
}
