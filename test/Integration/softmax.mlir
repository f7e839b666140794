// RUN: attn-opt %s --attn-lower-to-llvm | mlir-runner -e main -entry-point-result=void -shared-libs=%mlir_runner_utils,%mlir_c_runner_utils | FileCheck %s

// Execution test of attn.softmax: with x = input + mask (+ the causal mask),
//   result[..., j] = exp(x[..., j] - m) / sum_k exp(x[..., k] - m),  m = max_k x[..., k]
// A fully masked row is all 0 with masked_rows = zero (the default) and all
// NaN with masked_rows = nan. The causal mask removes entry (i, j) of the
// trailing [M, N] dims when j > i + (N - M).
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
//   def softmax(x, mask=None, causal=False, masked_rows="zero"):
//       x = np.asarray(x, np.float64)
//       x = x + additive_mask(x.shape, mask, causal)
//       lse = np.logaddexp.reduce(x, axis=-1)[..., None]  # stable, -inf if fully masked
//       with np.errstate(invalid="ignore"):
//           p = np.exp(x - lse)                             # NaN on fully masked rows
//       return np.where(lse == -inf, 0.0, p) if masked_rows == "zero" else p
//
// with x and mask the dense constants of each case below. The finite inputs are
// multiples of 0.25 (exact in float32), picked so that every inexact expected
// value is at least 0.2 units of its 6th significant digit away from a rounding
// boundary, and recomputing every case in np.float32 (shifting each row by its
// maximum before exp) prints the same 6 significant digits, so float32 rounding
// cannot change the printed value.
// Each case prints a "case X" label first so that a failure points at it.

llvm.mlir.global internal constant @case_a("case A: static, 1e4 logits, -inf inputs\0A\00") {addr_space = 0 : i32}
llvm.mlir.global internal constant @case_b("case B: static, [3,4] mask broadcast over batch, masked_rows = zero\0A\00") {addr_space = 0 : i32}
llvm.mlir.global internal constant @case_c("case C: static, [3,4] mask broadcast over batch, masked_rows = nan\0A\00") {addr_space = 0 : i32}
llvm.mlir.global internal constant @case_d("case D: static, full-shape mask\0A\00") {addr_space = 0 : i32}
llvm.mlir.global internal constant @case_e("case E: causal, M == N\0A\00") {addr_space = 0 : i32}
llvm.mlir.global internal constant @case_f("case F: causal, M < N\0A\00") {addr_space = 0 : i32}
llvm.mlir.global internal constant @case_g("case G: causal, M > N, masked_rows = zero\0A\00") {addr_space = 0 : i32}
llvm.mlir.global internal constant @case_h("case H: causal, M > N, masked_rows = nan\0A\00") {addr_space = 0 : i32}
llvm.mlir.global internal constant @case_i("case I: causal and a broadcast mask\0A\00") {addr_space = 0 : i32}
llvm.mlir.global internal constant @case_j("case J: dynamic, causal and a broadcast mask, masked_rows = nan\0A\00") {addr_space = 0 : i32}
llvm.mlir.global internal constant @case_k("case K: dynamic, causal, M > N\0A\00") {addr_space = 0 : i32}
llvm.mlir.global internal constant @case_l("case L: dynamic, full-shape mask\0A\00") {addr_space = 0 : i32}

func.func private @printString(!llvm.ptr)
func.func private @printMemrefF32(tensor<*xf32>)

func.func @softmax_3x4(%x: tensor<3x4xf32>) -> tensor<3x4xf32> {
  %r = attn.softmax %x : tensor<3x4xf32>
  return %r : tensor<3x4xf32>
}

func.func @softmax_bcast(%x: tensor<2x3x4xf32>, %m: tensor<3x4xf32>) -> tensor<2x3x4xf32> {
  %r = attn.softmax %x mask %m : tensor<2x3x4xf32>, tensor<3x4xf32>
  return %r : tensor<2x3x4xf32>
}

func.func @softmax_bcast_nan(%x: tensor<2x3x4xf32>, %m: tensor<3x4xf32>) -> tensor<2x3x4xf32> {
  %r = attn.softmax %x mask %m masked_rows = nan : tensor<2x3x4xf32>, tensor<3x4xf32>
  return %r : tensor<2x3x4xf32>
}

