// RUN: attn-opt %s --attn-lower-to-llvm | mlir-runner -e main -entry-point-result=void -shared-libs=%mlir_runner_utils,%mlir_c_runner_utils | FileCheck %s

// Execution test of attn.logsumexp: with x = input + mask (+ the causal mask),
//   result[...] = m + log(sum_j exp(x[..., j] - m)),  m = max_j x[..., j]
// The result drops the last dimension; a fully masked row gives -inf. The
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
//   def logsumexp(x, mask=None, causal=False):
//       x = np.asarray(x, np.float64)
//       # np.logaddexp.reduce is stable and gives -inf for an all -inf row
//       return np.logaddexp.reduce(x + additive_mask(x.shape, mask, causal), axis=-1)
//
// with x and mask the dense constants of each case below. The finite inputs are
// multiples of 0.25 (exact in float32), picked so that every inexact expected
// value is at least 0.2 units of its 6th significant digit away from a rounding
// boundary, and recomputing every case in np.float32 (m + log(sum(exp(x - m))),
// m the row maximum) prints the same 6 significant digits, so float32 rounding
// cannot change the printed value.
// Each case prints a "case X" label first so that a failure points at it.

llvm.mlir.global internal constant @case_a("case A: static, 1e4 logits, -inf inputs\0A\00") {addr_space = 0 : i32}
llvm.mlir.global internal constant @case_b("case B: static, [3,4] mask broadcast over batch\0A\00") {addr_space = 0 : i32}
llvm.mlir.global internal constant @case_c("case C: static, full-shape mask\0A\00") {addr_space = 0 : i32}
llvm.mlir.global internal constant @case_d("case D: causal, M == N\0A\00") {addr_space = 0 : i32}
llvm.mlir.global internal constant @case_e("case E: causal, M < N\0A\00") {addr_space = 0 : i32}
llvm.mlir.global internal constant @case_f("case F: causal, M > N\0A\00") {addr_space = 0 : i32}
llvm.mlir.global internal constant @case_g("case G: causal and a broadcast mask\0A\00") {addr_space = 0 : i32}
llvm.mlir.global internal constant @case_h("case H: dynamic, causal and a broadcast mask\0A\00") {addr_space = 0 : i32}
llvm.mlir.global internal constant @case_i("case I: dynamic, full-shape mask\0A\00") {addr_space = 0 : i32}
llvm.mlir.global internal constant @case_j("case J: rank-1 input, rank-0 result, 1e4 logits\0A\00") {addr_space = 0 : i32}
llvm.mlir.global internal constant @case_k("case K: dynamic rank-1 input and mask, rank-0 result\0A\00") {addr_space = 0 : i32}
llvm.mlir.global internal constant @case_l("case L: rank-1 fully masked, rank-0 result\0A\00") {addr_space = 0 : i32}

func.func private @printString(!llvm.ptr)
func.func private @printMemrefF32(tensor<*xf32>)

func.func @lse_3x4(%x: tensor<3x4xf32>) -> tensor<3xf32> {
  %r = attn.logsumexp %x : tensor<3x4xf32>
  return %r : tensor<3xf32>
}

func.func @lse_bcast(%x: tensor<2x3x4xf32>, %m: tensor<3x4xf32>) -> tensor<2x3xf32> {
  %r = attn.logsumexp %x mask %m : tensor<2x3x4xf32>, tensor<3x4xf32>
  return %r : tensor<2x3xf32>
}

func.func @lse_full(%x: tensor<2x2x3xf32>, %m: tensor<2x2x3xf32>) -> tensor<2x2xf32> {
  %r = attn.logsumexp %x mask %m : tensor<2x2x3xf32>, tensor<2x2x3xf32>
  return %r : tensor<2x2xf32>
}

func.func @lse_causal_3x3(%x: tensor<3x3xf32>) -> tensor<3xf32> {
  %r = attn.logsumexp %x causal : tensor<3x3xf32>
  return %r : tensor<3xf32>
}

