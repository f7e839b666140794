// RUN: attn-opt %s --generate-runtime-verification --split-input-file | FileCheck %s

// One assert per size rule whose sizes are not both static, with the op,
// its location and the rule in the message.
// CHECK-LABEL: func.func @masked_max(
// CHECK-SAME:    %[[S:[a-zA-Z0-9_]+]]: tensor<?x8x?xf32>, %[[M:[a-zA-Z0-9_]+]]: tensor<8x?xf32>)
// CHECK:         %[[MD:.*]] = tensor.dim %[[M]], %{{.*}} : tensor<8x?xf32>
// CHECK:         %[[SD:.*]] = tensor.dim %[[S]], %{{.*}} : tensor<?x8x?xf32>
// CHECK:         %[[EQ:.*]] = arith.cmpi eq, %[[MD]], %[[SD]] : index
// CHECK:         cf.assert %[[EQ]], "attn.masked_max ({{.*}}runtime-verification.mlir:14:8): mask dimension 1 does not match scores dimension 2"
// CHECK-NOT:     cf.assert
// CHECK:         = attn.masked_max
func.func @masked_max(%s: tensor<?x8x?xf32>, %m: tensor<8x?xf32>) -> tensor<?x8xf32> {
  %r = attn.masked_max %s, %m : tensor<?x8x?xf32>, tensor<8x?xf32>
  return %r : tensor<?x8xf32>
}

// -----

// Static shapes need no check.
// CHECK-LABEL: func.func @static(
// CHECK-NOT:     cf.assert
func.func @static(%p: tensor<4x8xf32>, %q: tensor<4x8xf32>) -> tensor<4xf32> {
  %r = attn.xent %p, %q : tensor<4x8xf32>, tensor<4x8xf32>
  return %r : tensor<4xf32>
}

// -----

// Attention: batch of keys and values, head dim, keys of the values, and the
// mask's non-unit dims (the kv heads, 2 of 4, are static).
// CHECK-LABEL: func.func @attention(
// CHECK:         cf.assert %{{.*}}, "attn.attention ({{.*}}): key dimension 0 does not match query dimension 0"
// CHECK:         cf.assert %{{.*}}, "attn.attention ({{.*}}): value dimension 0 does not match query dimension 0"
// CHECK:         cf.assert %{{.*}}, "attn.attention ({{.*}}): key dimension 3 does not match query dimension 3"
// CHECK:         cf.assert %{{.*}}, "attn.attention ({{.*}}): value dimension 2 does not match key dimension 2"
// CHECK:         cf.assert %{{.*}}, "attn.attention ({{.*}}): mask dimension 2 does not match query dimension 2"
// CHECK:         cf.assert %{{.*}}, "attn.attention ({{.*}}): mask dimension 3 does not match key dimension 2"
// CHECK-NOT:     cf.assert
// CHECK:         = attn.attention
func.func @attention(%q: tensor<?x4x?x?xf32>, %k: tensor<?x2x?x?xf32>, %v: tensor<?x2x?x?xf32>, %m: tensor<1x1x?x?xf32>) -> tensor<?x4x?x?xf32> {
  %r = attn.attention %q, %k, %v mask %m : tensor<?x4x?x?xf32>, tensor<?x2x?x?xf32>, tensor<?x2x?x?xf32>, tensor<1x1x?x?xf32>
  return %r : tensor<?x4x?x?xf32>
}
