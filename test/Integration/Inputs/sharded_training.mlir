// Training ops split over two processes: the fused linear cross-entropy
// with its classifier split by classes (rows split for a mean), and the
// attention backward with its keys (or queries) split.
module {
shard.grid @procs(shape = 2)

func.func @linear_xent_classes(%h: tensor<16x32xf32>, %w: tensor<128x32xf32>,
                               %t: tensor<16xi64>, %bias: tensor<128xf32>)
    -> (tensor<16xf32>, tensor<16xf32>) {
  %split = shard.sharding @procs split_axes = [[0]] : !shard.sharding
  %ws = shard.shard %w to %split : tensor<128x32xf32>
  %bs = shard.shard %bias to %split : tensor<128xf32>
  %loss, %lse = attn.linear_xent %h, %ws, %t bias %bs reduction = none
      z_loss = 1.000000e-02 softcap = 3.000000e+01 with_lse
      : tensor<16x32xf32>, tensor<128x32xf32>, tensor<16xi64>, tensor<128xf32>
  return %loss, %lse : tensor<16xf32>, tensor<16xf32>
}

func.func @linear_xent_rows_mean(%h: tensor<16x32xf32>, %w: tensor<128x32xf32>,
                                 %t: tensor<16xi64>) -> tensor<f32> {
  %split = shard.sharding @procs split_axes = [[0]] : !shard.sharding
  %hs = shard.shard %h to %split : tensor<16x32xf32>
  %ts = shard.shard %t to %split : tensor<16xi64>
  %loss = attn.linear_xent %hs, %w, %ts
      : tensor<16x32xf32>, tensor<128x32xf32>, tensor<16xi64>
  return %loss : tensor<f32>
}

func.func @attention_backward_keys(%g: tensor<2x16x8xf32>, %q: tensor<2x16x8xf32>,
    %k: tensor<2x32x8xf32>, %v: tensor<2x32x8xf32>, %o: tensor<2x16x8xf32>,
    %lse: tensor<2x16xf32>)
    -> (tensor<2x16x8xf32>, tensor<2x32x8xf32>, tensor<2x32x8xf32>) {
  %split = shard.sharding @procs split_axes = [[], [0]] : !shard.sharding
  %ks = shard.shard %k to %split : tensor<2x32x8xf32>
  %vs = shard.shard %v to %split : tensor<2x32x8xf32>
  %dq, %dk, %dv = attn.attention_backward %g, %q, %ks, %vs, %o, %lse causal
      : tensor<2x16x8xf32>, tensor<2x16x8xf32>, tensor<2x32x8xf32>,
        tensor<2x32x8xf32>, tensor<2x16x8xf32>, tensor<2x16xf32>
  return %dq, %dk, %dv : tensor<2x16x8xf32>, tensor<2x32x8xf32>, tensor<2x32x8xf32>
}

func.func @attention_backward_rows(%g: tensor<2x16x8xf32>, %q: tensor<2x16x8xf32>,
    %k: tensor<2x32x8xf32>, %v: tensor<2x32x8xf32>, %o: tensor<2x16x8xf32>,
    %lse: tensor<2x16xf32>)
    -> (tensor<2x16x8xf32>, tensor<2x32x8xf32>, tensor<2x32x8xf32>) {
  %split = shard.sharding @procs split_axes = [[], [0]] : !shard.sharding
  %gs = shard.shard %g to %split : tensor<2x16x8xf32>
  %qs = shard.shard %q to %split : tensor<2x16x8xf32>
  %os = shard.shard %o to %split : tensor<2x16x8xf32>
  %rows = shard.sharding @procs split_axes = [[], [0]] : !shard.sharding
  %ls = shard.shard %lse to %rows : tensor<2x16xf32>
  %dq, %dk, %dv = attn.attention_backward %gs, %qs, %k, %v, %os, %ls causal
      : tensor<2x16x8xf32>, tensor<2x16x8xf32>, tensor<2x32x8xf32>,
        tensor<2x32x8xf32>, tensor<2x16x8xf32>, tensor<2x16xf32>
  return %dq, %dk, %dv : tensor<2x16x8xf32>, tensor<2x32x8xf32>, tensor<2x32x8xf32>
}

func.func @xent_logits_backward_classes(%g: tensor<16xf32>, %z: tensor<16x128xf32>,
                                        %t: tensor<16xi64>) -> tensor<16x128xf32> {
  %split = shard.sharding @procs split_axes = [[], [0]] : !shard.sharding
  %zs = shard.shard %z to %split : tensor<16x128xf32>
  %dz = attn.xent_logits_backward %g, %zs, %t reduction = none
      z_loss = 1.000000e-02 softcap = 3.000000e+01
      : tensor<16xf32>, tensor<16x128xf32>, tensor<16xi64>
  return %dz : tensor<16x128xf32>
}

func.func @xent_logits_backward_mean(%g: tensor<f32>, %z: tensor<16x128xf32>,
                                     %t: tensor<16xi64>) -> tensor<16x128xf32> {
  %split = shard.sharding @procs split_axes = [[], [0]] : !shard.sharding
  %zs = shard.shard %z to %split : tensor<16x128xf32>
  %dz = attn.xent_logits_backward %g, %zs, %t
      : tensor<f32>, tensor<16x128xf32>, tensor<16xi64>
  return %dz : tensor<16x128xf32>
}

func.func @linear_xent_backward_classes(%g: tensor<16xf32>, %h: tensor<16x32xf32>,
    %w: tensor<128x32xf32>, %t: tensor<16xi64>, %lse: tensor<16xf32>,
    %bias: tensor<128xf32>) -> (tensor<16x32xf32>, tensor<128x32xf32>, tensor<128xf32>) {
  %split = shard.sharding @procs split_axes = [[0]] : !shard.sharding
  %ws = shard.shard %w to %split : tensor<128x32xf32>
  %bs = shard.shard %bias to %split : tensor<128xf32>
  %dh, %dw, %db = attn.linear_xent_backward %g, %h, %ws, %t, %lse bias %bs
      reduction = none z_loss = 1.000000e-02 softcap = 3.000000e+01
      : tensor<16xf32>, tensor<16x32xf32>, tensor<128x32xf32>, tensor<16xi64>,
        tensor<16xf32>, tensor<128xf32>
  return %dh, %dw, %db : tensor<16x32xf32>, tensor<128x32xf32>, tensor<128xf32>
}

func.func @linear_xent_backward_rows(%g: tensor<f32>, %h: tensor<16x32xf32>,
    %w: tensor<128x32xf32>, %t: tensor<16xi64>, %lse: tensor<16xf32>)
    -> (tensor<16x32xf32>, tensor<128x32xf32>) {
  %split = shard.sharding @procs split_axes = [[0]] : !shard.sharding
  %hs = shard.shard %h to %split : tensor<16x32xf32>
  %ts = shard.shard %t to %split : tensor<16xi64>
  %ls = shard.shard %lse to %split : tensor<16xf32>
  %dh, %dw = attn.linear_xent_backward %g, %hs, %w, %ts, %ls reduction = sum
      : tensor<f32>, tensor<16x32xf32>, tensor<128x32xf32>, tensor<16xi64>,
        tensor<16xf32>
  return %dh, %dw : tensor<16x32xf32>, tensor<128x32xf32>
}

func.func @softmax_backward_classes(%dy: tensor<16x128xf32>, %y: tensor<16x128xf32>)
    -> tensor<16x128xf32> {
  %split = shard.sharding @procs split_axes = [[], [0]] : !shard.sharding
  %dys = shard.shard %dy to %split : tensor<16x128xf32>
  %ys = shard.shard %y to %split : tensor<16x128xf32>
  %dx = attn.softmax_backward %dys, %ys : tensor<16x128xf32>, tensor<16x128xf32>
  return %dx : tensor<16x128xf32>
}

func.func @log_softmax_backward_classes(%dy: tensor<16x128xf32>, %y: tensor<16x128xf32>)
    -> tensor<16x128xf32> {
  %split = shard.sharding @procs split_axes = [[], [0]] : !shard.sharding
  %dys = shard.shard %dy to %split : tensor<16x128xf32>
  %ys = shard.shard %y to %split : tensor<16x128xf32>
  %dx = attn.log_softmax_backward %dys, %ys : tensor<16x128xf32>, tensor<16x128xf32>
  return %dx : tensor<16x128xf32>
}

func.func @masked_max_backward_classes(%g: tensor<16xf32>, %x: tensor<16x128xf32>,
    %m: tensor<16x128xf32>, %o: tensor<16xf32>) -> tensor<16x128xf32> {
  %split = shard.sharding @procs split_axes = [[], [0]] : !shard.sharding
  %xs = shard.shard %x to %split : tensor<16x128xf32>
  %ms = shard.shard %m to %split : tensor<16x128xf32>
  %dx = attn.masked_max_backward %g, %xs, %ms, %o
      : tensor<16xf32>, tensor<16x128xf32>, tensor<16x128xf32>, tensor<16xf32>
  return %dx : tensor<16x128xf32>
}
}