func.func @lse_causal_2x4(%x: tensor<2x4xf32>) -> tensor<2xf32> {
  %r = attn.logsumexp %x causal : tensor<2x4xf32>
  return %r : tensor<2xf32>
}

func.func @lse_causal_4x2(%x: tensor<4x2xf32>) -> tensor<4xf32> {
  %r = attn.logsumexp %x causal : tensor<4x2xf32>
  return %r : tensor<4xf32>
}

func.func @lse_causal_mask(%x: tensor<2x3x4xf32>, %m: tensor<3x4xf32>) -> tensor<2x3xf32> {
  %r = attn.logsumexp %x mask %m causal : tensor<2x3x4xf32>, tensor<3x4xf32>
  return %r : tensor<2x3xf32>
}

func.func @lse_dyn(%x: tensor<?x?x?xf32>, %m: tensor<?x?xf32>) -> tensor<?x?xf32> {
  %r = attn.logsumexp %x mask %m causal : tensor<?x?x?xf32>, tensor<?x?xf32>
  return %r : tensor<?x?xf32>
}

func.func @lse_dyn_full(%x: tensor<?x?x?xf32>, %m: tensor<?x?x?xf32>) -> tensor<?x?xf32> {
  %r = attn.logsumexp %x mask %m : tensor<?x?x?xf32>, tensor<?x?x?xf32>
  return %r : tensor<?x?xf32>
}

func.func @lse_1d(%x: tensor<3xf32>) -> tensor<f32> {
  %r = attn.logsumexp %x : tensor<3xf32>
  return %r : tensor<f32>
}

func.func @lse_1d_dyn(%x: tensor<?xf32>, %m: tensor<?xf32>) -> tensor<f32> {
  %r = attn.logsumexp %x mask %m : tensor<?xf32>, tensor<?xf32>
  return %r : tensor<f32>
}

func.func @lse_1d_masked(%x: tensor<3xf32>, %m: tensor<3xf32>) -> tensor<f32> {
  %r = attn.logsumexp %x mask %m : tensor<3xf32>, tensor<3xf32>
  return %r : tensor<f32>
}

