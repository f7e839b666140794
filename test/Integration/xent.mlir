// RUN: attn-opt %s --attn-lower-to-llvm | mlir-runner -e main -entry-point-result=void -shared-libs=%mlir_runner_utils,%mlir_c_runner_utils | FileCheck %s

// Execution test of attn.xent: result[...] = -sum_c q[..., c] * log(p[..., c]),
// where a class with q == 0 contributes exactly 0 (even where p == 0).
//
// The expected values were computed independently with numpy in float64, never
// from the output of attn-opt:
//
//   import numpy as np
//   def xent(p, q):
//       p, q = np.asarray(p, np.float64), np.asarray(q, np.float64)
//       with np.errstate(divide="ignore", invalid="ignore"):
//           return np.sum(np.where(q == 0, 0.0, -q * np.log(p)), axis=-1)
//
// with p and q the dense constants of each case below. Most expected values
// are k * ln(2) for a dyadic k; the others come from 0.7, 0.6, ... inputs.
// Every inexact expected value is at least 0.2 units of its 6th significant
// digit away from a rounding boundary, and redoing the computation in
// np.float32 prints the same 6 significant digits, so float32 rounding
// cannot change the printed value.
// Each case prints a "case X" label first so that a failure points at it.

llvm.mlir.global internal constant @case_a("case A: static, q == 0 where p == 0, inf row\0A\00") {addr_space = 0 : i32}
llvm.mlir.global internal constant @case_b("case B: dynamic 2-D\0A\00") {addr_space = 0 : i32}
llvm.mlir.global internal constant @case_c("case C: dynamic rank-1, rank-0 result\0A\00") {addr_space = 0 : i32}
llvm.mlir.global internal constant @case_d("case D: zero losses, unclamped p\0A\00") {addr_space = 0 : i32}
llvm.mlir.global internal constant @case_e("case E: empty class dimension\0A\00") {addr_space = 0 : i32}

func.func private @printString(!llvm.ptr)
func.func private @printMemrefF32(tensor<*xf32>)

func.func @xent_3x4(%p: tensor<3x4xf32>, %q: tensor<3x4xf32>) -> tensor<3xf32> {
  %r = attn.xent %p, %q : tensor<3x4xf32>, tensor<3x4xf32>
  return %r : tensor<3xf32>
}

func.func @xent_dyn(%p: tensor<?x?xf32>, %q: tensor<?x?xf32>) -> tensor<?xf32> {
  %r = attn.xent %p, %q : tensor<?x?xf32>, tensor<?x?xf32>
  return %r : tensor<?xf32>
}

func.func @xent_1d_dyn(%p: tensor<?xf32>, %q: tensor<?xf32>) -> tensor<f32> {
  %r = attn.xent %p, %q : tensor<?xf32>, tensor<?xf32>
  return %r : tensor<f32>
}

func.func @xent_4x3(%p: tensor<4x3xf32>, %q: tensor<4x3xf32>) -> tensor<4xf32> {
  %r = attn.xent %p, %q : tensor<4x3xf32>, tensor<4x3xf32>
  return %r : tensor<4xf32>
}

func.func @xent_empty(%p: tensor<2x0xf32>, %q: tensor<2x0xf32>) -> tensor<2xf32> {
  %r = attn.xent %p, %q : tensor<2x0xf32>, tensor<2x0xf32>
  return %r : tensor<2xf32>
}

