// RUN: attn-opt %s --attn-lower-to-llvm | mlir-runner -e main -entry-point-result=void -shared-libs=%mlir_runner_utils,%mlir_c_runner_utils | FileCheck %s

// Execution test of attn.xent_logits: per row,
//   loss[...] = logsumexp_c logits[..., c] - logits[..., target[...]]
// A row whose target equals ignore_index (default -100) has loss 0 and is left
// out of the mean; a target outside [0, C) that is not ignore_index gives NaN.
// reduction = none returns the per-row losses, sum / mean (the default) a
// rank-0 tensor; the mean over zero kept rows is NaN.
//
// The expected values were computed independently with numpy in float64, never
// from the output of attn-opt:
//
//   import numpy as np
//   def xent_logits(z, t, ignore_index=-100, reduction="mean"):
//       z, t = np.asarray(z, np.float64), np.asarray(t)
//       C = z.shape[-1]
//       lse = np.logaddexp.reduce(z, axis=-1)     # stable log-sum-exp
//       picked = np.take_along_axis(z, np.clip(t, 0, C - 1)[..., None], -1)[..., 0]
//       loss = np.where(t == ignore_index, 0.0,
//                       np.where((t < 0) | (t >= C), np.nan, lse - picked))
//       if reduction == "none":
//           return loss
//       if reduction == "sum":
//           return np.sum(loss)
//       with np.errstate(invalid="ignore"):
//           return np.sum(loss) / np.sum(t != ignore_index)
//
// with z and t the dense constants of each case below. The finite inputs are
// multiples of 0.25 (exact in float32), picked so that every inexact expected
// value is at least 0.2 units of its 6th significant digit away from a rounding
// boundary, and recomputing every case in np.float32 (log(sum(exp(z - m))) -
// (z[t] - m), m the row maximum) prints the same 6 significant digits, so
// float32 rounding cannot change the printed value.
// Each case prints a "case X" label first so that a failure points at it.

llvm.mlir.global internal constant @case_a("case A: reduction = none, i64 targets, 1e4 logits\0A\00") {addr_space = 0 : i32}
llvm.mlir.global internal constant @case_b("case B: reduction = sum, i64 targets, an ignored row\0A\00") {addr_space = 0 : i32}
llvm.mlir.global internal constant @case_c("case C: default reduction (mean), i32 targets, ignored rows\0A\00") {addr_space = 0 : i32}
llvm.mlir.global internal constant @case_d("case D: reduction = mean, every row ignored\0A\00") {addr_space = 0 : i32}
llvm.mlir.global internal constant @case_e("case E: ignore_index = 1, negative targets, reduction = none\0A\00") {addr_space = 0 : i32}
llvm.mlir.global internal constant @case_f("case F: reduction = sum, target == C\0A\00") {addr_space = 0 : i32}
llvm.mlir.global internal constant @case_g("case G: reduction = mean, ignore_index = 3, target -1\0A\00") {addr_space = 0 : i32}
llvm.mlir.global internal constant @case_h("case H: dynamic, reduction = none, i32 targets\0A\00") {addr_space = 0 : i32}
llvm.mlir.global internal constant @case_i("case I: dynamic, reduction = mean, i64 targets\0A\00") {addr_space = 0 : i32}
llvm.mlir.global internal constant @case_j("case J: rank-1 logits, rank-0 target\0A\00") {addr_space = 0 : i32}
llvm.mlir.global internal constant @case_k("case K: 3-D logits, reduction = none\0A\00") {addr_space = 0 : i32}
llvm.mlir.global internal constant @case_l("case L: 3-D logits, reduction = mean\0A\00") {addr_space = 0 : i32}

func.func private @printString(!llvm.ptr)
func.func private @printMemrefF32(tensor<*xf32>)

func.func @xent_none(%z: tensor<4x5xf32>, %t: tensor<4xi64>) -> tensor<4xf32> {
  %r = attn.xent_logits %z, %t reduction = none : tensor<4x5xf32>, tensor<4xi64>
  return %r : tensor<4xf32>
}

