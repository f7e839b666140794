// RUN: attn-opt %s --attn-lower-to-llvm | mlir-runner -e main -entry-point-result=void -shared-libs=%mlir_runner_utils,%mlir_c_runner_utils | FileCheck %s

// Execution test of attn.log_softmax: with x = input + mask (+ the causal mask),
//   result[..., j] = x[..., j] - logsumexp_k x[..., k]
// Masked entries are -inf and a fully masked row is -inf throughout. The
// causal mask removes entry (i, j) of the trailing [M, N] dims when
// j > i + (N - M).
//
// The expected values were computed independently with numpy in float64, never
// from the output of attn-opt:
//
//   import numpy as np; inf = np.inf
//   def additive_mask(shape, mask=None, causal=False):
//       add = np.zeros(shape, np.float64)
//       if mask is not None:
//           add = add + np.asarray(mask, np.float64)  # numpy broadcasts [M, N]
//       if causal:
//           M, N = shape[-2:]
//           i, j = np.arange(M)[:, None], np.arange(N)[None, :]
//           add = np.where(j > i + (N - M), -inf, add)
//       return add
//   def log_softmax(x, mask=None, causal=False):
//       x = np.asarray(x, np.float64)
//       x = x + additive_mask(x.shape, mask, causal)
//       lse = np.logaddexp.reduce(x, axis=-1)[..., None]  # stable, -inf if fully masked
//       with np.errstate(invalid="ignore"):
//           return np.where(lse == -inf, -inf, x - lse)
//
// with x and mask the dense constants of each case below. The finite inputs are
// multiples of 0.25 (exact in float32), picked so that every inexact expected
// value is at least 0.2 units of its 6th significant digit away from a rounding
// boundary, and recomputing every case in np.float32 ((x - m) - log(sum(exp(x -
// m))), m the row maximum) prints the same 6 significant digits, so float32
// rounding cannot change the printed value.
// Each case prints a "case X" label first so that a failure points at it.

llvm.mlir.global internal constant @case_a("case A: static, 1e4 logits, -inf inputs\0A\00") {addr_space = 0 : i32}
llvm.mlir.global internal constant @case_b("case B: static, [3,4] mask broadcast over batch\0A\00") {addr_space = 0 : i32}
llvm.mlir.global internal constant @case_c("case C: static, full-shape mask\0A\00") {addr_space = 0 : i32}
llvm.mlir.global internal constant @case_d("case D: causal, M == N\0A\00") {addr_space = 0 : i32}
llvm.mlir.global internal constant @case_e("case E: causal, M < N\0A\00") {addr_space = 0 : i32}
llvm.mlir.global internal constant @case_f("case F: causal, M > N\0A\00") {addr_space = 0 : i32}
llvm.mlir.global internal constant @case_g("case G: causal and a broadcast mask\0A\00") {addr_space = 0 : i32}
llvm.mlir.global internal constant @case_h("case H: dynamic, causal and a broadcast mask\0A\00") {addr_space = 0 : i32}
llvm.mlir.global internal constant @case_i("case I: dynamic, causal, M > N\0A\00") {addr_space = 0 : i32}
llvm.mlir.global internal constant @case_j("case J: dynamic, full-shape mask\0A\00") {addr_space = 0 : i32}
llvm.mlir.global internal constant @case_k("case K: dynamic rank-1, -1e4 logits\0A\00") {addr_space = 0 : i32}

func.func private @printString(!llvm.ptr)
func.func private @printMemrefF32(tensor<*xf32>)

func.func @lsm_3x4(%x: tensor<3x4xf32>) -> tensor<3x4xf32> {
  %r = attn.log_softmax %x : tensor<3x4xf32>
  return %r : tensor<3x4xf32>
}

func.func @lsm_bcast(%x: tensor<2x3x4xf32>, %m: tensor<3x4xf32>) -> tensor<2x3x4xf32> {
  %r = attn.log_softmax %x mask %m : tensor<2x3x4xf32>, tensor<3x4xf32>
  return %r : tensor<2x3x4xf32>
}

