// RUN: attn-opt %s --attn-lower-to-llvm | mlir-runner -e main -entry-point-result=void -shared-libs=%mlir_runner_utils,%mlir_c_runner_utils | FileCheck %s

// Execution test of attn.masked_max: result[..., i] = max_j (s[..., i, j] + m[i, j]).
//
// The expected values were computed independently with numpy in float64, never
// from the output of attn-opt:
//
//   import numpy as np; inf = np.inf
//   def masked_max(s, m):
//       s, m = np.asarray(s, np.float64), np.asarray(m, np.float64)
//       with np.errstate(invalid="ignore"):            # inf + -inf -> nan
//           return np.max(s + m, axis=-1, initial=-inf) # numpy broadcasts m
//
// with s and m the dense constants of each case below. Case C has inexact
// inputs (1.1, -0.3, ...); recomputing it with np.float32 prints the same
// 6 significant digits, so float32 rounding cannot change the printed value.
// Each case prints a "case X" label first so that a failure points at it.

llvm.mlir.global internal constant @case_a("case A: static, [3,5] mask broadcast over batch\0A\00") {addr_space = 0 : i32}
llvm.mlir.global internal constant @case_b("case B: static, full-shape causal mask\0A\00") {addr_space = 0 : i32}
llvm.mlir.global internal constant @case_c("case C: dynamic, broadcast mask\0A\00") {addr_space = 0 : i32}
llvm.mlir.global internal constant @case_d("case D: dynamic, full-shape mask\0A\00") {addr_space = 0 : i32}
llvm.mlir.global internal constant @case_e("case E: rank-1 scores, rank-0 result\0A\00") {addr_space = 0 : i32}
llvm.mlir.global internal constant @case_f("case F: inf and nan\0A\00") {addr_space = 0 : i32}
llvm.mlir.global internal constant @case_g("case G: empty rows\0A\00") {addr_space = 0 : i32}

func.func private @printString(!llvm.ptr)
func.func private @printMemrefF32(tensor<*xf32>)

func.func @masked_max_bcast(%s: tensor<2x3x5xf32>, %m: tensor<3x5xf32>) -> tensor<2x3xf32> {
  %r = attn.masked_max %s, %m : tensor<2x3x5xf32>, tensor<3x5xf32>
  return %r : tensor<2x3xf32>
}

func.func @masked_max_full(%s: tensor<2x4x4xf32>, %m: tensor<2x4x4xf32>) -> tensor<2x4xf32> {
  %r = attn.masked_max %s, %m : tensor<2x4x4xf32>, tensor<2x4x4xf32>
  return %r : tensor<2x4xf32>
}

func.func @masked_max_bcast_dyn(%s: tensor<?x?x?xf32>, %m: tensor<?x?xf32>) -> tensor<?x?xf32> {
  %r = attn.masked_max %s, %m : tensor<?x?x?xf32>, tensor<?x?xf32>
  return %r : tensor<?x?xf32>
}

func.func @masked_max_full_dyn(%s: tensor<?x?x?xf32>, %m: tensor<?x?x?xf32>) -> tensor<?x?xf32> {
  %r = attn.masked_max %s, %m : tensor<?x?x?xf32>, tensor<?x?x?xf32>
  return %r : tensor<?x?xf32>
}

func.func @masked_max_1d(%s: tensor<4xf32>, %m: tensor<4xf32>) -> tensor<f32> {
  %r = attn.masked_max %s, %m : tensor<4xf32>, tensor<4xf32>
  return %r : tensor<f32>
}

func.func @masked_max_2d(%s: tensor<2x3xf32>, %m: tensor<2x3xf32>) -> tensor<2xf32> {
  %r = attn.masked_max %s, %m : tensor<2x3xf32>, tensor<2x3xf32>
  return %r : tensor<2xf32>
}

func.func @masked_max_empty(%s: tensor<2x0xf32>, %m: tensor<2x0xf32>) -> tensor<2xf32> {
  %r = attn.masked_max %s, %m : tensor<2x0xf32>, tensor<2x0xf32>
  return %r : tensor<2xf32>
}

