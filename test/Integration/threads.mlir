// Two threads (OpenMP) give the single-threaded results.
// RUN: attn-opt %s --attn-lower-to-llvm=threads=2 | mlir-runner -e main -entry-point-result=void -shared-libs=%mlir_runner_utils,%mlir_c_runner_utils,%libomp | FileCheck %s

// Row r of x is r + 1 everywhere (8 columns): sum_sq = 8 (r + 1)^2, and a
// softmax of equal entries is 1/8 = 0.125.
func.func @sum_sq(%x: tensor<6x8xf32>) -> tensor<6xf32> {
  %r = attn.sum_sq %x : tensor<6x8xf32>
  return %r : tensor<6xf32>
}
func.func @softmax(%x: tensor<6x8xf32>) -> tensor<6x8xf32> {
  %r = attn.softmax %x : tensor<6x8xf32>
  return %r : tensor<6x8xf32>
}
func.func private @printMemrefF32(tensor<*xf32>)

func.func @main() {
  %x = arith.constant dense<[[1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0],
                             [2.0, 2.0, 2.0, 2.0, 2.0, 2.0, 2.0, 2.0],
                             [3.0, 3.0, 3.0, 3.0, 3.0, 3.0, 3.0, 3.0],
                             [4.0, 4.0, 4.0, 4.0, 4.0, 4.0, 4.0, 4.0],
                             [5.0, 5.0, 5.0, 5.0, 5.0, 5.0, 5.0, 5.0],
                             [6.0, 6.0, 6.0, 6.0, 6.0, 6.0, 6.0, 6.0]]> : tensor<6x8xf32>
  %s = call @sum_sq(%x) : (tensor<6x8xf32>) -> tensor<6xf32>
  %su = tensor.cast %s : tensor<6xf32> to tensor<*xf32>
  call @printMemrefF32(%su) : (tensor<*xf32>) -> ()
  // CHECK: sizes = [6]
  // CHECK-NEXT: [8, 32, 72, 128, 200, 288]
  %p = call @softmax(%x) : (tensor<6x8xf32>) -> tensor<6x8xf32>
  %pu = tensor.cast %p : tensor<6x8xf32> to tensor<*xf32>
  call @printMemrefF32(%pu) : (tensor<*xf32>) -> ()
  // CHECK: sizes = [6, 8]
  // CHECK-COUNT-6: 0.125,   0.125,   0.125,   0.125,   0.125,   0.125,   0.125,   0.125]
  return
}
