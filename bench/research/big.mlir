func.func @masked_max(%s: tensor<16x2048x2048xf32>, %m: tensor<2048x2048xf32>) -> tensor<16x2048xf32> {
  %r = attn.masked_max %s, %m : tensor<16x2048x2048xf32>, tensor<2048x2048xf32>
  return %r : tensor<16x2048xf32>
}
func.func @sum_sq(%x: tensor<8192x8192xf32>) -> tensor<8192xf32> {
  %r = attn.sum_sq %x : tensor<8192x8192xf32>
  return %r : tensor<8192xf32>
}
func.func @xent(%p: tensor<2048x32000xf32>, %q: tensor<2048x32000xf32>) -> tensor<2048xf32> {
  %r = attn.xent %p, %q : tensor<2048x32000xf32>, tensor<2048x32000xf32>
  return %r : tensor<2048xf32>
}
func.func @softmax(%x: tensor<16x2048x2048xf32>, %m: tensor<2048x2048xf32>) -> tensor<16x2048x2048xf32> {
  %r = attn.softmax %x mask %m : tensor<16x2048x2048xf32>, tensor<2048x2048xf32>
  return %r : tensor<16x2048x2048xf32>
}
