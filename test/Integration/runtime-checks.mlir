// Checked mode (the default): dynamic sizes that disagree stop the program
// with a message naming the op, its location and the rule, instead of an
// out-of-bounds read.
// RUN: attn-opt %s --attn-lower-to-llvm | not --crash mlir-runner -e main -entry-point-result=void -shared-libs=%mlir_runner_utils,%mlir_c_runner_utils 2>&1 | FileCheck %s

// CHECK: attn.masked_max ({{.*}}runtime-checks.mlir:[[@LINE+2]]:8): mask dimension 1 does not match scores dimension 2
func.func @masked_max(%s: tensor<?x?x?xf32>, %m: tensor<?x?xf32>) -> tensor<?x?xf32> {
  %r = attn.masked_max %s, %m : tensor<?x?x?xf32>, tensor<?x?xf32>
  return %r : tensor<?x?xf32>
}

func.func @main() {
  %s = arith.constant dense<1.0> : tensor<2x3x4xf32>
  %m = arith.constant dense<0.0> : tensor<3x5xf32>
  %sd = tensor.cast %s : tensor<2x3x4xf32> to tensor<?x?x?xf32>
  %md = tensor.cast %m : tensor<3x5xf32> to tensor<?x?xf32>
  %r = call @masked_max(%sd, %md) : (tensor<?x?x?xf32>, tensor<?x?xf32>) -> tensor<?x?xf32>
  return
}
