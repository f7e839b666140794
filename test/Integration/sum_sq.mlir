// RUN: attn-opt %s --attn-lower-to-llvm | mlir-runner -e main -entry-point-result=void -shared-libs=%mlir_runner_utils,%mlir_c_runner_utils | FileCheck %s

// Execution test of attn.sum_sq: result[...] = sum_j x[..., j]^2.
//
// The expected values were computed independently with numpy in float64, never
// from the output of attn-opt:
//
//   import numpy as np
//   def sum_sq(x):
//       return np.sum(np.asarray(x, np.float64) ** 2, axis=-1)
//
// with x the dense constant of each case below. Most inputs are short binary
// fractions, so every square and partial sum is exact in float32. Cases B and
// D contain inexact inputs (0.1, -0.3, ...); redoing their in-order sums in
// np.float32 prints the same 6 significant digits (0.14, 2.9), so float32
// rounding cannot change the printed value.
// Each case prints a "case X" label first so that a failure points at it.

llvm.mlir.global internal constant @case_a("case A: static 3x4\0A\00") {addr_space = 0 : i32}
llvm.mlir.global internal constant @case_b("case B: static rank-3\0A\00") {addr_space = 0 : i32}
llvm.mlir.global internal constant @case_c("case C: static rank-1, rank-0 result\0A\00") {addr_space = 0 : i32}
llvm.mlir.global internal constant @case_d("case D: dynamic 2-D\0A\00") {addr_space = 0 : i32}
llvm.mlir.global internal constant @case_e("case E: dynamic rank-1, rank-0 result\0A\00") {addr_space = 0 : i32}
llvm.mlir.global internal constant @case_f("case F: inf and nan\0A\00") {addr_space = 0 : i32}
llvm.mlir.global internal constant @case_g("case G: empty rows\0A\00") {addr_space = 0 : i32}

func.func private @printString(!llvm.ptr)
func.func private @printMemrefF32(tensor<*xf32>)

func.func @sum_sq_3x4(%x: tensor<3x4xf32>) -> tensor<3xf32> {
  %r = attn.sum_sq %x : tensor<3x4xf32>
  return %r : tensor<3xf32>
}

func.func @sum_sq_2x2x3(%x: tensor<2x2x3xf32>) -> tensor<2x2xf32> {
  %r = attn.sum_sq %x : tensor<2x2x3xf32>
  return %r : tensor<2x2xf32>
}

func.func @sum_sq_1d(%x: tensor<5xf32>) -> tensor<f32> {
  %r = attn.sum_sq %x : tensor<5xf32>
  return %r : tensor<f32>
}

func.func @sum_sq_dyn(%x: tensor<?x?xf32>) -> tensor<?xf32> {
  %r = attn.sum_sq %x : tensor<?x?xf32>
  return %r : tensor<?xf32>
}

func.func @sum_sq_1d_dyn(%x: tensor<?xf32>) -> tensor<f32> {
  %r = attn.sum_sq %x : tensor<?xf32>
  return %r : tensor<f32>
}