func.func @lsm_full(%x: tensor<2x2x3xf32>, %m: tensor<2x2x3xf32>) -> tensor<2x2x3xf32> {
  %r = attn.log_softmax %x mask %m : tensor<2x2x3xf32>, tensor<2x2x3xf32>
  return %r : tensor<2x2x3xf32>
}

func.func @lsm_causal_3x3(%x: tensor<3x3xf32>) -> tensor<3x3xf32> {
  %r = attn.log_softmax %x causal : tensor<3x3xf32>
  return %r : tensor<3x3xf32>
}

func.func @lsm_causal_2x4(%x: tensor<2x4xf32>) -> tensor<2x4xf32> {
  %r = attn.log_softmax %x causal : tensor<2x4xf32>
  return %r : tensor<2x4xf32>
}

func.func @lsm_causal_4x2(%x: tensor<4x2xf32>) -> tensor<4x2xf32> {
  %r = attn.log_softmax %x causal : tensor<4x2xf32>
  return %r : tensor<4x2xf32>
}

func.func @lsm_causal_mask(%x: tensor<2x3x4xf32>, %m: tensor<3x4xf32>) -> tensor<2x3x4xf32> {
  %r = attn.log_softmax %x mask %m causal : tensor<2x3x4xf32>, tensor<3x4xf32>
  return %r : tensor<2x3x4xf32>
}

func.func @lsm_dyn(%x: tensor<?x?x?xf32>, %m: tensor<?x?xf32>) -> tensor<?x?x?xf32> {
  %r = attn.log_softmax %x mask %m causal : tensor<?x?x?xf32>, tensor<?x?xf32>
  return %r : tensor<?x?x?xf32>
}

func.func @lsm_dyn_causal(%x: tensor<?x?xf32>) -> tensor<?x?xf32> {
  %r = attn.log_softmax %x causal : tensor<?x?xf32>
  return %r : tensor<?x?xf32>
}

func.func @lsm_dyn_full(%x: tensor<?x?x?xf32>, %m: tensor<?x?x?xf32>) -> tensor<?x?x?xf32> {
  %r = attn.log_softmax %x mask %m : tensor<?x?x?xf32>, tensor<?x?x?xf32>
  return %r : tensor<?x?x?xf32>
}

func.func @lsm_1d_dyn(%x: tensor<?xf32>) -> tensor<?xf32> {
  %r = attn.log_softmax %x : tensor<?xf32>
  return %r : tensor<?xf32>
}