func.func @xent_sum(%z: tensor<4x5xf32>, %t: tensor<4xi64>) -> tensor<f32> {
  %r = attn.xent_logits %z, %t reduction = sum : tensor<4x5xf32>, tensor<4xi64>
  return %r : tensor<f32>
}

func.func @xent_mean_i32(%z: tensor<4x5xf32>, %t: tensor<4xi32>) -> tensor<f32> {
  %r = attn.xent_logits %z, %t : tensor<4x5xf32>, tensor<4xi32>
  return %r : tensor<f32>
}

func.func @xent_mean(%z: tensor<4x5xf32>, %t: tensor<4xi64>) -> tensor<f32> {
  %r = attn.xent_logits %z, %t reduction = mean : tensor<4x5xf32>, tensor<4xi64>
  return %r : tensor<f32>
}

func.func @xent_ignore1(%z: tensor<4x5xf32>, %t: tensor<4xi32>) -> tensor<4xf32> {
  %r = attn.xent_logits %z, %t ignore_index = 1 reduction = none : tensor<4x5xf32>, tensor<4xi32>
  return %r : tensor<4xf32>
}

func.func @xent_sum_oob(%z: tensor<4x5xf32>, %t: tensor<4xi64>) -> tensor<f32> {
  %r = attn.xent_logits %z, %t reduction = sum : tensor<4x5xf32>, tensor<4xi64>
  return %r : tensor<f32>
}

func.func @xent_mean_oob(%z: tensor<4x5xf32>, %t: tensor<4xi32>) -> tensor<f32> {
  %r = attn.xent_logits %z, %t ignore_index = 3 reduction = mean : tensor<4x5xf32>, tensor<4xi32>
  return %r : tensor<f32>
}

func.func @xent_dyn_none(%z: tensor<?x?xf32>, %t: tensor<?xi32>) -> tensor<?xf32> {
  %r = attn.xent_logits %z, %t reduction = none : tensor<?x?xf32>, tensor<?xi32>
  return %r : tensor<?xf32>
}

func.func @xent_dyn_mean(%z: tensor<?x?xf32>, %t: tensor<?xi64>) -> tensor<f32> {
  %r = attn.xent_logits %z, %t : tensor<?x?xf32>, tensor<?xi64>
  return %r : tensor<f32>
}

func.func @xent_1d(%z: tensor<4xf32>, %t: tensor<i64>) -> tensor<f32> {
  %r = attn.xent_logits %z, %t reduction = none : tensor<4xf32>, tensor<i64>
  return %r : tensor<f32>
}

func.func @xent_3d_none(%z: tensor<2x2x3xf32>, %t: tensor<2x2xi32>) -> tensor<2x2xf32> {
  %r = attn.xent_logits %z, %t reduction = none : tensor<2x2x3xf32>, tensor<2x2xi32>
  return %r : tensor<2x2xf32>
}

func.func @xent_3d_mean(%z: tensor<2x2x3xf32>, %t: tensor<2x2xi64>) -> tensor<f32> {
  %r = attn.xent_logits %z, %t : tensor<2x2x3xf32>, tensor<2x2xi64>
  return %r : tensor<f32>
}