func.func @main() {
  // Case A. Static [3,4] with negative entries.
  // numpy: sum_sq(xA) = [30.0, 2.5625, 36.0]
  %la = llvm.mlir.addressof @case_a : !llvm.ptr
  call @printString(%la) : (!llvm.ptr) -> ()
  %xA = arith.constant dense<[[1.0, -2.0, 3.0, -4.0],
                              [0.5, -0.25, 1.5, 0.0],
                              [-3.0, -3.0, -3.0, -3.0]]> : tensor<3x4xf32>
  %rA = call @sum_sq_3x4(%xA) : (tensor<3x4xf32>) -> tensor<3xf32>
  %uA = tensor.cast %rA : tensor<3xf32> to tensor<*xf32>
  call @printMemrefF32(%uA) : (tensor<*xf32>) -> ()
  // CHECK-LABEL: case A: static 3x4
  // CHECK-NEXT:  Unranked Memref base@ = {{.*}} rank = 1 offset = 0 sizes = [3] strides = [1] data =
  // CHECK-NEXT:  [30, 2.5625, 36]

  // Case B. Static [2,2,3]: the reduction is over the last dimension only.
  // numpy: sum_sq(xB) = [[0.14, 8.375], [500.0, 49.5]]
  %lb = llvm.mlir.addressof @case_b : !llvm.ptr
  call @printString(%lb) : (!llvm.ptr) -> ()
  %xB = arith.constant dense<[[[0.1, -0.2, 0.3], [-1.25, 2.5, -0.75]],
                              [[10.0, -20.0, 0.0], [-0.5, -0.5, 7.0]]]> : tensor<2x2x3xf32>
  %rB = call @sum_sq_2x2x3(%xB) : (tensor<2x2x3xf32>) -> tensor<2x2xf32>
  %uB = tensor.cast %rB : tensor<2x2xf32> to tensor<*xf32>
  call @printMemrefF32(%uB) : (tensor<*xf32>) -> ()
  // CHECK-LABEL: case B: static rank-3
  // CHECK-NEXT:  Unranked Memref base@ = {{.*}} rank = 2 offset = 0 sizes = [2, 2] strides = [2, 1] data =
  // CHECK-NEXT:  {{\[}}[0.14, 8.375],
  // CHECK-NEXT:  [500, 49.5]]

  // Case C. Rank-1 input with negative entries gives a rank-0 result.
  // numpy: sum_sq([1.0, -2.0, 3.0, 0.5, -0.25]) = 14.3125
  %lc = llvm.mlir.addressof @case_c : !llvm.ptr
  call @printString(%lc) : (!llvm.ptr) -> ()
  %xC = arith.constant dense<[1.0, -2.0, 3.0, 0.5, -0.25]> : tensor<5xf32>
  %rC = call @sum_sq_1d(%xC) : (tensor<5xf32>) -> tensor<f32>
  %uC = tensor.cast %rC : tensor<f32> to tensor<*xf32>
  call @printMemrefF32(%uC) : (tensor<*xf32>) -> ()
  // CHECK-LABEL: case C: static rank-1, rank-0 result
  // CHECK-NEXT:  Unranked Memref base@ = {{.*}} rank = 0 offset = 0 sizes = [] strides = [] data =
  // CHECK-NEXT:  [14.3125]

  // Case D. Dynamic [?,?] (a [2,5] constant cast to tensor<?x?xf32>).
  // numpy: sum_sq(xD) = [19.75, 2.9000000000000004]
  %ld = llvm.mlir.addressof @case_d : !llvm.ptr
  call @printString(%ld) : (!llvm.ptr) -> ()
  %xD = arith.constant dense<[[2.0, -1.0, 0.5, 1.5, -3.5],
                              [-0.3, 0.4, 1.2, -1.1, 0.0]]> : tensor<2x5xf32>
  %xDd = tensor.cast %xD : tensor<2x5xf32> to tensor<?x?xf32>
  %rD = call @sum_sq_dyn(%xDd) : (tensor<?x?xf32>) -> tensor<?xf32>
  %uD = tensor.cast %rD : tensor<?xf32> to tensor<*xf32>
  call @printMemrefF32(%uD) : (tensor<*xf32>) -> ()
  // CHECK-LABEL: case D: dynamic 2-D
  // CHECK-NEXT:  Unranked Memref base@ = {{.*}} rank = 1 offset = 0 sizes = [2] strides = [1] data =
  // CHECK-NEXT:  [19.75, 2.9]

  // Case E. Dynamic rank-1 input (tensor<?xf32>) gives a rank-0 result.
  // numpy: sum_sq([-6.0, 0.25, 2.0]) = 40.0625
  %le = llvm.mlir.addressof @case_e : !llvm.ptr
  call @printString(%le) : (!llvm.ptr) -> ()
  %xE = arith.constant dense<[-6.0, 0.25, 2.0]> : tensor<3xf32>
  %xEd = tensor.cast %xE : tensor<3xf32> to tensor<?xf32>
  %rE = call @sum_sq_1d_dyn(%xEd) : (tensor<?xf32>) -> tensor<f32>
  %uE = tensor.cast %rE : tensor<f32> to tensor<*xf32>
  call @printMemrefF32(%uE) : (tensor<*xf32>) -> ()
  // CHECK-LABEL: case E: dynamic rank-1, rank-0 result
  // CHECK-NEXT:  Unranked Memref base@ = {{.*}} rank = 0 offset = 0 sizes = [] strides = [] data =
  // CHECK-NEXT:  [40.0625]

  // Case F. An inf entry (either sign) makes the row inf; NaN makes it NaN.
  // numpy: sum_sq([[1, inf, 2], [-inf, 0, 1], [1, nan, 1]]) = [inf, inf, nan]
  %lf = llvm.mlir.addressof @case_f : !llvm.ptr
  call @printString(%lf) : (!llvm.ptr) -> ()
  %xF = arith.constant dense<[[1.0, 0x7F800000, 2.0],
                              [0xFF800000, 0.0, 1.0],
                              [1.0, 0x7FC00000, 1.0]]> : tensor<3x3xf32>
  %xFd = tensor.cast %xF : tensor<3x3xf32> to tensor<?x?xf32>
  %rF = call @sum_sq_dyn(%xFd) : (tensor<?x?xf32>) -> tensor<?xf32>
  %uF = tensor.cast %rF : tensor<?xf32> to tensor<*xf32>
  call @printMemrefF32(%uF) : (tensor<*xf32>) -> ()
  // CHECK-LABEL: case F: inf and nan
  // CHECK-NEXT:  Unranked Memref base@ = {{.*}} rank = 1 offset = 0 sizes = [3] strides = [1] data =
  // CHECK-NEXT:  [inf, inf, {{-?nan}}]

  // Case G. Empty rows (a [3,0] input) give 0.
  // numpy: sum_sq(np.zeros((3, 0))) = [0.0, 0.0, 0.0]
  %lg = llvm.mlir.addressof @case_g : !llvm.ptr
  call @printString(%lg) : (!llvm.ptr) -> ()
  %xG = arith.constant dense<> : tensor<3x0xf32>
  %xGd = tensor.cast %xG : tensor<3x0xf32> to tensor<?x?xf32>
  %rG = call @sum_sq_dyn(%xGd) : (tensor<?x?xf32>) -> tensor<?xf32>
  %uG = tensor.cast %rG : tensor<?xf32> to tensor<*xf32>
  call @printMemrefF32(%uG) : (tensor<*xf32>) -> ()
  // CHECK-LABEL: case G: empty rows
  // CHECK-NEXT:  Unranked Memref base@ = {{.*}} rank = 1 offset = 0 sizes = [3] strides = [1] data =
  // CHECK-NEXT:  [0, 0, 0]
  return
}
