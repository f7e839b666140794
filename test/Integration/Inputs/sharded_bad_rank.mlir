// A row maximum with its last dimension split over two processes and a
// dynamic row count that each process's run-time checks verify.
module {
shard.grid @procs(shape = 2)
func.func @row_max(%x: tensor<?x64xf32>, %m: tensor<?x64xf32>) -> tensor<?xf32> {
  %split = shard.sharding @procs split_axes = [[], [0]] : !shard.sharding
  %xp = shard.shard %x to %split : tensor<?x64xf32>
  %mp = shard.shard %m to %split : tensor<?x64xf32>
  %r = attn.masked_max %xp, %mp : tensor<?x64xf32>, tensor<?x64xf32>
  return %r : tensor<?xf32>
}
}