func.func @main() {
  // Case A. Static [4,5] logits, i64 targets, reduction = none.
  //   row 0: 1e4 logits (a naive exp overflows), target 0
  //   row 1: target -100 == the default ignore_index, loss 0
  //   row 2: target 7 is out of [0, 5), NaN
  //   row 3: -1e4 logits (a naive exp underflows to 0), target 4
  // numpy: xent_logits(zA, tA, reduction="none") = [1.769891741, 0, nan, 3.444518974]
  %la = llvm.mlir.addressof @case_a : !llvm.ptr
  call @printString(%la) : (!llvm.ptr) -> ()
  %zA = arith.constant dense<[[10000.0, 10001.0, 9999.0, 10000.5, 9998.0],
                              [0.5, -1.0, 2.0, 0.0, 1.5],
                              [1.0, 2.0, 3.0, 4.0, 5.0],
                              [-10000.0, -9998.0, -10003.0, -9999.0, -10001.0]]> : tensor<4x5xf32>
  %tA = arith.constant dense<[0, -100, 7, 4]> : tensor<4xi64>
  %rA = call @xent_none(%zA, %tA) : (tensor<4x5xf32>, tensor<4xi64>) -> tensor<4xf32>
  %uA = tensor.cast %rA : tensor<4xf32> to tensor<*xf32>
  call @printMemrefF32(%uA) : (tensor<*xf32>) -> ()
  // CHECK-LABEL: case A: reduction = none, i64 targets, 1e4 logits
  // CHECK-NEXT:  Unranked Memref base@ = {{.*}} rank = 1 offset = 0 sizes = [4] strides = [1] data =
  // CHECK-NEXT:  [1.76989, 0, {{-?nan}}, 3.44452]

  // Case B. The logits of case A with i64 targets [3, -100, 1, 2] and
  // reduction = sum: the ignored row 1 adds 0.
  // numpy: xent_logits(zB, tB, reduction="sum") = 10.16632511
  %lb = llvm.mlir.addressof @case_b : !llvm.ptr
  call @printString(%lb) : (!llvm.ptr) -> ()
  %zB = arith.constant dense<[[10000.0, 10001.0, 9999.0, 10000.5, 9998.0],
                              [0.5, -1.0, 2.0, 0.0, 1.5],
                              [1.0, 2.0, 3.0, 4.0, 5.0],
                              [-10000.0, -9998.0, -10003.0, -9999.0, -10001.0]]> : tensor<4x5xf32>
  %tB = arith.constant dense<[3, -100, 1, 2]> : tensor<4xi64>
  %rB = call @xent_sum(%zB, %tB) : (tensor<4x5xf32>, tensor<4xi64>) -> tensor<f32>
  %uB = tensor.cast %rB : tensor<f32> to tensor<*xf32>
  call @printMemrefF32(%uB) : (tensor<*xf32>) -> ()
  // CHECK-LABEL: case B: reduction = sum, i64 targets, an ignored row
  // CHECK-NEXT:  Unranked Memref base@ = {{.*}} rank = 0 offset = 0 sizes = [] strides = [] data =
  // CHECK-NEXT:  [10.1663]

  // Case C. Static [4,5] logits, i32 targets [2, -100, 0, -100], no
  // reduction attribute (mean): the mean is over the 2 kept rows only.
  // numpy: xent_logits(zC, tC) = 1.612127824
  %lc = llvm.mlir.addressof @case_c : !llvm.ptr
  call @printString(%lc) : (!llvm.ptr) -> ()
  %zC = arith.constant dense<[[0.5, -1.0, 2.0, 0.0, 1.5],
                              [3.0, 1.0, -2.0, 0.5, 0.25],
                              [10000.0, 9999.0, 10002.0, 10001.0, 10000.0],
                              [-1.0, -1.0, 1.0, 2.0, 0.0]]> : tensor<4x5xf32>
  %tC = arith.constant dense<[2, -100, 0, -100]> : tensor<4xi32>
  %rC = call @xent_mean_i32(%zC, %tC) : (tensor<4x5xf32>, tensor<4xi32>) -> tensor<f32>
  %uC = tensor.cast %rC : tensor<f32> to tensor<*xf32>
  call @printMemrefF32(%uC) : (tensor<*xf32>) -> ()
  // CHECK-LABEL: case C: default reduction (mean), i32 targets, ignored rows
  // CHECK-NEXT:  Unranked Memref base@ = {{.*}} rank = 0 offset = 0 sizes = [] strides = [] data =
  // CHECK-NEXT:  [1.61213]

  // Case D. Every target is -100 (ignored): the mean over zero kept rows
  // is 0 / 0 = NaN.
  // numpy: xent_logits(zD, tD, reduction="mean") = nan
  %ld = llvm.mlir.addressof @case_d : !llvm.ptr
  call @printString(%ld) : (!llvm.ptr) -> ()
  %zD = arith.constant dense<[[0.5, -1.0, 2.0, 0.0, 1.5],
                              [3.0, 1.0, -2.0, 0.5, 0.25],
                              [10000.0, 9999.0, 10002.0, 10001.0, 10000.0],
                              [-1.0, -1.0, 1.0, 2.0, 0.0]]> : tensor<4x5xf32>
  %tD = arith.constant dense<[-100, -100, -100, -100]> : tensor<4xi64>
  %rD = call @xent_mean(%zD, %tD) : (tensor<4x5xf32>, tensor<4xi64>) -> tensor<f32>
  %uD = tensor.cast %rD : tensor<f32> to tensor<*xf32>
  call @printMemrefF32(%uD) : (tensor<*xf32>) -> ()
  // CHECK-LABEL: case D: reduction = mean, every row ignored
  // CHECK-NEXT:  Unranked Memref base@ = {{.*}} rank = 0 offset = 0 sizes = [] strides = [] data =
  // CHECK-NEXT:  [{{-?nan}}]

  // Case E. ignore_index = 1 with i32 targets [1, -3, -100, 4],
  // reduction = none: target 1 is ignored (0); -3 is out of range (NaN);
  // -100 is not the ignore_index here, so it is out of range too (NaN).
  // numpy: xent_logits(zE, tE, ignore_index=1, reduction="none") = [0, nan, nan, 1.06249749]
  %le = llvm.mlir.addressof @case_e : !llvm.ptr
  call @printString(%le) : (!llvm.ptr) -> ()
  %zE = arith.constant dense<[[1.0, 2.0, 0.5, -1.0, 0.0],
                              [0.0, 1.0, 2.0, 3.0, 4.0],
                              [2.0, 0.5, 1.0, 0.0, -0.5],
                              [-1.5, -0.25, 1.25, 0.75, 1.25]]> : tensor<4x5xf32>
  %tE = arith.constant dense<[1, -3, -100, 4]> : tensor<4xi32>
  %rE = call @xent_ignore1(%zE, %tE) : (tensor<4x5xf32>, tensor<4xi32>) -> tensor<4xf32>
  %uE = tensor.cast %rE : tensor<4xf32> to tensor<*xf32>
  call @printMemrefF32(%uE) : (tensor<*xf32>) -> ()
  // CHECK-LABEL: case E: ignore_index = 1, negative targets, reduction = none
  // CHECK-NEXT:  Unranked Memref base@ = {{.*}} rank = 1 offset = 0 sizes = [4] strides = [1] data =
  // CHECK-NEXT:  [0, {{-?nan}}, {{-?nan}}, 1.0625]

  // Case F. reduction = sum with i64 targets [0, 5, 1, 2]: target 5 == C
  // is out of range, so its row and the sum are NaN.
  // numpy: xent_logits(zF, tF, reduction="sum") = nan
  %lf = llvm.mlir.addressof @case_f : !llvm.ptr
  call @printString(%lf) : (!llvm.ptr) -> ()
  %zF = arith.constant dense<[[1.0, 2.0, 0.5, -1.0, 0.0],
                              [0.0, 1.0, 2.0, 3.0, 4.0],
                              [2.0, 0.5, 1.0, 0.0, -0.5],
                              [-1.5, -0.25, 1.25, 0.75, 1.25]]> : tensor<4x5xf32>
  %tF = arith.constant dense<[0, 5, 1, 2]> : tensor<4xi64>
  %rF = call @xent_sum_oob(%zF, %tF) : (tensor<4x5xf32>, tensor<4xi64>) -> tensor<f32>
  %uF = tensor.cast %rF : tensor<f32> to tensor<*xf32>
  call @printMemrefF32(%uF) : (tensor<*xf32>) -> ()
  // CHECK-LABEL: case F: reduction = sum, target == C
  // CHECK-NEXT:  Unranked Memref base@ = {{.*}} rank = 0 offset = 0 sizes = [] strides = [] data =
  // CHECK-NEXT:  [{{-?nan}}]

  // Case G. reduction = mean, ignore_index = 3, i32 targets [3, 0, -1, 2]:
  // target -1 is out of range, so the mean is NaN.
  // numpy: xent_logits(zG, tG, ignore_index=3, reduction="mean") = nan
  %lg = llvm.mlir.addressof @case_g : !llvm.ptr
  call @printString(%lg) : (!llvm.ptr) -> ()
  %zG = arith.constant dense<[[1.0, 2.0, 0.5, -1.0, 0.0],
                              [0.0, 1.0, 2.0, 3.0, 4.0],
                              [2.0, 0.5, 1.0, 0.0, -0.5],
                              [-1.5, -0.25, 1.25, 0.75, 1.25]]> : tensor<4x5xf32>
  %tG = arith.constant dense<[3, 0, -1, 2]> : tensor<4xi32>
  %rG = call @xent_mean_oob(%zG, %tG) : (tensor<4x5xf32>, tensor<4xi32>) -> tensor<f32>
  %uG = tensor.cast %rG : tensor<f32> to tensor<*xf32>
  call @printMemrefF32(%uG) : (tensor<*xf32>) -> ()
  // CHECK-LABEL: case G: reduction = mean, ignore_index = 3, target -1
  // CHECK-NEXT:  Unranked Memref base@ = {{.*}} rank = 0 offset = 0 sizes = [] strides = [] data =
  // CHECK-NEXT:  [{{-?nan}}]

  // Case H. Dynamic shapes (tensor<?x?xf32> logits, tensor<?xi32> targets),
  // [3,4] logits, targets [3, 0, -100], reduction = none.
  // numpy: xent_logits(zH, tH, reduction="none") = [0.4847311347, 0.1818102474, 0]
  %lh = llvm.mlir.addressof @case_h : !llvm.ptr
  call @printString(%lh) : (!llvm.ptr) -> ()
  %zH = arith.constant dense<[[0.25, 1.0, -0.5, 2.0],
                              [2.5, -0.5, 0.5, -1.75],
                              [1.0, 1.0, 1.0, 1.0]]> : tensor<3x4xf32>
  %zHd = tensor.cast %zH : tensor<3x4xf32> to tensor<?x?xf32>
  %tH = arith.constant dense<[3, 0, -100]> : tensor<3xi32>
  %tHd = tensor.cast %tH : tensor<3xi32> to tensor<?xi32>
  %rH = call @xent_dyn_none(%zHd, %tHd) : (tensor<?x?xf32>, tensor<?xi32>) -> tensor<?xf32>
  %uH = tensor.cast %rH : tensor<?xf32> to tensor<*xf32>
  call @printMemrefF32(%uH) : (tensor<*xf32>) -> ()
  // CHECK-LABEL: case H: dynamic, reduction = none, i32 targets
  // CHECK-NEXT:  Unranked Memref base@ = {{.*}} rank = 1 offset = 0 sizes = [3] strides = [1] data =
  // CHECK-NEXT:  [0.484731, 0.18181, 0]

  // Case I. Dynamic shapes (tensor<?x?xf32> logits, tensor<?xi64> targets),
  // [3,4] logits, targets [1, -100, 2], default reduction (mean over the
  // 2 kept rows). Row 0 holds 1e4 logits.
  // numpy: xent_logits(zI, tI) = 1.30783998
  %li = llvm.mlir.addressof @case_i : !llvm.ptr
  call @printString(%li) : (!llvm.ptr) -> ()
  %zI = arith.constant dense<[[10000.0, 10003.0, 10001.0, 10002.0],
                              [0.5, 2.0, -1.0, 0.0],
                              [1.5, -0.5, 0.0, 1.0]]> : tensor<3x4xf32>
  %zId = tensor.cast %zI : tensor<3x4xf32> to tensor<?x?xf32>
  %tI = arith.constant dense<[1, -100, 2]> : tensor<3xi64>
  %tId = tensor.cast %tI : tensor<3xi64> to tensor<?xi64>
  %rI = call @xent_dyn_mean(%zId, %tId) : (tensor<?x?xf32>, tensor<?xi64>) -> tensor<f32>
  %uI = tensor.cast %rI : tensor<f32> to tensor<*xf32>
  call @printMemrefF32(%uI) : (tensor<*xf32>) -> ()
  // CHECK-LABEL: case I: dynamic, reduction = mean, i64 targets
  // CHECK-NEXT:  Unranked Memref base@ = {{.*}} rank = 0 offset = 0 sizes = [] strides = [] data =
  // CHECK-NEXT:  [1.30784]

  // Case J. Rank-1 logits [4] and a rank-0 i64 target (2) give a rank-0
  // loss with reduction = none.
  // numpy: xent_logits(zJ, tJ, reduction="none") = 2.440189699
  %lj = llvm.mlir.addressof @case_j : !llvm.ptr
  call @printString(%lj) : (!llvm.ptr) -> ()
  %zJ = arith.constant dense<[1.0, 2.0, 0.0, -1.0]> : tensor<4xf32>
  %tJ = arith.constant dense<2> : tensor<i64>
  %rJ = call @xent_1d(%zJ, %tJ) : (tensor<4xf32>, tensor<i64>) -> tensor<f32>
  %uJ = tensor.cast %rJ : tensor<f32> to tensor<*xf32>
  call @printMemrefF32(%uJ) : (tensor<*xf32>) -> ()
  // CHECK-LABEL: case J: rank-1 logits, rank-0 target
  // CHECK-NEXT:  Unranked Memref base@ = {{.*}} rank = 0 offset = 0 sizes = [] strides = [] data =
  // CHECK-NEXT:  [2.44019]

  // Case K. [2,2,3] logits and [2,2] i32 targets [[0, 1], [-100, 2]],
  // reduction = none: the result has the [2,2] shape of the targets.
  // numpy: xent_logits(zK, tK, reduction="none") =
  //   [[0.4076059644, 0.5549569196],
  //    [0, 2.600390656]]
  %lk = llvm.mlir.addressof @case_k : !llvm.ptr
  call @printString(%lk) : (!llvm.ptr) -> ()
  %zK = arith.constant dense<[[[1.0, 0.0, -1.0],
                               [2.0, 2.5, 0.5]],
                              [[-0.5, 1.0, 0.25],
                               [-0.25, 3.5, 1.0]]]> : tensor<2x2x3xf32>
  %tK = arith.constant dense<[[0, 1], [-100, 2]]> : tensor<2x2xi32>
  %rK = call @xent_3d_none(%zK, %tK) : (tensor<2x2x3xf32>, tensor<2x2xi32>) -> tensor<2x2xf32>
  %uK = tensor.cast %rK : tensor<2x2xf32> to tensor<*xf32>
  call @printMemrefF32(%uK) : (tensor<*xf32>) -> ()
  // CHECK-LABEL: case K: 3-D logits, reduction = none
  // CHECK-NEXT:  Unranked Memref base@ = {{.*}} rank = 2 offset = 0 sizes = [2, 2] strides = [2, 1] data =
  // CHECK-NEXT:  {{\[}}[0.407606, 0.554957],
  // CHECK-NEXT:  [0, 2.60039]]

  // Case L. The logits of case K with i64 targets [[2, -100], [1, 0]] and
  // the default reduction: the mean over the 3 kept rows.
  // numpy: xent_logits(zL, tL) = 2.261990788
  %ll = llvm.mlir.addressof @case_l : !llvm.ptr
  call @printString(%ll) : (!llvm.ptr) -> ()
  %zL = arith.constant dense<[[[1.0, 0.0, -1.0],
                               [2.0, 2.5, 0.5]],
                              [[-0.5, 1.0, 0.25],
                               [-0.25, 3.5, 1.0]]]> : tensor<2x2x3xf32>
  %tL = arith.constant dense<[[2, -100], [1, 0]]> : tensor<2x2xi64>
  %rL = call @xent_3d_mean(%zL, %tL) : (tensor<2x2x3xf32>, tensor<2x2xi64>) -> tensor<f32>
  %uL = tensor.cast %rL : tensor<f32> to tensor<*xf32>
  call @printMemrefF32(%uL) : (tensor<*xf32>) -> ()
  // CHECK-LABEL: case L: 3-D logits, reduction = mean
  // CHECK-NEXT:  Unranked Memref base@ = {{.*}} rank = 0 offset = 0 sizes = [] strides = [] data =
  // CHECK-NEXT:  [2.26199]
  return
}
