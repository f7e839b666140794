func.func @masked_max(%s: tensor<4x64x256xf32>, %m: tensor<64x256xf32>) -> tensor<4x64xf32> {
  %r = attn.masked_max %s, %m : tensor<4x64x256xf32>, tensor<64x256xf32>
  return %r : tensor<4x64xf32>
}
func.func @sum_sq(%x: tensor<64x256xf32>) -> tensor<64xf32> {
  %r = attn.sum_sq %x : tensor<64x256xf32>
  return %r : tensor<64xf32>
}
func.func @xent(%p: tensor<64x256xf32>, %q: tensor<64x256xf32>) -> tensor<64xf32> {
  %r = attn.xent %p, %q : tensor<64x256xf32>, tensor<64x256xf32>
  return %r : tensor<64xf32>
}
func.func @softmax(%x: tensor<4x64x256xf32>, %m: tensor<64x256xf32>) -> tensor<4x64x256xf32> {
  %r = attn.softmax %x mask %m : tensor<4x64x256xf32>, tensor<64x256xf32>
  return %r : tensor<4x64x256xf32>
}
