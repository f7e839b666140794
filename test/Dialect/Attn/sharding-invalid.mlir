// RUN: attn-opt %s -split-input-file -verify-diagnostics --pass-pipeline='builtin.module(func.func(sharding-propagation,shard-partition))'

// Splits the interface cannot partition are located errors.

shard.grid @procs(shape = 2)

func.func @bf16_reduced(%x: tensor<8x64xbf16>) -> tensor<8xbf16> {
  %s = shard.sharding @procs split_axes = [[], [0]] : !shard.sharding
  %xs = shard.shard %x to %s : tensor<8x64xbf16>
  // expected-error @+1 {{'attn.sum_sq' op splits its reduced dimension for f32 and f64 only (the collectives' types)}}
  %r = attn.sum_sq %xs : tensor<8x64xbf16>
  return %r : tensor<8xbf16>
}

// -----

shard.grid @procs(shape = 2)

func.func @smoothed_classes(%z: tensor<8x64xf32>, %t: tensor<8xi64>) -> tensor<8xf32> {
  %s = shard.sharding @procs split_axes = [[], [0]] : !shard.sharding
  %zs = shard.shard %z to %s : tensor<8x64xf32>
  // expected-error @+1 {{'attn.xent_logits' op splits its classes for class index targets without weight or label smoothing only}}
  %r = attn.xent_logits %zs, %t reduction = none label_smoothing = 1.000000e-01 : tensor<8x64xf32>, tensor<8xi64>
  return %r : tensor<8xf32>
}

// -----

shard.grid @procs(shape = 2)

func.func @attention_features(%q: tensor<2x16x8xf32>, %k: tensor<2x32x8xf32>, %v: tensor<2x32x8xf32>) -> tensor<2x16x8xf32> {
  %s = shard.sharding @procs split_axes = [[], [], [0]] : !shard.sharding
  %qs = shard.shard %q to %s : tensor<2x16x8xf32>
  // expected-error @+1 {{'attn.attention' op cannot split the features of the query and key (and of the value in the backward)}}
  %o = attn.attention %qs, %k, %v : tensor<2x16x8xf32>, tensor<2x32x8xf32>, tensor<2x32x8xf32>
  return %o : tensor<2x16x8xf32>
}

// -----

shard.grid @procs(shape = 2)

func.func @linear_xent_weighted_classes(%h: tensor<16x32xf32>, %w: tensor<128x32xf32>, %t: tensor<16xi64>, %cw: tensor<128xf32>) -> tensor<16xf32> {
  %s = shard.sharding @procs split_axes = [[0]] : !shard.sharding
  %ws = shard.shard %w to %s : tensor<128x32xf32>
  // expected-error @+1 {{'attn.linear_xent' op splits its classes without weight or label smoothing only}}
  %l = attn.linear_xent %h, %ws, %t weight %cw reduction = none : tensor<16x32xf32>, tensor<128x32xf32>, tensor<16xi64> weight tensor<128xf32>
  return %l : tensor<16xf32>
}

// -----

shard.grid @procs(shape = 2)

func.func @backward_features(%g: tensor<2x16x8xf32>, %q: tensor<2x16x8xf32>, %k: tensor<2x32x8xf32>, %v: tensor<2x32x8xf32>, %o: tensor<2x16x8xf32>, %lse: tensor<2x16xf32>) -> tensor<2x16x8xf32> {
  %s = shard.sharding @procs split_axes = [[], [], [0]] : !shard.sharding
  %vs = shard.shard %v to %s : tensor<2x32x8xf32>
  // expected-error @+1 {{'attn.attention_backward' op cannot split the features of the query and key (and of the value in the backward)}}
  %dq, %dk, %dv = attn.attention_backward %g, %q, %k, %vs, %o, %lse : tensor<2x16x8xf32>, tensor<2x16x8xf32>, tensor<2x32x8xf32>, tensor<2x32x8xf32>, tensor<2x16x8xf32>, tensor<2x16xf32>
  return %dq : tensor<2x16x8xf32>
}

// -----

shard.grid @procs(shape = 2)

func.func @mean_gradient_rows(%g: tensor<f32>, %z: tensor<16x128xf32>, %t: tensor<16xi64>) -> tensor<16x128xf32> {
  %s = shard.sharding @procs split_axes = [[0]] : !shard.sharding
  %zs = shard.shard %z to %s : tensor<16x128xf32>
  // expected-error @+1 {{'attn.xent_logits_backward' op cannot split the rows of a mean's gradient (it divides by the kept rows of every process)}}
  %dz = attn.xent_logits_backward %g, %zs, %t : tensor<f32>, tensor<16x128xf32>, tensor<16xi64>
  return %dz : tensor<16x128xf32>
}