func.func @softmax_full(%x: tensor<2x2x3xf32>, %m: tensor<2x2x3xf32>) -> tensor<2x2x3xf32> {
  %r = attn.softmax %x mask %m : tensor<2x2x3xf32>, tensor<2x2x3xf32>
  return %r : tensor<2x2x3xf32>
}

func.func @softmax_causal_3x3(%x: tensor<3x3xf32>) -> tensor<3x3xf32> {
  %r = attn.softmax %x causal : tensor<3x3xf32>
  return %r : tensor<3x3xf32>
}

func.func @softmax_causal_2x4(%x: tensor<2x4xf32>) -> tensor<2x4xf32> {
  %r = attn.softmax %x causal : tensor<2x4xf32>
  return %r : tensor<2x4xf32>
}

func.func @softmax_causal_4x2(%x: tensor<4x2xf32>) -> tensor<4x2xf32> {
  %r = attn.softmax %x causal : tensor<4x2xf32>
  return %r : tensor<4x2xf32>
}

func.func @softmax_causal_3x2_nan(%x: tensor<3x2xf32>) -> tensor<3x2xf32> {
  %r = attn.softmax %x causal masked_rows = nan : tensor<3x2xf32>
  return %r : tensor<3x2xf32>
}

func.func @softmax_causal_mask(%x: tensor<2x3x4xf32>, %m: tensor<3x4xf32>) -> tensor<2x3x4xf32> {
  %r = attn.softmax %x mask %m causal : tensor<2x3x4xf32>, tensor<3x4xf32>
  return %r : tensor<2x3x4xf32>
}

func.func @softmax_dyn(%x: tensor<?x?x?xf32>, %m: tensor<?x?xf32>) -> tensor<?x?x?xf32> {
  %r = attn.softmax %x mask %m causal masked_rows = nan : tensor<?x?x?xf32>, tensor<?x?xf32>
  return %r : tensor<?x?x?xf32>
}

func.func @softmax_dyn_causal(%x: tensor<?x?xf32>) -> tensor<?x?xf32> {
  %r = attn.softmax %x causal : tensor<?x?xf32>
  return %r : tensor<?x?xf32>
}

func.func @softmax_dyn_full(%x: tensor<?x?x?xf32>, %m: tensor<?x?x?xf32>) -> tensor<?x?x?xf32> {
  %r = attn.softmax %x mask %m : tensor<?x?x?xf32>, tensor<?x?x?xf32>
  return %r : tensor<?x?x?xf32>
}