func.func @main() {
  // Case A. Static [3,4], no mask. Rows 0 and 1 hold logits of magnitude 1e4
  // (a naive exp overflows to inf, or underflows to 0 giving log(0) = -inf
  // for row 1); a -inf input in row 2 contributes nothing.
  // numpy: logsumexp(xA) = [10001.91758, -9997.441182, 1.871539032]
  %la = llvm.mlir.addressof @case_a : !llvm.ptr
  call @printString(%la) : (!llvm.ptr) -> ()
  %xA = arith.constant dense<[[10000.0, 10001.0, 9999.0, 10001.0],
                              [-10000.0, -9998.0, -10003.0, -9998.5],
                              [0.5, 0xFF800000, 1.5, -1.0]]> : tensor<3x4xf32>
  %rA = call @lse_3x4(%xA) : (tensor<3x4xf32>) -> tensor<3xf32>
  %uA = tensor.cast %rA : tensor<3xf32> to tensor<*xf32>
  call @printMemrefF32(%uA) : (tensor<*xf32>) -> ()
  // CHECK-LABEL: case A: static, 1e4 logits, -inf inputs
  // CHECK-NEXT:  Unranked Memref base@ = {{.*}} rank = 1 offset = 0 sizes = [3] strides = [1] data =
  // CHECK-NEXT:  [10001.9, -9997.44, 1.87154]

  // Case B. Static [2,3,4] with a [3,4] additive mask broadcast over the
  // batch: row 0 keeps j <= 1, row 1 is fully masked (-inf), row 2 adds
  // finite biases and masks column 2.
  // numpy: logsumexp(xB, mB) =
  //   [[2.313261688, -inf, 3.531662841],
  //    [3.003177726, -inf, 2.464368784]]
  %lb = llvm.mlir.addressof @case_b : !llvm.ptr
  call @printString(%lb) : (!llvm.ptr) -> ()
  %xB = arith.constant dense<[[[1.0, 2.0, 3.0, 4.0],
                               [0.5, -0.5, 2.0, 1.0],
                               [-1.25, 0.75, 1.0, 3.0]],
                              [[3.0, -2.75, 0.25, 1.0],
                               [10.0, 20.0, 30.0, 40.0],
                               [2.0, 2.0, -3.0, 0.0]]]> : tensor<2x3x4xf32>
  %mB = arith.constant dense<[[0.0, 0.0, 0xFF800000, 0xFF800000],
                              [0xFF800000, 0xFF800000, 0xFF800000, 0xFF800000],
                              [0.0, -1.0, 0xFF800000, 0.5]]> : tensor<3x4xf32>
  %rB = call @lse_bcast(%xB, %mB) : (tensor<2x3x4xf32>, tensor<3x4xf32>) -> tensor<2x3xf32>
  %uB = tensor.cast %rB : tensor<2x3xf32> to tensor<*xf32>
  call @printMemrefF32(%uB) : (tensor<*xf32>) -> ()
  // CHECK-LABEL: case B: static, [3,4] mask broadcast over batch
  // CHECK-NEXT:  Unranked Memref base@ = {{.*}} rank = 2 offset = 0 sizes = [2, 3] strides = [3, 1] data =
  // CHECK-NEXT:  {{\[}}[2.31326, -inf, 3.53166],
  // CHECK-NEXT:  [3.00318, -inf, 2.46437]]

  // Case C. Static [2,2,3] with a full-shape [2,2,3] mask; row (1, 1) is
  // fully masked (-inf).
  // numpy: logsumexp(xC, mC) =
  //   [[3.313261688, 0.9740769842],
  //    [1.048587352, -inf]]
  %lc = llvm.mlir.addressof @case_c : !llvm.ptr
  call @printString(%lc) : (!llvm.ptr) -> ()
  %xC = arith.constant dense<[[[1.0, 2.0, 3.0],
                               [0.0, 0.0, 0.0]],
                              [[-2.0, 4.0, 1.0],
                               [5.0, 6.0, 7.0]]]> : tensor<2x2x3xf32>
  %mC = arith.constant dense<[[[0xFF800000, 0.0, 0.0],
                               [0.0, 0.5, 0xFF800000]],
                              [[0.0, 0xFF800000, 0.0],
                               [0xFF800000, 0xFF800000, 0xFF800000]]]> : tensor<2x2x3xf32>
  %rC = call @lse_full(%xC, %mC) : (tensor<2x2x3xf32>, tensor<2x2x3xf32>) -> tensor<2x2xf32>
  %uC = tensor.cast %rC : tensor<2x2xf32> to tensor<*xf32>
  call @printMemrefF32(%uC) : (tensor<*xf32>) -> ()
  // CHECK-LABEL: case C: static, full-shape mask
  // CHECK-NEXT:  Unranked Memref base@ = {{.*}} rank = 2 offset = 0 sizes = [2, 2] strides = [2, 1] data =
  // CHECK-NEXT:  {{\[}}[3.31326, 0.974077],
  // CHECK-NEXT:  [1.04859, -inf]]

  // Case D. Causal [3,3] (M == N): row i keeps j <= i; the masked upper
  // triangle holds the largest logits. Row 0 is its single logit.
  // numpy: logsumexp(xD, causal=True) = [2, 2.313261688, 1.013922567]
  %ld = llvm.mlir.addressof @case_d : !llvm.ptr
  call @printString(%ld) : (!llvm.ptr) -> ()
  %xD = arith.constant dense<[[2.0, 9.0, 9.0],
                              [1.0, 2.0, 9.0],
                              [0.0, 0.25, -0.75]]> : tensor<3x3xf32>
  %rD = call @lse_causal_3x3(%xD) : (tensor<3x3xf32>) -> tensor<3xf32>
  %uD = tensor.cast %rD : tensor<3xf32> to tensor<*xf32>
  call @printMemrefF32(%uD) : (tensor<*xf32>) -> ()
  // CHECK-LABEL: case D: causal, M == N
  // CHECK-NEXT:  Unranked Memref base@ = {{.*}} rank = 1 offset = 0 sizes = [3] strides = [1] data =
  // CHECK-NEXT:  [2, 2.31326, 1.01392]

  // Case E. Causal [2,4] (M = 2 < N = 4, bottom-right aligned): row 0 keeps
  // columns 0..2, row 1 keeps columns 0..3.
  // numpy: logsumexp(xE, causal=True) = [1.169148874, 2.440189699]
  %le = llvm.mlir.addressof @case_e : !llvm.ptr
  call @printString(%le) : (!llvm.ptr) -> ()
  %xE = arith.constant dense<[[0.25, 0.5, -1.25, 8.0],
                              [1.0, 0.0, -1.0, 2.0]]> : tensor<2x4xf32>
  %rE = call @lse_causal_2x4(%xE) : (tensor<2x4xf32>) -> tensor<2xf32>
  %uE = tensor.cast %rE : tensor<2xf32> to tensor<*xf32>
  call @printMemrefF32(%uE) : (tensor<*xf32>) -> ()
  // CHECK-LABEL: case E: causal, M < N
  // CHECK-NEXT:  Unranked Memref base@ = {{.*}} rank = 1 offset = 0 sizes = [2] strides = [1] data =
  // CHECK-NEXT:  [1.16915, 2.44019]

  // Case F. Causal [4,2] (M = 4 > N = 2): rows 0 and 1 are fully masked
  // (-inf), row 2 keeps column 0 (its logit), row 3 keeps both.
  // numpy: logsumexp(xF, causal=True) = [-inf, -inf, 5, 1.126928011]
  %lf = llvm.mlir.addressof @case_f : !llvm.ptr
  call @printString(%lf) : (!llvm.ptr) -> ()
  %xF = arith.constant dense<[[1.0, 2.0],
                              [3.0, 4.0],
                              [5.0, 6.0],
                              [-1.0, 1.0]]> : tensor<4x2xf32>
  %rF = call @lse_causal_4x2(%xF) : (tensor<4x2xf32>) -> tensor<4xf32>
  %uF = tensor.cast %rF : tensor<4xf32> to tensor<*xf32>
  call @printMemrefF32(%uF) : (tensor<*xf32>) -> ()
  // CHECK-LABEL: case F: causal, M > N
  // CHECK-NEXT:  Unranked Memref base@ = {{.*}} rank = 1 offset = 0 sizes = [4] strides = [1] data =
  // CHECK-NEXT:  [-inf, -inf, 5, 1.12693]

  // Case G. Static [2,3,4], causal (M = 3, N = 4: row i keeps j <= i + 1)
  // together with a [3,4] mask broadcast over the batch. Row 0 is fully
  // masked only by the combination (mask removes columns 0, 1; causal 2, 3).
  // numpy: logsumexp(xG, mG, causal=True) =
  //   [[-inf, 2.126928011, 2.377158159],
  //    [-inf, 4.048587352, 1.189069931]]
  %lg = llvm.mlir.addressof @case_g : !llvm.ptr
  call @printString(%lg) : (!llvm.ptr) -> ()
  %xG = arith.constant dense<[[[1.0, 2.0, 3.0, 4.0],
                               [0.0, 1.0, 2.0, 3.0],
                               [2.0, -1.25, 1.0, 0.0]],
                              [[-3.0, 5.0, 0.0, 1.0],
                               [4.0, 4.0, 1.0, 7.0],
                               [0.0, 0.0, 0.0, 0.0]]]> : tensor<2x3x4xf32>
  %mG = arith.constant dense<[[0xFF800000, 0xFF800000, 0.0, 0.0],
                              [0.0, 0xFF800000, 0.0, 0.5],
                              [0.25, 0.0, 0xFF800000, 0.0]]> : tensor<3x4xf32>
  %rG = call @lse_causal_mask(%xG, %mG) : (tensor<2x3x4xf32>, tensor<3x4xf32>) -> tensor<2x3xf32>
  %uG = tensor.cast %rG : tensor<2x3xf32> to tensor<*xf32>
  call @printMemrefF32(%uG) : (tensor<*xf32>) -> ()
  // CHECK-LABEL: case G: causal and a broadcast mask
  // CHECK-NEXT:  Unranked Memref base@ = {{.*}} rank = 2 offset = 0 sizes = [2, 3] strides = [3, 1] data =
  // CHECK-NEXT:  {{\[}}[-inf, 2.12693, 2.37716],
  // CHECK-NEXT:  [-inf, 4.04859, 1.18907]]

  // Case H. Dynamic shapes (tensor<?x?x?xf32> input, tensor<?x?xf32> mask):
  // [2,2,3] input, causal (M = 2, N = 3: row 0 keeps j <= 1) with a [2,3]
  // mask broadcast over the batch. Batch 1 row 0 holds 1e4 logits.
  // numpy: logsumexp(xH, mH, causal=True) =
  //   [[2.313261688, 1.443147181],
  //    [10002.12693, 3.251170195]]
  %lh = llvm.mlir.addressof @case_h : !llvm.ptr
  call @printString(%lh) : (!llvm.ptr) -> ()
  %xH = arith.constant dense<[[[1.0, 2.0, 5.0],
                               [0.75, -0.5, 0.75]],
                              [[10000.0, 10002.0, 10001.0],
                               [-3.5, 0.0, 3.25]]]> : tensor<2x2x3xf32>
  %xHd = tensor.cast %xH : tensor<2x2x3xf32> to tensor<?x?x?xf32>
  %mH = arith.constant dense<[[0.0, 0.0, 0.0],
                              [0.0, 0xFF800000, 0.0]]> : tensor<2x3xf32>
  %mHd = tensor.cast %mH : tensor<2x3xf32> to tensor<?x?xf32>
  %rH = call @lse_dyn(%xHd, %mHd) : (tensor<?x?x?xf32>, tensor<?x?xf32>) -> tensor<?x?xf32>
  %uH = tensor.cast %rH : tensor<?x?xf32> to tensor<*xf32>
  call @printMemrefF32(%uH) : (tensor<*xf32>) -> ()
  // CHECK-LABEL: case H: dynamic, causal and a broadcast mask
  // CHECK-NEXT:  Unranked Memref base@ = {{.*}} rank = 2 offset = 0 sizes = [2, 2] strides = [2, 1] data =
  // CHECK-NEXT:  {{\[}}[2.31326, 1.44315],
  // CHECK-NEXT:  [10002.1, 3.25117]]

  // Case I. Dynamic [2,2,3] input and full-shape mask (tensor<?x?x?xf32>);
  // row (0, 1) is fully masked (-inf).
  // numpy: logsumexp(xI, mI) =
  //   [[2.126928011, -inf],
  //    [2.598612289, 0.376928011]]
  %li = llvm.mlir.addressof @case_i : !llvm.ptr
  call @printString(%li) : (!llvm.ptr) -> ()
  %xI = arith.constant dense<[[[0.0, 1.0, 2.0],
                               [3.0, -1.0, 0.5]],
                              [[1.5, 1.5, 1.5],
                               [2.0, 0.25, -1.25]]]> : tensor<2x2x3xf32>
  %xId = tensor.cast %xI : tensor<2x2x3xf32> to tensor<?x?x?xf32>
  %mI = arith.constant dense<[[[0.0, 0xFF800000, 0.0],
                               [0xFF800000, 0xFF800000, 0xFF800000]],
                              [[0.0, 0.0, 0.0],
                               [0xFF800000, 0.0, -0.5]]]> : tensor<2x2x3xf32>
  %mId = tensor.cast %mI : tensor<2x2x3xf32> to tensor<?x?x?xf32>
  %rI = call @lse_dyn_full(%xId, %mId) : (tensor<?x?x?xf32>, tensor<?x?x?xf32>) -> tensor<?x?xf32>
  %uI = tensor.cast %rI : tensor<?x?xf32> to tensor<*xf32>
  call @printMemrefF32(%uI) : (tensor<*xf32>) -> ()
  // CHECK-LABEL: case I: dynamic, full-shape mask
  // CHECK-NEXT:  Unranked Memref base@ = {{.*}} rank = 2 offset = 0 sizes = [2, 2] strides = [2, 1] data =
  // CHECK-NEXT:  {{\[}}[2.12693, -inf],
  // CHECK-NEXT:  [2.59861, 0.376928]]

  // Case J. Rank-1 input [3] gives a rank-0 result; 1e4 logits.
  // numpy: logsumexp(xJ) = 10001.40761
  %lj = llvm.mlir.addressof @case_j : !llvm.ptr
  call @printString(%lj) : (!llvm.ptr) -> ()
  %xJ = arith.constant dense<[10000.0, 10001.0, 9999.0]> : tensor<3xf32>
  %rJ = call @lse_1d(%xJ) : (tensor<3xf32>) -> tensor<f32>
  %uJ = tensor.cast %rJ : tensor<f32> to tensor<*xf32>
  call @printMemrefF32(%uJ) : (tensor<*xf32>) -> ()
  // CHECK-LABEL: case J: rank-1 input, rank-0 result, 1e4 logits
  // CHECK-NEXT:  Unranked Memref base@ = {{.*}} rank = 0 offset = 0 sizes = [] strides = [] data =
  // CHECK-NEXT:  [10001.4]

  // Case K. Dynamic rank-1 input and same-shape mask (tensor<?xf32>) give
  // a rank-0 result; the mask removes the largest logit.
  // numpy: logsumexp(xK, mK) = 2.353371331
  %lk = llvm.mlir.addressof @case_k : !llvm.ptr
  call @printString(%lk) : (!llvm.ptr) -> ()
  %xK = arith.constant dense<[-0.25, 3.0, -0.25, 2.0, 1.5]> : tensor<5xf32>
  %xKd = tensor.cast %xK : tensor<5xf32> to tensor<?xf32>
  %mK = arith.constant dense<[0.0, 0xFF800000, 0.0, -0.5, 0.0]> : tensor<5xf32>
  %mKd = tensor.cast %mK : tensor<5xf32> to tensor<?xf32>
  %rK = call @lse_1d_dyn(%xKd, %mKd) : (tensor<?xf32>, tensor<?xf32>) -> tensor<f32>
  %uK = tensor.cast %rK : tensor<f32> to tensor<*xf32>
  call @printMemrefF32(%uK) : (tensor<*xf32>) -> ()
  // CHECK-LABEL: case K: dynamic rank-1 input and mask, rank-0 result
  // CHECK-NEXT:  Unranked Memref base@ = {{.*}} rank = 0 offset = 0 sizes = [] strides = [] data =
  // CHECK-NEXT:  [2.35337]

  // Case L. A fully masked rank-1 input gives -inf (rank-0 result).
  // numpy: logsumexp(xL, mL) = -inf
  %ll = llvm.mlir.addressof @case_l : !llvm.ptr
  call @printString(%ll) : (!llvm.ptr) -> ()
  %xL = arith.constant dense<[1.0, 2.0, 3.0]> : tensor<3xf32>
  %mL = arith.constant dense<[0xFF800000, 0xFF800000, 0xFF800000]> : tensor<3xf32>
  %rL = call @lse_1d_masked(%xL, %mL) : (tensor<3xf32>, tensor<3xf32>) -> tensor<f32>
  %uL = tensor.cast %rL : tensor<f32> to tensor<*xf32>
  call @printMemrefF32(%uL) : (tensor<*xf32>) -> ()
  // CHECK-LABEL: case L: rank-1 fully masked, rank-0 result
  // CHECK-NEXT:  Unranked Memref base@ = {{.*}} rank = 0 offset = 0 sizes = [] strides = [] data =
  // CHECK-NEXT:  [-inf]
  return
}