func.func @main() {
  // Case A. Static [3,4].
  //   row 0: ordinary, -(0.25 ln 0.5 + 0.25 ln 0.25 + 0.5 ln 0.125) = 2.25 ln 2
  //   row 1: q == 0 exactly where p == 0 (those terms are 0), = ln 2
  //   row 2: q > 0 where p == 0 gives +inf (q == 0 where p == 0 too)
  // numpy: xent(pA, qA) = [1.5595811562598767, 0.6931471805599453, inf]
  %la = llvm.mlir.addressof @case_a : !llvm.ptr
  call @printString(%la) : (!llvm.ptr) -> ()
  %pA = arith.constant dense<[[0.5, 0.25, 0.125, 0.125],
                              [0.0, 0.5, 0.5, 0.0],
                              [0.0, 1.0, 0.0, 0.0]]> : tensor<3x4xf32>
  %qA = arith.constant dense<[[0.25, 0.25, 0.5, 0.0],
                              [0.0, 0.5, 0.5, 0.0],
                              [0.5, 0.5, 0.0, 0.0]]> : tensor<3x4xf32>
  %rA = call @xent_3x4(%pA, %qA) : (tensor<3x4xf32>, tensor<3x4xf32>) -> tensor<3xf32>
  %uA = tensor.cast %rA : tensor<3xf32> to tensor<*xf32>
  call @printMemrefF32(%uA) : (tensor<*xf32>) -> ()
  // CHECK-LABEL: case A: static, q == 0 where p == 0, inf row
  // CHECK-NEXT:  Unranked Memref base@ = {{.*}} rank = 1 offset = 0 sizes = [3] strides = [1] data =
  // CHECK-NEXT:  [1.55958, 0.693147, inf]

  // Case B. Dynamic [?,?] (a [4,3] constant cast to tensor<?x?xf32>).
  //   row 0: one-hot target, -ln 0.7
  //   row 1: label-smoothed target
  //   row 2: q == 0 where p == 0 in class 0
  //   row 3: q > 0 where p == 0 in class 1 gives +inf
  // numpy: xent(pB, qB) = [0.35667494393873245, 0.7593162887447908,
  //                        1.7532789486599907, inf]
  %lb = llvm.mlir.addressof @case_b : !llvm.ptr
  call @printString(%lb) : (!llvm.ptr) -> ()
  %pB = arith.constant dense<[[0.7, 0.2, 0.1],
                              [0.6, 0.3, 0.1],
                              [0.0, 0.9, 0.1],
                              [0.2, 0.0, 0.8]]> : tensor<4x3xf32>
  %qB = arith.constant dense<[[1.0, 0.0, 0.0],
                              [0.8, 0.1, 0.1],
                              [0.0, 0.25, 0.75],
                              [0.5, 0.5, 0.0]]> : tensor<4x3xf32>
  %pBd = tensor.cast %pB : tensor<4x3xf32> to tensor<?x?xf32>
  %qBd = tensor.cast %qB : tensor<4x3xf32> to tensor<?x?xf32>
  %rB = call @xent_dyn(%pBd, %qBd) : (tensor<?x?xf32>, tensor<?x?xf32>) -> tensor<?xf32>
  %uB = tensor.cast %rB : tensor<?xf32> to tensor<*xf32>
  call @printMemrefF32(%uB) : (tensor<*xf32>) -> ()
  // CHECK-LABEL: case B: dynamic 2-D
  // CHECK-NEXT:  Unranked Memref base@ = {{.*}} rank = 1 offset = 0 sizes = [4] strides = [1] data =
  // CHECK-NEXT:  [0.356675, 0.759316, 1.75328, inf]

  // Case C. Dynamic rank-1 operands (tensor<?xf32>) give a rank-0 result;
  // class 1 has q == 0 where p == 0.
  //   -(0.25 ln 0.125 + 0.75 ln 0.5) = 1.5 ln 2
  // numpy: xent([0.125, 0.0, 0.375, 0.5], [0.25, 0.0, 0.0, 0.75]) = 1.0397207708399179
  %lc = llvm.mlir.addressof @case_c : !llvm.ptr
  call @printString(%lc) : (!llvm.ptr) -> ()
  %pC = arith.constant dense<[0.125, 0.0, 0.375, 0.5]> : tensor<4xf32>
  %qC = arith.constant dense<[0.25, 0.0, 0.0, 0.75]> : tensor<4xf32>
  %pCd = tensor.cast %pC : tensor<4xf32> to tensor<?xf32>
  %qCd = tensor.cast %qC : tensor<4xf32> to tensor<?xf32>
  %rC = call @xent_1d_dyn(%pCd, %qCd) : (tensor<?xf32>, tensor<?xf32>) -> tensor<f32>
  %uC = tensor.cast %rC : tensor<f32> to tensor<*xf32>
  call @printMemrefF32(%uC) : (tensor<*xf32>) -> ()
  // CHECK-LABEL: case C: dynamic rank-1, rank-0 result
  // CHECK-NEXT:  Unranked Memref base@ = {{.*}} rank = 0 offset = 0 sizes = [] strides = [] data =
  // CHECK-NEXT:  [1.03972]

  // Case D. Static [4,3].
  //   row 0: perfect prediction, -(1 * ln 1) = 0 (sign of the zero not checked)
  //   row 1: all-zero target (p has a 0 as well) gives 0
  //   row 2: p is not clamped: -(0.75 ln 4 + 0.25 ln 0.5) = -1.25 ln 2 < 0
  //   row 3: q > 0 where p < 0 gives NaN
  // numpy: xent(pD, qD) = [0.0, 0.0, -0.8664339756999315, nan]
  %ld = llvm.mlir.addressof @case_d : !llvm.ptr
  call @printString(%ld) : (!llvm.ptr) -> ()
  %pD = arith.constant dense<[[1.0, 0.0, 0.0],
                              [0.0, 0.25, 0.75],
                              [4.0, 0.5, 0.0],
                              [-0.5, 0.5, 1.0]]> : tensor<4x3xf32>
  %qD = arith.constant dense<[[1.0, 0.0, 0.0],
                              [0.0, 0.0, 0.0],
                              [0.75, 0.25, 0.0],
                              [0.5, 0.5, 0.0]]> : tensor<4x3xf32>
  %rD = call @xent_4x3(%pD, %qD) : (tensor<4x3xf32>, tensor<4x3xf32>) -> tensor<4xf32>
  %uD = tensor.cast %rD : tensor<4xf32> to tensor<*xf32>
  call @printMemrefF32(%uD) : (tensor<*xf32>) -> ()
  // CHECK-LABEL: case D: zero losses, unclamped p
  // CHECK-NEXT:  Unranked Memref base@ = {{.*}} rank = 1 offset = 0 sizes = [4] strides = [1] data =
  // CHECK-NEXT:  [{{-?}}0, 0, -0.866434, {{-?nan}}]

  // Case E. An empty class dimension (C == 0) gives 0.
  // numpy: xent(np.zeros((2, 0)), np.zeros((2, 0))) = [0.0, 0.0]
  %le = llvm.mlir.addressof @case_e : !llvm.ptr
  call @printString(%le) : (!llvm.ptr) -> ()
  %pE = arith.constant dense<> : tensor<2x0xf32>
  %qE = arith.constant dense<> : tensor<2x0xf32>
  %rE = call @xent_empty(%pE, %qE) : (tensor<2x0xf32>, tensor<2x0xf32>) -> tensor<2xf32>
  %uE = tensor.cast %rE : tensor<2xf32> to tensor<*xf32>
  call @printMemrefF32(%uE) : (tensor<*xf32>) -> ()
  // CHECK-LABEL: case E: empty class dimension
  // CHECK-NEXT:  Unranked Memref base@ = {{.*}} rank = 1 offset = 0 sizes = [2] strides = [1] data =
  // CHECK-NEXT:  [0, 0]
  return
}