func.func @main() {
  // Case A. Static [3,4], no mask. Rows 0 and 1 hold logits of magnitude 1e4
  // (a naive exp overflows to inf, or underflows to 0 for row 1); a -inf
  // input in row 2 gives exactly 0.
  // numpy: softmax(xA) =
  //   [[0.1319869916, 0.3587778409, 0.04855530072, 0.4606798667],
  //    [0.1059451865, 0.7828349267, 0.005274700245, 0.1059451865],
  //    [0.2497011935, 0, 0.6787582168, 0.07154058972]]
  %la = llvm.mlir.addressof @case_a : !llvm.ptr
  call @printString(%la) : (!llvm.ptr) -> ()
  %xA = arith.constant dense<[[10000.0, 10001.0, 9999.0, 10001.25],
                              [-10000.0, -9998.0, -10003.0, -10000.0],
                              [0.75, 0xFF800000, 1.75, -0.5]]> : tensor<3x4xf32>
  %rA = call @softmax_3x4(%xA) : (tensor<3x4xf32>) -> tensor<3x4xf32>
  %uA = tensor.cast %rA : tensor<3x4xf32> to tensor<*xf32>
  call @printMemrefF32(%uA) : (tensor<*xf32>) -> ()
  // CHECK-LABEL: case A: static, 1e4 logits, -inf inputs
  // CHECK-NEXT:  Unranked Memref base@ = {{.*}} rank = 2 offset = 0 sizes = [3, 4] strides = [4, 1] data =
  // CHECK-NEXT:  {{\[}}[0.131987, 0.358778, 0.0485553, 0.46068],
  // CHECK-NEXT:  [0.105945, 0.782835, 0.0052747, 0.105945],
  // CHECK-NEXT:  [0.249701, 0, 0.678758, 0.0715406]]

  // Case B. Static [2,3,4] with a [3,4] additive mask broadcast over the
  // batch: row 0 keeps j <= 1, row 1 is fully masked (all 0 with the default
  // masked_rows = zero), row 2 adds finite biases and masks column 2.
  // numpy: softmax(xB, mB) =
  //   [[[0.119202922, 0.880797078, 0, 0],
  //     [0, 0, 0, 0],
  //     [0.01766842201, 0.01766842201, 0, 0.964663156]],
  //    [[0.9933071491, 0.006692850924, 0, 0],
  //     [0, 0, 0, 0],
  //     [0.703313976, 0.2015028278, 0, 0.09518319615]]]
  %lb = llvm.mlir.addressof @case_b : !llvm.ptr
  call @printString(%lb) : (!llvm.ptr) -> ()
  %xB = arith.constant dense<[[[0.75, 2.75, 3.0, 4.0],
                               [0.5, -0.5, 2.0, 1.0],
                               [-1.0, 0.0, 1.0, 2.5]],
                              [[3.0, -2.0, 0.25, 1.0],
                               [10.0, 20.0, 30.0, 40.0],
                               [1.75, 1.5, -3.0, -0.75]]]> : tensor<2x3x4xf32>
  %mB = arith.constant dense<[[0.0, 0.0, 0xFF800000, 0xFF800000],
                              [0xFF800000, 0xFF800000, 0xFF800000, 0xFF800000],
                              [0.0, -1.0, 0xFF800000, 0.5]]> : tensor<3x4xf32>
  %rB = call @softmax_bcast(%xB, %mB) : (tensor<2x3x4xf32>, tensor<3x4xf32>) -> tensor<2x3x4xf32>
  %uB = tensor.cast %rB : tensor<2x3x4xf32> to tensor<*xf32>
  call @printMemrefF32(%uB) : (tensor<*xf32>) -> ()
  // CHECK-LABEL: case B: static, [3,4] mask broadcast over batch, masked_rows = zero
  // CHECK-NEXT:  Unranked Memref base@ = {{.*}} rank = 3 offset = 0 sizes = [2, 3, 4] strides = [12, 4, 1] data =
  // CHECK-NEXT:  {{\[\[}}[0.119203, 0.880797, 0, 0],
  // CHECK-NEXT:  [0, 0, 0, 0],
  // CHECK-NEXT:  [0.0176684, 0.0176684, 0, 0.964663]],
  // CHECK-NEXT:  {{\[}}[0.993307, 0.00669285, 0, 0],
  // CHECK-NEXT:  [0, 0, 0, 0],
  // CHECK-NEXT:  [0.703314, 0.201503, 0, 0.0951832]]]

  // Case C. The inputs of case B with masked_rows = nan: the fully masked
  // row 1 is NaN throughout, the other rows are unchanged.
  // numpy: softmax(xC, mC, masked_rows="nan") =
  //   [[[0.119202922, 0.880797078, 0, 0],
  //     [nan, nan, nan, nan],
  //     [0.01766842201, 0.01766842201, 0, 0.964663156]],
  //    [[0.9933071491, 0.006692850924, 0, 0],
  //     [nan, nan, nan, nan],
  //     [0.703313976, 0.2015028278, 0, 0.09518319615]]]
  %lc = llvm.mlir.addressof @case_c : !llvm.ptr
  call @printString(%lc) : (!llvm.ptr) -> ()
  %xC = arith.constant dense<[[[0.75, 2.75, 3.0, 4.0],
                               [0.5, -0.5, 2.0, 1.0],
                               [-1.0, 0.0, 1.0, 2.5]],
                              [[3.0, -2.0, 0.25, 1.0],
                               [10.0, 20.0, 30.0, 40.0],
                               [1.75, 1.5, -3.0, -0.75]]]> : tensor<2x3x4xf32>
  %mC = arith.constant dense<[[0.0, 0.0, 0xFF800000, 0xFF800000],
                              [0xFF800000, 0xFF800000, 0xFF800000, 0xFF800000],
                              [0.0, -1.0, 0xFF800000, 0.5]]> : tensor<3x4xf32>
  %rC = call @softmax_bcast_nan(%xC, %mC) : (tensor<2x3x4xf32>, tensor<3x4xf32>) -> tensor<2x3x4xf32>
  %uC = tensor.cast %rC : tensor<2x3x4xf32> to tensor<*xf32>
  call @printMemrefF32(%uC) : (tensor<*xf32>) -> ()
  // CHECK-LABEL: case C: static, [3,4] mask broadcast over batch, masked_rows = nan
  // CHECK-NEXT:  Unranked Memref base@ = {{.*}} rank = 3 offset = 0 sizes = [2, 3, 4] strides = [12, 4, 1] data =
  // CHECK-NEXT:  {{\[\[}}[0.119203, 0.880797, 0, 0],
  // CHECK-NEXT:  [{{-?nan}}, {{-?nan}}, {{-?nan}}, {{-?nan}}],
  // CHECK-NEXT:  [0.0176684, 0.0176684, 0, 0.964663]],
  // CHECK-NEXT:  {{\[}}[0.993307, 0.00669285, 0, 0],
  // CHECK-NEXT:  [{{-?nan}}, {{-?nan}}, {{-?nan}}, {{-?nan}}],
  // CHECK-NEXT:  [0.703314, 0.201503, 0, 0.0951832]]]

  // Case D. Static [2,2,3] with a full-shape [2,2,3] mask; row (1, 1) is
  // fully masked (all 0).
  // numpy: softmax(xD, mD) =
  //   [[[0, 0.119202922, 0.880797078],
  //     [0.2227001388, 0.7772998612, 0]],
  //    [[0.04742587318, 0, 0.9525741268],
  //     [0, 0, 0]]]
  %ld = llvm.mlir.addressof @case_d : !llvm.ptr
  call @printString(%ld) : (!llvm.ptr) -> ()
  %xD = arith.constant dense<[[[1.0, 1.25, 3.25],
                               [-0.25, 0.5, 0.0]],
                              [[-2.0, 4.0, 1.0],
                               [5.0, 6.0, 7.0]]]> : tensor<2x2x3xf32>
  %mD = arith.constant dense<[[[0xFF800000, 0.0, 0.0],
                               [0.0, 0.5, 0xFF800000]],
                              [[0.0, 0xFF800000, 0.0],
                               [0xFF800000, 0xFF800000, 0xFF800000]]]> : tensor<2x2x3xf32>
  %rD = call @softmax_full(%xD, %mD) : (tensor<2x2x3xf32>, tensor<2x2x3xf32>) -> tensor<2x2x3xf32>
  %uD = tensor.cast %rD : tensor<2x2x3xf32> to tensor<*xf32>
  call @printMemrefF32(%uD) : (tensor<*xf32>) -> ()
  // CHECK-LABEL: case D: static, full-shape mask
  // CHECK-NEXT:  Unranked Memref base@ = {{.*}} rank = 3 offset = 0 sizes = [2, 2, 3] strides = [6, 3, 1] data =
  // CHECK-NEXT:  {{\[\[}}[0, 0.119203, 0.880797],
  // CHECK-NEXT:  [0.2227, 0.7773, 0]],
  // CHECK-NEXT:  {{\[}}[0.0474259, 0, 0.952574],
  // CHECK-NEXT:  [0, 0, 0]]]

  // Case E. Causal [3,3] (M == N): row i keeps j <= i; the masked upper
  // triangle holds the largest logits.
  // numpy: softmax(xE, causal=True) =
  //   [[1, 0, 0],
  //    [0.119202922, 0.880797078, 0],
  //    [0.2917559637, 0.4810242633, 0.227219773]]
  %le = llvm.mlir.addressof @case_e : !llvm.ptr
  call @printString(%le) : (!llvm.ptr) -> ()
  %xE = arith.constant dense<[[2.0, 9.0, 9.0],
                              [0.75, 2.75, 9.0],
                              [-0.25, 0.25, -0.5]]> : tensor<3x3xf32>
  %rE = call @softmax_causal_3x3(%xE) : (tensor<3x3xf32>) -> tensor<3x3xf32>
  %uE = tensor.cast %rE : tensor<3x3xf32> to tensor<*xf32>
  call @printMemrefF32(%uE) : (tensor<*xf32>) -> ()
  // CHECK-LABEL: case E: causal, M == N
  // CHECK-NEXT:  Unranked Memref base@ = {{.*}} rank = 2 offset = 0 sizes = [3, 3] strides = [3, 1] data =
  // CHECK-NEXT:  {{\[}}[1, 0, 0],
  // CHECK-NEXT:  [0.119203, 0.880797, 0],
  // CHECK-NEXT:  [0.291756, 0.481024, 0.22722]]

  // Case F. Causal [2,4] (M = 2 < N = 4, bottom-right aligned): row 0 keeps
  // columns 0..2, row 1 keeps columns 0..3.
  // numpy: softmax(xF, causal=True) =
  //   [[0.6037488961, 0.3661922163, 0.03005888757, 0],
  //    [0.2368828181, 0.08714431874, 0.03205860328, 0.6439142599]]
  %lf = llvm.mlir.addressof @case_f : !llvm.ptr
  call @printString(%lf) : (!llvm.ptr) -> ()
  %xF = arith.constant dense<[[1.25, 0.75, -1.75, 8.0],
                              [1.0, 0.0, -1.0, 2.0]]> : tensor<2x4xf32>
  %rF = call @softmax_causal_2x4(%xF) : (tensor<2x4xf32>) -> tensor<2x4xf32>
  %uF = tensor.cast %rF : tensor<2x4xf32> to tensor<*xf32>
  call @printMemrefF32(%uF) : (tensor<*xf32>) -> ()
  // CHECK-LABEL: case F: causal, M < N
  // CHECK-NEXT:  Unranked Memref base@ = {{.*}} rank = 2 offset = 0 sizes = [2, 4] strides = [4, 1] data =
  // CHECK-NEXT:  {{\[}}[0.603749, 0.366192, 0.0300589, 0],
  // CHECK-NEXT:  [0.236883, 0.0871443, 0.0320586, 0.643914]]

  // Case G. Causal [4,2] (M = 4 > N = 2): rows 0 and 1 are fully masked
  // (all 0 by default), row 2 keeps column 0, row 3 keeps both.
  // numpy: softmax(xG, causal=True) =
  //   [[0, 0],
  //    [0, 0],
  //    [1, 0],
  //    [0.119202922, 0.880797078]]
  %lg = llvm.mlir.addressof @case_g : !llvm.ptr
  call @printString(%lg) : (!llvm.ptr) -> ()
  %xG = arith.constant dense<[[1.0, 2.0],
                              [3.0, 4.0],
                              [5.0, 6.0],
                              [-1.0, 1.0]]> : tensor<4x2xf32>
  %rG = call @softmax_causal_4x2(%xG) : (tensor<4x2xf32>) -> tensor<4x2xf32>
  %uG = tensor.cast %rG : tensor<4x2xf32> to tensor<*xf32>
  call @printMemrefF32(%uG) : (tensor<*xf32>) -> ()
  // CHECK-LABEL: case G: causal, M > N, masked_rows = zero
  // CHECK-NEXT:  Unranked Memref base@ = {{.*}} rank = 2 offset = 0 sizes = [4, 2] strides = [2, 1] data =
  // CHECK-NEXT:  {{\[}}[0, 0],
  // CHECK-NEXT:  [0, 0],
  // CHECK-NEXT:  [1, 0],
  // CHECK-NEXT:  [0.119203, 0.880797]]

  // Case H. Causal [3,2] with masked_rows = nan: row 0 is fully masked
  // (NaN), row 1 keeps column 0, row 2 keeps both.
  // numpy: softmax(xH, causal=True, masked_rows="nan") =
  //   [[nan, nan],
  //    [1, 0],
  //    [0.119202922, 0.880797078]]
  %lh = llvm.mlir.addressof @case_h : !llvm.ptr
  call @printString(%lh) : (!llvm.ptr) -> ()
  %xH = arith.constant dense<[[1.0, 2.0],
                              [0.5, 1.5],
                              [-1.0, 1.0]]> : tensor<3x2xf32>
  %rH = call @softmax_causal_3x2_nan(%xH) : (tensor<3x2xf32>) -> tensor<3x2xf32>
  %uH = tensor.cast %rH : tensor<3x2xf32> to tensor<*xf32>
  call @printMemrefF32(%uH) : (tensor<*xf32>) -> ()
  // CHECK-LABEL: case H: causal, M > N, masked_rows = nan
  // CHECK-NEXT:  Unranked Memref base@ = {{.*}} rank = 2 offset = 0 sizes = [3, 2] strides = [2, 1] data =
  // CHECK-NEXT:  {{\[}}[{{-?nan}}, {{-?nan}}],
  // CHECK-NEXT:  [1, 0],
  // CHECK-NEXT:  [0.119203, 0.880797]]

  // Case I. Static [2,3,4], causal (M = 3, N = 4: row i keeps j <= i + 1)
  // together with a [3,4] mask broadcast over the batch. Row 0 is fully
  // masked only by the combination (mask removes columns 0, 1; causal 2, 3).
  // numpy: softmax(xI, mI, causal=True) =
  //   [[[0, 0, 0, 0],
  //     [0.119202922, 0, 0.880797078, 0],
  //     [0.5922010702, 0.04861082403, 0, 0.3591881058]],
  //    [[0, 0, 0, 0],
  //     [0.9525741268, 0, 0.04742587318, 0],
  //     [0.5282521236, 0.1513467674, 0, 0.320401109]]]
  %li = llvm.mlir.addressof @case_i : !llvm.ptr
  call @printString(%li) : (!llvm.ptr) -> ()
  %xI = arith.constant dense<[[[1.0, 2.0, 3.0, 4.0],
                               [0.0, 1.0, 2.0, 3.0],
                               [1.5, -0.75, 1.0, 1.25]],
                              [[-3.0, 5.0, 0.0, 1.0],
                               [4.0, 4.0, 1.0, 7.0],
                               [0.25, -0.75, 0.0, 0.0]]]> : tensor<2x3x4xf32>
  %mI = arith.constant dense<[[0xFF800000, 0xFF800000, 0.0, 0.0],
                              [0.0, 0xFF800000, 0.0, 0.5],
                              [0.25, 0.0, 0xFF800000, 0.0]]> : tensor<3x4xf32>
  %rI = call @softmax_causal_mask(%xI, %mI) : (tensor<2x3x4xf32>, tensor<3x4xf32>) -> tensor<2x3x4xf32>
  %uI = tensor.cast %rI : tensor<2x3x4xf32> to tensor<*xf32>
  call @printMemrefF32(%uI) : (tensor<*xf32>) -> ()
  // CHECK-LABEL: case I: causal and a broadcast mask
  // CHECK-NEXT:  Unranked Memref base@ = {{.*}} rank = 3 offset = 0 sizes = [2, 3, 4] strides = [12, 4, 1] data =
  // CHECK-NEXT:  {{\[\[}}[0, 0, 0, 0],
  // CHECK-NEXT:  [0.119203, 0, 0.880797, 0],
  // CHECK-NEXT:  [0.592201, 0.0486108, 0, 0.359188]],
  // CHECK-NEXT:  {{\[}}[0, 0, 0, 0],
  // CHECK-NEXT:  [0.952574, 0, 0.0474259, 0],
  // CHECK-NEXT:  [0.528252, 0.151347, 0, 0.320401]]]

  // Case J. Dynamic shapes (tensor<?x?x?xf32> input, tensor<?x?xf32> mask):
  // [2,2,3] input, causal (M = 2, N = 3: row 0 keeps j <= 1) with a [2,3]
  // mask broadcast over the batch, masked_rows = nan (no row is fully
  // masked, so no NaN). Batch 1 row 0 holds 1e4 logits.
  // numpy: softmax(xJ, mJ, causal=True, masked_rows="nan") =
  //   [[[0.148047198, 0.851952802, 0],
  //     [0.5, 0, 0.5]],
  //    [[0.119202922, 0.880797078, 0],
  //     [0.006692850924, 0, 0.9933071491]]]
  %lj = llvm.mlir.addressof @case_j : !llvm.ptr
  call @printString(%lj) : (!llvm.ptr) -> ()
  %xJ = arith.constant dense<[[[1.0, 2.75, 5.0],
                               [0.75, -0.5, 0.75]],
                              [[10000.0, 10002.0, 10001.0],
                               [-2.5, 0.0, 2.5]]]> : tensor<2x2x3xf32>
  %xJd = tensor.cast %xJ : tensor<2x2x3xf32> to tensor<?x?x?xf32>
  %mJ = arith.constant dense<[[0.0, 0.0, 0.0],
                              [0.0, 0xFF800000, 0.0]]> : tensor<2x3xf32>
  %mJd = tensor.cast %mJ : tensor<2x3xf32> to tensor<?x?xf32>
  %rJ = call @softmax_dyn(%xJd, %mJd) : (tensor<?x?x?xf32>, tensor<?x?xf32>) -> tensor<?x?x?xf32>
  %uJ = tensor.cast %rJ : tensor<?x?x?xf32> to tensor<*xf32>
  call @printMemrefF32(%uJ) : (tensor<*xf32>) -> ()
  // CHECK-LABEL: case J: dynamic, causal and a broadcast mask, masked_rows = nan
  // CHECK-NEXT:  Unranked Memref base@ = {{.*}} rank = 3 offset = 0 sizes = [2, 2, 3] strides = [6, 3, 1] data =
  // CHECK-NEXT:  {{\[\[}}[0.148047, 0.851953, 0],
  // CHECK-NEXT:  [0.5, 0, 0.5]],
  // CHECK-NEXT:  {{\[}}[0.119203, 0.880797, 0],
  // CHECK-NEXT:  [0.00669285, 0, 0.993307]]]

  // Case K. Dynamic [3,2] (tensor<?x?xf32>), causal without a mask:
  // row 0 is fully masked (all 0), row 1 keeps column 0, row 2 both.
  // numpy: softmax(xK, causal=True) =
  //   [[0, 0],
  //    [1, 0],
  //    [0.04742587318, 0.9525741268]]
  %lk = llvm.mlir.addressof @case_k : !llvm.ptr
  call @printString(%lk) : (!llvm.ptr) -> ()
  %xK = arith.constant dense<[[4.0, 1.0],
                              [1.0, 2.0],
                              [0.0, 3.0]]> : tensor<3x2xf32>
  %xKd = tensor.cast %xK : tensor<3x2xf32> to tensor<?x?xf32>
  %rK = call @softmax_dyn_causal(%xKd) : (tensor<?x?xf32>) -> tensor<?x?xf32>
  %uK = tensor.cast %rK : tensor<?x?xf32> to tensor<*xf32>
  call @printMemrefF32(%uK) : (tensor<*xf32>) -> ()
  // CHECK-LABEL: case K: dynamic, causal, M > N
  // CHECK-NEXT:  Unranked Memref base@ = {{.*}} rank = 2 offset = 0 sizes = [3, 2] strides = [2, 1] data =
  // CHECK-NEXT:  {{\[}}[0, 0],
  // CHECK-NEXT:  [1, 0],
  // CHECK-NEXT:  [0.0474259, 0.952574]]

  // Case L. Dynamic [2,2,3] input and full-shape mask (tensor<?x?x?xf32>);
  // row (0, 1) is fully masked (all 0).
  // numpy: softmax(xL, mL) =
  //   [[[0.119202922, 0, 0.880797078],
  //     [0, 0, 0]],
  //    [[0.227219773, 0.4810242633, 0.2917559637],
  //     [0, 0.92414182, 0.07585818002]]]
  %ll = llvm.mlir.addressof @case_l : !llvm.ptr
  call @printString(%ll) : (!llvm.ptr) -> ()
  %xL = arith.constant dense<[[[0.0, 1.0, 2.0],
                               [3.0, -1.0, 0.5]],
                              [[0.75, 1.5, 1.0],
                               [2.0, 0.0, -2.0]]]> : tensor<2x2x3xf32>
  %xLd = tensor.cast %xL : tensor<2x2x3xf32> to tensor<?x?x?xf32>
  %mL = arith.constant dense<[[[0.0, 0xFF800000, 0.0],
                               [0xFF800000, 0xFF800000, 0xFF800000]],
                              [[0.0, 0.0, 0.0],
                               [0xFF800000, 0.0, -0.5]]]> : tensor<2x2x3xf32>
  %mLd = tensor.cast %mL : tensor<2x2x3xf32> to tensor<?x?x?xf32>
  %rL = call @softmax_dyn_full(%xLd, %mLd) : (tensor<?x?x?xf32>, tensor<?x?x?xf32>) -> tensor<?x?x?xf32>
  %uL = tensor.cast %rL : tensor<?x?x?xf32> to tensor<*xf32>
  call @printMemrefF32(%uL) : (tensor<*xf32>) -> ()
  // CHECK-LABEL: case L: dynamic, full-shape mask
  // CHECK-NEXT:  Unranked Memref base@ = {{.*}} rank = 3 offset = 0 sizes = [2, 2, 3] strides = [6, 3, 1] data =
  // CHECK-NEXT:  {{\[\[}}[0.119203, 0, 0.880797],
  // CHECK-NEXT:  [0, 0, 0]],
  // CHECK-NEXT:  {{\[}}[0.22722, 0.481024, 0.291756],
  // CHECK-NEXT:  [0, 0.924142, 0.0758582]]]
  return
}