func.func @main() {
  // Case A. Static [3,4], no mask. Rows 0 and 1 hold logits of magnitude 1e4
  // (a naive exp overflows to inf, or underflows to 0 for row 1); a -inf
  // input in row 2 gives -inf.
  // numpy: log_softmax(xA) =
  //   [[-1.746567269, -0.7465672692, -2.746567269, -1.246567269],
  //    [-2.478988013, -0.4789880129, -5.478988013, -1.228988013],
  //    [-1.371539032, -inf, -0.3715390319, -2.871539032]]
  %la = llvm.mlir.addressof @case_a : !llvm.ptr
  call @printString(%la) : (!llvm.ptr) -> ()
  %xA = arith.constant dense<[[10000.0, 10001.0, 9999.0, 10000.5],
                              [-10000.0, -9998.0, -10003.0, -9998.75],
                              [0.5, 0xFF800000, 1.5, -1.0]]> : tensor<3x4xf32>
  %rA = call @lsm_3x4(%xA) : (tensor<3x4xf32>) -> tensor<3x4xf32>
  %uA = tensor.cast %rA : tensor<3x4xf32> to tensor<*xf32>
  call @printMemrefF32(%uA) : (tensor<*xf32>) -> ()
  // CHECK-LABEL: case A: static, 1e4 logits, -inf inputs
  // CHECK-NEXT:  Unranked Memref base@ = {{.*}} rank = 2 offset = 0 sizes = [3, 4] strides = [4, 1] data =
  // CHECK-NEXT:  {{\[}}[-1.74657, -0.746567, -2.74657, -1.24657],
  // CHECK-NEXT:  [-2.47899, -0.478988, -5.47899, -1.22899],
  // CHECK-NEXT:  [-1.37154, -inf, -0.371539, -2.87154]]

  // Case B. Static [2,3,4] with a [3,4] additive mask broadcast over the
  // batch: row 0 keeps j <= 1, row 1 is fully masked (-inf throughout, not
  // NaN), row 2 adds finite biases and masks column 2.
  // numpy: log_softmax(xB, mB) =
  //   [[[-2.126928011, -0.126928011, -inf, -inf],
  //     [-inf, -inf, -inf, -inf],
  //     [-3.784040726, -4.534040726, -inf, -0.0340407263]],
  //    [[-0.02975041827, -3.529750418, -inf, -inf],
  //     [-inf, -inf, -inf, -inf],
  //     [-0.4643687841, -1.464368784, -inf, -1.964368784]]]
  %lb = llvm.mlir.addressof @case_b : !llvm.ptr
  call @printString(%lb) : (!llvm.ptr) -> ()
  %xB = arith.constant dense<[[[0.75, 2.75, 3.0, 4.0],
                               [0.5, -0.5, 2.0, 1.0],
                               [-1.0, -0.75, 1.0, 2.25]],
                              [[2.25, -1.25, 0.25, 1.0],
                               [10.0, 20.0, 30.0, 40.0],
                               [2.0, 2.0, -3.0, 0.0]]]> : tensor<2x3x4xf32>
  %mB = arith.constant dense<[[0.0, 0.0, 0xFF800000, 0xFF800000],
                              [0xFF800000, 0xFF800000, 0xFF800000, 0xFF800000],
                              [0.0, -1.0, 0xFF800000, 0.5]]> : tensor<3x4xf32>
  %rB = call @lsm_bcast(%xB, %mB) : (tensor<2x3x4xf32>, tensor<3x4xf32>) -> tensor<2x3x4xf32>
  %uB = tensor.cast %rB : tensor<2x3x4xf32> to tensor<*xf32>
  call @printMemrefF32(%uB) : (tensor<*xf32>) -> ()
  // CHECK-LABEL: case B: static, [3,4] mask broadcast over batch
  // CHECK-NEXT:  Unranked Memref base@ = {{.*}} rank = 3 offset = 0 sizes = [2, 3, 4] strides = [12, 4, 1] data =
  // CHECK-NEXT:  {{\[\[}}[-2.12693, -0.126928, -inf, -inf],
  // CHECK-NEXT:  [-inf, -inf, -inf, -inf],
  // CHECK-NEXT:  [-3.78404, -4.53404, -inf, -0.0340407]],
  // CHECK-NEXT:  {{\[}}[-0.0297504, -3.52975, -inf, -inf],
  // CHECK-NEXT:  [-inf, -inf, -inf, -inf],
  // CHECK-NEXT:  [-0.464369, -1.46437, -inf, -1.96437]]]

  // Case C. Static [2,2,3] with a full-shape [2,2,3] mask; row (1, 1) is
  // fully masked (-inf throughout).
  // numpy: log_softmax(xC, mC) =
  //   [[[-inf, -2.126928011, -0.126928011],
  //     [-0.9740769842, -0.4740769842, -inf]],
  //    [[-2.811967589, -inf, -0.061967589],
  //     [-inf, -inf, -inf]]]
  %lc = llvm.mlir.addressof @case_c : !llvm.ptr
  call @printString(%lc) : (!llvm.ptr) -> ()
  %xC = arith.constant dense<[[[1.0, 1.75, 3.75],
                               [0.0, 0.0, 0.0]],
                              [[-1.75, 4.0, 1.0],
                               [5.0, 6.0, 7.0]]]> : tensor<2x2x3xf32>
  %mC = arith.constant dense<[[[0xFF800000, 0.0, 0.0],
                               [0.0, 0.5, 0xFF800000]],
                              [[0.0, 0xFF800000, 0.0],
                               [0xFF800000, 0xFF800000, 0xFF800000]]]> : tensor<2x2x3xf32>
  %rC = call @lsm_full(%xC, %mC) : (tensor<2x2x3xf32>, tensor<2x2x3xf32>) -> tensor<2x2x3xf32>
  %uC = tensor.cast %rC : tensor<2x2x3xf32> to tensor<*xf32>
  call @printMemrefF32(%uC) : (tensor<*xf32>) -> ()
  // CHECK-LABEL: case C: static, full-shape mask
  // CHECK-NEXT:  Unranked Memref base@ = {{.*}} rank = 3 offset = 0 sizes = [2, 2, 3] strides = [6, 3, 1] data =
  // CHECK-NEXT:  {{\[\[}}[-inf, -2.12693, -0.126928],
  // CHECK-NEXT:  [-0.974077, -0.474077, -inf]],
  // CHECK-NEXT:  {{\[}}[-2.81197, -inf, -0.0619676],
  // CHECK-NEXT:  [-inf, -inf, -inf]]]

  // Case D. Causal [3,3] (M == N): row i keeps j <= i; the masked upper
  // triangle holds the largest logits.
  // numpy: log_softmax(xD, causal=True) =
  //   [[0, -inf, -inf],
  //    [-0.4740769842, -0.9740769842, -inf],
  //    [-1.371539032, -0.3715390319, -2.871539032]]
  %ld = llvm.mlir.addressof @case_d : !llvm.ptr
  call @printString(%ld) : (!llvm.ptr) -> ()
  %xD = arith.constant dense<[[2.0, 9.0, 9.0],
                              [1.75, 1.25, 9.0],
                              [0.75, 1.75, -0.75]]> : tensor<3x3xf32>
  %rD = call @lsm_causal_3x3(%xD) : (tensor<3x3xf32>) -> tensor<3x3xf32>
  %uD = tensor.cast %rD : tensor<3x3xf32> to tensor<*xf32>
  call @printMemrefF32(%uD) : (tensor<*xf32>) -> ()
  // CHECK-LABEL: case D: causal, M == N
  // CHECK-NEXT:  Unranked Memref base@ = {{.*}} rank = 2 offset = 0 sizes = [3, 3] strides = [3, 1] data =
  // CHECK-NEXT:  {{\[}}[0, -inf, -inf],
  // CHECK-NEXT:  [-0.474077, -0.974077, -inf],
  // CHECK-NEXT:  [-1.37154, -0.371539, -2.87154]]

  // Case E. Causal [2,4] (M = 2 < N = 4, bottom-right aligned): row 0 keeps
  // columns 0..2, row 1 keeps columns 0..3.
  // numpy: log_softmax(xE, causal=True) =
  //   [[-0.2663678998, -1.7663679, -2.7663679, -inf],
  //    [-2.292152025, -2.042152025, -3.792152025, -0.2921520249]]
  %le = llvm.mlir.addressof @case_e : !llvm.ptr
  call @printString(%le) : (!llvm.ptr) -> ()
  %xE = arith.constant dense<[[1.25, -0.25, -1.25, 8.0],
                              [0.25, 0.5, -1.25, 2.25]]> : tensor<2x4xf32>
  %rE = call @lsm_causal_2x4(%xE) : (tensor<2x4xf32>) -> tensor<2x4xf32>
  %uE = tensor.cast %rE : tensor<2x4xf32> to tensor<*xf32>
  call @printMemrefF32(%uE) : (tensor<*xf32>) -> ()
  // CHECK-LABEL: case E: causal, M < N
  // CHECK-NEXT:  Unranked Memref base@ = {{.*}} rank = 2 offset = 0 sizes = [2, 4] strides = [4, 1] data =
  // CHECK-NEXT:  {{\[}}[-0.266368, -1.76637, -2.76637, -inf],
  // CHECK-NEXT:  [-2.29215, -2.04215, -3.79215, -0.292152]]

  // Case F. Causal [4,2] (M = 4 > N = 2): rows 0 and 1 are fully masked
  // (-inf throughout), row 2 keeps column 0, row 3 keeps both.
  // numpy: log_softmax(xF, causal=True) =
  //   [[-inf, -inf],
  //    [-inf, -inf],
  //    [0, -inf],
  //    [-2.126928011, -0.126928011]]
  %lf = llvm.mlir.addressof @case_f : !llvm.ptr
  call @printString(%lf) : (!llvm.ptr) -> ()
  %xF = arith.constant dense<[[1.0, 2.0],
                              [3.0, 4.0],
                              [5.0, 6.0],
                              [-1.0, 1.0]]> : tensor<4x2xf32>
  %rF = call @lsm_causal_4x2(%xF) : (tensor<4x2xf32>) -> tensor<4x2xf32>
  %uF = tensor.cast %rF : tensor<4x2xf32> to tensor<*xf32>
  call @printMemrefF32(%uF) : (tensor<*xf32>) -> ()
  // CHECK-LABEL: case F: causal, M > N
  // CHECK-NEXT:  Unranked Memref base@ = {{.*}} rank = 2 offset = 0 sizes = [4, 2] strides = [2, 1] data =
  // CHECK-NEXT:  {{\[}}[-inf, -inf],
  // CHECK-NEXT:  [-inf, -inf],
  // CHECK-NEXT:  [0, -inf],
  // CHECK-NEXT:  [-2.12693, -0.126928]]

  // Case G. Static [2,3,4], causal (M = 3, N = 4: row i keeps j <= i + 1)
  // together with a [3,4] mask broadcast over the batch. Row 0 is fully
  // masked only by the combination (mask removes columns 0, 1; causal 2, 3).
  // numpy: log_softmax(xG, mG, causal=True) =
  //   [[[-inf, -inf, -inf, -inf],
  //     [-2.126928011, -inf, -0.126928011, -inf],
  //     [-0.1271581586, -3.627158159, -inf, -2.377158159]],
  //    [[-inf, -inf, -inf, -inf],
  //     [-0.02975041827, -inf, -3.529750418, -inf],
  //     [-0.9390699311, -1.189069931, -inf, -1.189069931]]]
  %lg = llvm.mlir.addressof @case_g : !llvm.ptr
  call @printString(%lg) : (!llvm.ptr) -> ()
  %xG = arith.constant dense<[[[1.0, 2.0, 3.0, 4.0],
                               [0.0, 1.0, 2.0, 3.0],
                               [2.0, -1.25, 1.0, 0.0]],
                              [[-3.0, 5.0, 0.0, 1.0],
                               [4.5, 4.0, 1.0, 7.0],
                               [0.0, 0.0, 0.0, 0.0]]]> : tensor<2x3x4xf32>
  %mG = arith.constant dense<[[0xFF800000, 0xFF800000, 0.0, 0.0],
                              [0.0, 0xFF800000, 0.0, 0.5],
                              [0.25, 0.0, 0xFF800000, 0.0]]> : tensor<3x4xf32>
  %rG = call @lsm_causal_mask(%xG, %mG) : (tensor<2x3x4xf32>, tensor<3x4xf32>) -> tensor<2x3x4xf32>
  %uG = tensor.cast %rG : tensor<2x3x4xf32> to tensor<*xf32>
  call @printMemrefF32(%uG) : (tensor<*xf32>) -> ()
  // CHECK-LABEL: case G: causal and a broadcast mask
  // CHECK-NEXT:  Unranked Memref base@ = {{.*}} rank = 3 offset = 0 sizes = [2, 3, 4] strides = [12, 4, 1] data =
  // CHECK-NEXT:  {{\[\[}}[-inf, -inf, -inf, -inf],
  // CHECK-NEXT:  [-2.12693, -inf, -0.126928, -inf],
  // CHECK-NEXT:  [-0.127158, -3.62716, -inf, -2.37716]],
  // CHECK-NEXT:  {{\[}}[-inf, -inf, -inf, -inf],
  // CHECK-NEXT:  [-0.0297504, -inf, -3.52975, -inf],
  // CHECK-NEXT:  [-0.93907, -1.18907, -inf, -1.18907]]]

  // Case H. Dynamic shapes (tensor<?x?x?xf32> input, tensor<?x?xf32> mask):
  // [2,2,3] input, causal (M = 2, N = 3: row 0 keeps j <= 1) with a [2,3]
  // mask broadcast over the batch. Batch 1 row 0 holds 1e4 logits.
  // numpy: log_softmax(xH, mH, causal=True) =
  //   [[[-1.501929081, -0.2519290813, -inf],
  //     [-0.9740769842, -inf, -0.4740769842]],
  //    [[-2.126928011, -0.126928011, -inf],
  //     [-1.136871006, -inf, -0.3868710061]]]
  %lh = llvm.mlir.addressof @case_h : !llvm.ptr
  call @printString(%lh) : (!llvm.ptr) -> ()
  %xH = arith.constant dense<[[[1.25, 2.5, 5.0],
                               [0.5, -0.5, 1.0]],
                              [[10000.0, 10002.0, 10001.0],
                               [-0.25, 0.0, 0.5]]]> : tensor<2x2x3xf32>
  %xHd = tensor.cast %xH : tensor<2x2x3xf32> to tensor<?x?x?xf32>
  %mH = arith.constant dense<[[0.0, 0.0, 0.0],
                              [0.0, 0xFF800000, 0.0]]> : tensor<2x3xf32>
  %mHd = tensor.cast %mH : tensor<2x3xf32> to tensor<?x?xf32>
  %rH = call @lsm_dyn(%xHd, %mHd) : (tensor<?x?x?xf32>, tensor<?x?xf32>) -> tensor<?x?x?xf32>
  %uH = tensor.cast %rH : tensor<?x?x?xf32> to tensor<*xf32>
  call @printMemrefF32(%uH) : (tensor<*xf32>) -> ()
  // CHECK-LABEL: case H: dynamic, causal and a broadcast mask
  // CHECK-NEXT:  Unranked Memref base@ = {{.*}} rank = 3 offset = 0 sizes = [2, 2, 3] strides = [6, 3, 1] data =
  // CHECK-NEXT:  {{\[\[}}[-1.50193, -0.251929, -inf],
  // CHECK-NEXT:  [-0.974077, -inf, -0.474077]],
  // CHECK-NEXT:  {{\[}}[-2.12693, -0.126928, -inf],
  // CHECK-NEXT:  [-1.13687, -inf, -0.386871]]]

  // Case I. Dynamic [3,2] (tensor<?x?xf32>), causal without a mask:
  // row 0 is fully masked (-inf throughout), row 1 keeps column 0, row 2 both.
  // numpy: log_softmax(xI, causal=True) =
  //   [[-inf, -inf],
  //    [0, -inf],
  //    [-2.126928011, -0.126928011]]
  %li = llvm.mlir.addressof @case_i : !llvm.ptr
  call @printString(%li) : (!llvm.ptr) -> ()
  %xI = arith.constant dense<[[4.0, 1.0],
                              [1.0, 2.0],
                              [0.25, 2.25]]> : tensor<3x2xf32>
  %xId = tensor.cast %xI : tensor<3x2xf32> to tensor<?x?xf32>
  %rI = call @lsm_dyn_causal(%xId) : (tensor<?x?xf32>) -> tensor<?x?xf32>
  %uI = tensor.cast %rI : tensor<?x?xf32> to tensor<*xf32>
  call @printMemrefF32(%uI) : (tensor<*xf32>) -> ()
  // CHECK-LABEL: case I: dynamic, causal, M > N
  // CHECK-NEXT:  Unranked Memref base@ = {{.*}} rank = 2 offset = 0 sizes = [3, 2] strides = [2, 1] data =
  // CHECK-NEXT:  {{\[}}[-inf, -inf],
  // CHECK-NEXT:  [0, -inf],
  // CHECK-NEXT:  [-2.12693, -0.126928]]

  // Case J. Dynamic [2,2,3] input and full-shape mask (tensor<?x?x?xf32>);
  // row (0, 1) is fully masked (-inf throughout).
  // numpy: log_softmax(xJ, mJ) =
  //   [[[-2.126928011, -inf, -0.126928011],
  //     [-inf, -inf, -inf]],
  //    [[-1.098612289, -1.098612289, -1.098612289],
  //     [-inf, -0.03804137169, -3.288041372]]]
  %lj = llvm.mlir.addressof @case_j : !llvm.ptr
  call @printString(%lj) : (!llvm.ptr) -> ()
  %xJ = arith.constant dense<[[[0.0, 1.0, 2.0],
                               [3.0, -1.0, 0.5]],
                              [[1.5, 1.5, 1.5],
                               [2.0, 0.75, -2.0]]]> : tensor<2x2x3xf32>
  %xJd = tensor.cast %xJ : tensor<2x2x3xf32> to tensor<?x?x?xf32>
  %mJ = arith.constant dense<[[[0.0, 0xFF800000, 0.0],
                               [0xFF800000, 0xFF800000, 0xFF800000]],
                              [[0.0, 0.0, 0.0],
                               [0xFF800000, 0.0, -0.5]]]> : tensor<2x2x3xf32>
  %mJd = tensor.cast %mJ : tensor<2x2x3xf32> to tensor<?x?x?xf32>
  %rJ = call @lsm_dyn_full(%xJd, %mJd) : (tensor<?x?x?xf32>, tensor<?x?x?xf32>) -> tensor<?x?x?xf32>
  %uJ = tensor.cast %rJ : tensor<?x?x?xf32> to tensor<*xf32>
  call @printMemrefF32(%uJ) : (tensor<*xf32>) -> ()
  // CHECK-LABEL: case J: dynamic, full-shape mask
  // CHECK-NEXT:  Unranked Memref base@ = {{.*}} rank = 3 offset = 0 sizes = [2, 2, 3] strides = [6, 3, 1] data =
  // CHECK-NEXT:  {{\[\[}}[-2.12693, -inf, -0.126928],
  // CHECK-NEXT:  [-inf, -inf, -inf]],
  // CHECK-NEXT:  {{\[}}[-1.09861, -1.09861, -1.09861],
  // CHECK-NEXT:  [-inf, -0.0380414, -3.28804]]]

  // Case K. Dynamic rank-1 input (tensor<?xf32>) with -1e4 logits (a naive
  // exp underflows to 0, giving log(0) = -inf).
  // numpy: log_softmax(xK) = [-1.475372907, -2.475372907, -0.4753729069, -2.725372907]
  %lk = llvm.mlir.addressof @case_k : !llvm.ptr
  call @printString(%lk) : (!llvm.ptr) -> ()
  %xK = arith.constant dense<[-10000.0, -10001.0, -9999.0, -10001.25]> : tensor<4xf32>
  %xKd = tensor.cast %xK : tensor<4xf32> to tensor<?xf32>
  %rK = call @lsm_1d_dyn(%xKd) : (tensor<?xf32>) -> tensor<?xf32>
  %uK = tensor.cast %rK : tensor<?xf32> to tensor<*xf32>
  call @printMemrefF32(%uK) : (tensor<*xf32>) -> ()
  // CHECK-LABEL: case K: dynamic rank-1, -1e4 logits
  // CHECK-NEXT:  Unranked Memref base@ = {{.*}} rank = 1 offset = 0 sizes = [4] strides = [1] data =
  // CHECK-NEXT:  [-1.47537, -2.47537, -0.475373, -2.72537]
  return
}