func.func @main() {
  // Case A. The [3,5] mask is broadcast over the batch of 2. Mask row 0 keeps
  // j <= 1 (the larger scores sit in the masked columns), row 1 is fully
  // masked (-inf), row 2 adds finite biases and masks the column holding the
  // largest score; batch 0 row 2 is all negative after masking.
  // numpy: masked_max(sA, mA) = [[1.5, -inf, -1.0], [-2.5, -inf, 2.0]]
  %la = llvm.mlir.addressof @case_a : !llvm.ptr
  call @printString(%la) : (!llvm.ptr) -> ()
  %sA = arith.constant dense<[[[1.5, -2.0, 7.0, 3.25, 0.5],
                               [4.0, 1.0, -1.0, 2.0, 8.0],
                               [-3.0, -0.5, -2.25, 9.0, -1.0]],
                              [[-4.0, -2.5, 6.0, -1.0, 2.0],
                               [0.25, 0.5, 0.75, 1.0, 1.25],
                               [2.0, -6.0, 1.5, 10.0, 0.0]]]> : tensor<2x3x5xf32>
  %mA = arith.constant dense<[[0.0, 0.0, 0xFF800000, 0xFF800000, 0xFF800000],
                              [0xFF800000, 0xFF800000, 0xFF800000, 0xFF800000, 0xFF800000],
                              [0.0, -1.0, 0.5, 0xFF800000, 0.0]]> : tensor<3x5xf32>
  %rA = call @masked_max_bcast(%sA, %mA) : (tensor<2x3x5xf32>, tensor<3x5xf32>) -> tensor<2x3xf32>
  %uA = tensor.cast %rA : tensor<2x3xf32> to tensor<*xf32>
  call @printMemrefF32(%uA) : (tensor<*xf32>) -> ()
  // CHECK-LABEL: case A: static, [3,5] mask broadcast over batch
  // CHECK-NEXT:  Unranked Memref base@ = {{.*}} rank = 2 offset = 0 sizes = [2, 3] strides = [3, 1] data =
  // CHECK-NEXT:  {{\[}}[1.5, -inf, -1],
  // CHECK-NEXT:  [-2.5, -inf, 2]]

  // Case B. Full-shape [2,4,4] mask. Batch 0 is causal (keep j <= i, i.e.
  // np.where(np.tril(np.ones((4, 4))) > 0, 0, -inf)); the masked upper
  // triangle holds the largest scores. Batch 1: row 0 fully masked, row 3
  // masked everywhere except where the score itself is -inf.
  // numpy: masked_max(sB, mB) = [[0.5, -0.75, 2.5, -0.5], [-inf, 0.5, -1.5, -inf]]
  %lb = llvm.mlir.addressof @case_b : !llvm.ptr
  call @printString(%lb) : (!llvm.ptr) -> ()
  %sB = arith.constant dense<[[[0.5, 3.0, -1.0, 2.0],
                               [-1.5, -0.75, 4.0, 1.0],
                               [2.5, -3.0, 0.25, 5.0],
                               [-2.0, -1.0, -0.5, -4.0]],
                              [[1.0, 2.0, 3.0, 4.0],
                               [0xFF800000, 6.0, -2.0, 0.5],
                               [-1.0, -2.0, -3.0, -4.0],
                               [7.5, 0xFF800000, 0.0, 1.0]]]> : tensor<2x4x4xf32>
  %mB = arith.constant dense<[[[0.0, 0xFF800000, 0xFF800000, 0xFF800000],
                               [0.0, 0.0, 0xFF800000, 0xFF800000],
                               [0.0, 0.0, 0.0, 0xFF800000],
                               [0.0, 0.0, 0.0, 0.0]],
                              [[0xFF800000, 0xFF800000, 0xFF800000, 0xFF800000],
                               [0.0, 0xFF800000, 0.0, 0.0],
                               [-0.5, 0.0, 0xFF800000, 1.5],
                               [0xFF800000, 0.0, 0xFF800000, 0xFF800000]]]> : tensor<2x4x4xf32>
  %rB = call @masked_max_full(%sB, %mB) : (tensor<2x4x4xf32>, tensor<2x4x4xf32>) -> tensor<2x4xf32>
  %uB = tensor.cast %rB : tensor<2x4xf32> to tensor<*xf32>
  call @printMemrefF32(%uB) : (tensor<*xf32>) -> ()
  // CHECK-LABEL: case B: static, full-shape causal mask
  // CHECK-NEXT:  Unranked Memref base@ = {{.*}} rank = 2 offset = 0 sizes = [2, 4] strides = [4, 1] data =
  // CHECK-NEXT:  {{\[}}[0.5, -0.75, 2.5, -0.5],
  // CHECK-NEXT:  [-inf, 0.5, -1.5, -inf]]

  // Case C. Dynamic shapes: scores [3,2,3] and a [2,3] mask broadcast over
  // the leading dimension, passed as tensor<?x?x?xf32> / tensor<?x?xf32>.
  // numpy: masked_max(sC, mC) = [[0.8, 0.7], [0.3, -0.1], [6.6, 1.9]]
  %lc = llvm.mlir.addressof @case_c : !llvm.ptr
  call @printString(%lc) : (!llvm.ptr) -> ()
  %sC = arith.constant dense<[[[1.1, 2.2, -3.3], [0.7, -0.2, 0.9]],
                              [[-5.5, 4.4, 0.3], [-0.1, -0.6, -0.8]],
                              [[2.0, -1.0, 6.6], [1.9, 0.4, 1.3]]]> : tensor<3x2x3xf32>
  %mC = arith.constant dense<[[-0.3, 0xFF800000, 0.0],
                              [0.0, -1.25, 0xFF800000]]> : tensor<2x3xf32>
  %sCd = tensor.cast %sC : tensor<3x2x3xf32> to tensor<?x?x?xf32>
  %mCd = tensor.cast %mC : tensor<2x3xf32> to tensor<?x?xf32>
  %rC = call @masked_max_bcast_dyn(%sCd, %mCd) : (tensor<?x?x?xf32>, tensor<?x?xf32>) -> tensor<?x?xf32>
  %uC = tensor.cast %rC : tensor<?x?xf32> to tensor<*xf32>
  call @printMemrefF32(%uC) : (tensor<*xf32>) -> ()
  // CHECK-LABEL: case C: dynamic, broadcast mask
  // CHECK-NEXT:  Unranked Memref base@ = {{.*}} rank = 2 offset = 0 sizes = [3, 2] strides = [2, 1] data =
  // CHECK-NEXT:  {{\[}}[0.8, 0.7],
  // CHECK-NEXT:  [0.3, -0.1],
  // CHECK-NEXT:  [6.6, 1.9]]

  // Case D. Dynamic shapes, full-shape [2,2,3] mask. Row (0, 1) is -inf
  // everywhere after masking (scores -inf where the mask keeps them).
  // numpy: masked_max(sD, mD) = [[-0.5, -inf], [0.75, -7.0]]
  %ld = llvm.mlir.addressof @case_d : !llvm.ptr
  call @printString(%ld) : (!llvm.ptr) -> ()
  %sD = arith.constant dense<[[[3.0, -1.0, 2.0], [0xFF800000, 0xFF800000, 1.0]],
                              [[0.5, 0.25, 0.125], [-7.0, -8.0, -9.0]]]> : tensor<2x2x3xf32>
  %mD = arith.constant dense<[[[0xFF800000, 0.0, -2.5], [0.0, 0.0, 0xFF800000]],
                              [[0.0, 0.5, 0xFF800000], [0.0, 0xFF800000, 0.0]]]> : tensor<2x2x3xf32>
  %sDd = tensor.cast %sD : tensor<2x2x3xf32> to tensor<?x?x?xf32>
  %mDd = tensor.cast %mD : tensor<2x2x3xf32> to tensor<?x?x?xf32>
  %rD = call @masked_max_full_dyn(%sDd, %mDd) : (tensor<?x?x?xf32>, tensor<?x?x?xf32>) -> tensor<?x?xf32>
  %uD = tensor.cast %rD : tensor<?x?xf32> to tensor<*xf32>
  call @printMemrefF32(%uD) : (tensor<*xf32>) -> ()
  // CHECK-LABEL: case D: dynamic, full-shape mask
  // CHECK-NEXT:  Unranked Memref base@ = {{.*}} rank = 2 offset = 0 sizes = [2, 2] strides = [2, 1] data =
  // CHECK-NEXT:  {{\[}}[-0.5, -inf],
  // CHECK-NEXT:  [0.75, -7]]

  // Case E. Rank-1 scores and mask give a rank-0 result.
  // numpy: masked_max([1.0, 5.0, -2.0, 0.5], [0.0, -inf, 0.0, -0.25]) = 1.0
  %le = llvm.mlir.addressof @case_e : !llvm.ptr
  call @printString(%le) : (!llvm.ptr) -> ()
  %sE = arith.constant dense<[1.0, 5.0, -2.0, 0.5]> : tensor<4xf32>
  %mE = arith.constant dense<[0.0, 0xFF800000, 0.0, -0.25]> : tensor<4xf32>
  %rE = call @masked_max_1d(%sE, %mE) : (tensor<4xf32>, tensor<4xf32>) -> tensor<f32>
  %uE = tensor.cast %rE : tensor<f32> to tensor<*xf32>
  call @printMemrefF32(%uE) : (tensor<*xf32>) -> ()
  // CHECK-LABEL: case E: rank-1 scores, rank-0 result
  // CHECK-NEXT:  Unranked Memref base@ = {{.*}} rank = 0 offset = 0 sizes = [] strides = [] data =
  // CHECK-NEXT:  [1]

  // Case F. +inf + -inf is NaN and NaN propagates through the max (row 0);
  // an unmasked +inf score gives +inf (row 1).
  // numpy: masked_max([[inf, 1, 2], [3, -inf, inf]], [[-inf, 0, 0], [0, 0, 0]]) = [nan, inf]
  %lf = llvm.mlir.addressof @case_f : !llvm.ptr
  call @printString(%lf) : (!llvm.ptr) -> ()
  %sF = arith.constant dense<[[0x7F800000, 1.0, 2.0], [3.0, 0xFF800000, 0x7F800000]]> : tensor<2x3xf32>
  %mF = arith.constant dense<[[0xFF800000, 0.0, 0.0], [0.0, 0.0, 0.0]]> : tensor<2x3xf32>
  %rF = call @masked_max_2d(%sF, %mF) : (tensor<2x3xf32>, tensor<2x3xf32>) -> tensor<2xf32>
  %uF = tensor.cast %rF : tensor<2xf32> to tensor<*xf32>
  call @printMemrefF32(%uF) : (tensor<*xf32>) -> ()
  // CHECK-LABEL: case F: inf and nan
  // CHECK-NEXT:  Unranked Memref base@ = {{.*}} rank = 1 offset = 0 sizes = [2] strides = [1] data =
  // CHECK-NEXT:  [{{-?nan}}, inf]

  // Case G. Empty rows (N == 0) give -inf, the identity of max.
  // numpy: masked_max(np.zeros((2, 0)), np.zeros((2, 0))) = [-inf, -inf]
  %lg = llvm.mlir.addressof @case_g : !llvm.ptr
  call @printString(%lg) : (!llvm.ptr) -> ()
  %sG = arith.constant dense<> : tensor<2x0xf32>
  %mG = arith.constant dense<> : tensor<2x0xf32>
  %rG = call @masked_max_empty(%sG, %mG) : (tensor<2x0xf32>, tensor<2x0xf32>) -> tensor<2xf32>
  %uG = tensor.cast %rG : tensor<2xf32> to tensor<*xf32>
  call @printMemrefF32(%uG) : (tensor<*xf32>) -> ()
  // CHECK-LABEL: case G: empty rows
  // CHECK-NEXT:  Unranked Memref base@ = {{.*}} rank = 1 offset = 0 sizes = [2] strides = [1] data =
  // CHECK-NEXT:  [-inf, -inf]
  return
}
