// RUN: attn-opt %s --attn-lower-to-llvm="attention=flash block-q=2 block-kv=3" | mlir-runner -e main -entry-point-result=void -shared-libs=%mlir_runner_utils,%mlir_c_runner_utils | FileCheck %s
// RUN: attn-opt %s --attn-lower-to-llvm="attention=flash block-q=1 block-kv=1" | mlir-runner -e main -entry-point-result=void -shared-libs=%mlir_runner_utils,%mlir_c_runner_utils | FileCheck %s
// RUN: attn-opt %s --attn-lower-to-llvm="attention=flash block-q=3 block-kv=2" | mlir-runner -e main -entry-point-result=void -shared-libs=%mlir_runner_utils,%mlir_c_runner_utils | FileCheck %s
// Query blocks in parallel on 2 threads (OpenMP), in the interleaved order.
// RUN: attn-opt %s --attn-lower-to-llvm="attention=flash block-q=2 block-kv=3 threads=2" | mlir-runner -e main -entry-point-result=void -shared-libs=%mlir_runner_utils,%mlir_c_runner_utils,%libomp | FileCheck %s
// RUN: attn-opt %s --attn-lower-to-llvm="attention=flash" | mlir-runner -e main -entry-point-result=void -shared-libs=%mlir_runner_utils,%mlir_c_runner_utils | FileCheck %s
// RUN: attn-opt %s --attn-lower-to-llvm="attention=decomposed" | mlir-runner -e main -entry-point-result=void -shared-libs=%mlir_runner_utils,%mlir_c_runner_utils | FileCheck %s

// Execution test of attn.attention under the flash lowering (with several block
// sizes, including the default 64, blocks of one, and blocks that do not divide
// M, N or D) and the decomposed lowering; every RUN line checks the same values.
//   result = softmax(q kᵀ · scale + mask) v,  softmax over the keys,
// with query head h reading key/value head h / (Hq / Hkv), scale = 1/sqrt(D) by
// default, the mask broadcast to the scores [B, Hq, M, N] by numpy rules, and
// causal hiding key j from query i when j > i + (N - M). A query row that sees
// no key is all 0 with masked_rows = zero (the default), all NaN with
// masked_rows = nan.
//
// The expected values were computed independently with numpy in float64, never
// from the output of attn-opt:
//
//   import numpy as np; inf = np.inf
//   def attention(q, k, v, mask=None, scale=None, causal=False, masked_rows="zero"):
//       q, k, v = (np.asarray(a, np.float64) for a in (q, k, v))
//       if scale is None:
//           scale = 1.0 / np.sqrt(q.shape[-1])
//       if q.ndim >= 3:                                   # grouped-query heads
//           g = q.shape[-3] // k.shape[-3]
//           k, v = np.repeat(k, g, axis=-3), np.repeat(v, g, axis=-3)
//       s = q @ np.swapaxes(k, -1, -2) * scale            # scores [..., M, N]
//       if mask is not None:
//           s = s + np.asarray(mask, np.float64)          # numpy broadcast
//       if causal:
//           M, N = s.shape[-2:]
//           i, j = np.arange(M)[:, None], np.arange(N)[None, :]
//           s = np.where(j > i + (N - M), -inf, s)
//       lse = np.logaddexp.reduce(s, axis=-1)[..., None]  # stable, -inf if fully masked
//       with np.errstate(invalid="ignore"):
//           p = np.exp(s - lse)                           # NaN on fully masked rows
//       if masked_rows == "zero":
//           p = np.where(lse == -inf, 0.0, p)
//       return p @ v
//
// with q, k, v and mask (m) the dense constants of each case below. The inputs
// are multiples of 0.25 (exact in float32): q and k in [-1, 1], keeping the
// scores small, and v in [0.25, 2] with alternating column signs (+, -, +), so
// every output is a convex combination of same-signed values (no
// cancellation); every value column varies over the keys, and removing any one
// visible key changes its query row. An expected value is matched exactly
// unless float32 rounding could move its 6th significant digit: it is within
// 0.1 units of that digit of a rounding boundary, or that digit changes when
// the case is recomputed in np.float32 (decomposed, and flash with block sizes
// 1..64), or when every intermediate of the float64 reference is perturbed by a
// random relative error of up to 2^-23 (2000 trials). Such a value is matched
// by a regex on its last digit(s) accepting both sides of the boundary.
// Each case prints a "case X" label first so that a failure points at it.

llvm.mlir.global internal constant @case_a("case A: rank 4, GQA (Hq = 4, Hkv = 2), B = 2, D = 3, N = 7, Dv = 2, scale = 0.5\0A\00") {addr_space = 0 : i32}
llvm.mlir.global internal constant @case_b("case B: rank 4, MQA (Hq = 3, Hkv = 1), default scale (D = 5), [B, 1, M, N] mask\0A\00") {addr_space = 0 : i32}
llvm.mlir.global internal constant @case_c("case C: rank 3, causal, M == N, default scale (D = 3)\0A\00") {addr_space = 0 : i32}
llvm.mlir.global internal constant @case_d("case D: rank 2, causal, M < N, [1, N] mask, scale = 1.0\0A\00") {addr_space = 0 : i32}
llvm.mlir.global internal constant @case_e("case E: rank 4, MQA, causal, M > N, masked_rows = zero\0A\00") {addr_space = 0 : i32}
llvm.mlir.global internal constant @case_f("case F: rank 4, [M, N] mask with a fully masked row, masked_rows = zero\0A\00") {addr_space = 0 : i32}
llvm.mlir.global internal constant @case_g("case G: rank 4, [M, N] mask with a fully masked row, masked_rows = nan\0A\00") {addr_space = 0 : i32}
llvm.mlir.global internal constant @case_h("case H: dynamic rank 4, GQA, causal, M < N, [M, N] mask, masked_rows = nan\0A\00") {addr_space = 0 : i32}
llvm.mlir.global internal constant @case_i("case I: dynamic rank 3, MQA, causal, M > N, masked_rows = nan\0A\00") {addr_space = 0 : i32}
llvm.mlir.global internal constant @case_k("case K: dynamic rank 2, [1, N] mask as tensor<1x?xf32>, default scale (D = 4)\0A\00") {addr_space = 0 : i32}

func.func private @printString(!llvm.ptr)
func.func private @printMemrefF32(tensor<*xf32>)

func.func @attn_gqa(%q: tensor<2x4x2x3xf32>, %k: tensor<2x2x7x3xf32>, %v: tensor<2x2x7x2xf32>) -> tensor<2x4x2x2xf32> {
  %r = attn.attention %q, %k, %v scale = 0.5 : tensor<2x4x2x3xf32>, tensor<2x2x7x3xf32>, tensor<2x2x7x2xf32>
  return %r : tensor<2x4x2x2xf32>
}

func.func @attn_mqa_mask(%q: tensor<2x3x2x5xf32>, %k: tensor<2x1x5x5xf32>, %v: tensor<2x1x5x3xf32>, %m: tensor<2x1x2x5xf32>) -> tensor<2x3x2x3xf32> {
  %r = attn.attention %q, %k, %v mask %m : tensor<2x3x2x5xf32>, tensor<2x1x5x5xf32>, tensor<2x1x5x3xf32>, tensor<2x1x2x5xf32>
  return %r : tensor<2x3x2x3xf32>
}

func.func @attn_causal_eq(%q: tensor<2x4x3xf32>, %k: tensor<2x4x3xf32>, %v: tensor<2x4x2xf32>) -> tensor<2x4x2xf32> {
  %r = attn.attention %q, %k, %v causal : tensor<2x4x3xf32>, tensor<2x4x3xf32>, tensor<2x4x2xf32>
  return %r : tensor<2x4x2xf32>
}

func.func @attn_causal_lt(%q: tensor<3x2xf32>, %k: tensor<5x2xf32>, %v: tensor<5x3xf32>, %m: tensor<1x5xf32>) -> tensor<3x3xf32> {
  %r = attn.attention %q, %k, %v mask %m scale = 1.0 causal : tensor<3x2xf32>, tensor<5x2xf32>, tensor<5x3xf32>, tensor<1x5xf32>
  return %r : tensor<3x3xf32>
}

func.func @attn_causal_gt(%q: tensor<1x2x5x3xf32>, %k: tensor<1x1x3x3xf32>, %v: tensor<1x1x3x2xf32>) -> tensor<1x2x5x2xf32> {
  %r = attn.attention %q, %k, %v causal : tensor<1x2x5x3xf32>, tensor<1x1x3x3xf32>, tensor<1x1x3x2xf32>
  return %r : tensor<1x2x5x2xf32>
}

func.func @attn_masked_row(%q: tensor<2x2x3x2xf32>, %k: tensor<2x2x4x2xf32>, %v: tensor<2x2x4x3xf32>, %m: tensor<3x4xf32>) -> tensor<2x2x3x3xf32> {
  %r = attn.attention %q, %k, %v mask %m scale = 0.5 : tensor<2x2x3x2xf32>, tensor<2x2x4x2xf32>, tensor<2x2x4x3xf32>, tensor<3x4xf32>
  return %r : tensor<2x2x3x3xf32>
}

func.func @attn_masked_row_nan(%q: tensor<2x2x3x2xf32>, %k: tensor<2x2x4x2xf32>, %v: tensor<2x2x4x3xf32>, %m: tensor<3x4xf32>) -> tensor<2x2x3x3xf32> {
  %r = attn.attention %q, %k, %v mask %m scale = 0.5 masked_rows = nan : tensor<2x2x3x2xf32>, tensor<2x2x4x2xf32>, tensor<2x2x4x3xf32>, tensor<3x4xf32>
  return %r : tensor<2x2x3x3xf32>
}

func.func @attn_dyn4(%q: tensor<?x4x?x?xf32>, %k: tensor<?x2x?x?xf32>, %v: tensor<?x2x?x?xf32>, %m: tensor<?x?xf32>) -> tensor<?x4x?x?xf32> {
  %r = attn.attention %q, %k, %v mask %m causal masked_rows = nan : tensor<?x4x?x?xf32>, tensor<?x2x?x?xf32>, tensor<?x2x?x?xf32>, tensor<?x?xf32>
  return %r : tensor<?x4x?x?xf32>
}

func.func @attn_dyn3(%q: tensor<2x?x?xf32>, %k: tensor<1x?x?xf32>, %v: tensor<1x?x?xf32>) -> tensor<2x?x?xf32> {
  %r = attn.attention %q, %k, %v scale = 0.5 causal masked_rows = nan : tensor<2x?x?xf32>, tensor<1x?x?xf32>, tensor<1x?x?xf32>
  return %r : tensor<2x?x?xf32>
}

func.func @attn_dyn2_unit_mask(%q: tensor<?x?xf32>, %k: tensor<?x?xf32>, %v: tensor<?x?xf32>, %m: tensor<1x?xf32>) -> tensor<?x?xf32> {
  %r = attn.attention %q, %k, %v mask %m : tensor<?x?xf32>, tensor<?x?xf32>, tensor<?x?xf32>, tensor<1x?xf32>
  return %r : tensor<?x?xf32>
}

func.func @main() {
  // Case A. Rank 4 grouped-query attention: B = 2, Hq = 4 query heads over Hkv
  // = 2 key/value heads (query heads 0, 1 read key/value head 0, heads 2, 3
  // head 1), M = 2, N = 7 keys, D = 3, Dv = 2, and an explicit scale = 0.5 (not
  // 1/sqrt(3)). N and D are not multiples of the block sizes.
  // numpy: attention(qA, kA, vA, scale=0.5) =
  //   [[[[1.107477511, -0.8905241262],
  //      [1.066438709, -1.033392027]],
  //     [[1.05066284, -0.8459904382],
  //      [1.182291789, -0.965378601]],
  //     [[1.141448043, -1.134388265],
  //      [1.134319876, -1.149970013]],
  //     [[1.136335993, -1.472210254],
  //      [1.113761831, -1.265639201]]],
  //    [[[1.31994717, -1.4473583],
  //      [1.28935571, -1.270758992]],
  //     [[1.258603988, -1.182051306],
  //      [1.052669148, -1.158079191]],
  //     [[1.284910351, -1.406829043],
  //      [1.289992527, -1.390720136]],
  //     [[1.297853748, -1.394808506],
  //      [1.400028664, -1.520076871]]]]
  %la = llvm.mlir.addressof @case_a : !llvm.ptr
  call @printString(%la) : (!llvm.ptr) -> ()
  %qA = arith.constant dense<[[[[0.0, -0.25, -0.75],
                                [-0.5, 0.5, 1.0]],
                               [[0.75, 1.0, -0.25],
                                [0.5, -0.75, 0.75]],
                               [[-0.75, 1.0, 0.5],
                                [-0.25, 1.0, 1.0]],
                               [[0.75, -0.5, 0.5],
                                [-0.75, 0.0, 1.0]]],
                              [[[0.5, -1.0, 1.0],
                                [0.25, 0.75, 1.0]],
                               [[-0.25, 0.5, 0.5],
                                [0.75, 0.5, -0.25]],
                               [[-0.75, -0.75, -1.0],
                                [0.5, -1.0, -0.25]],
                               [[0.0, 0.25, 0.75],
                                [1.0, 0.25, -0.5]]]]> : tensor<2x4x2x3xf32>
  %kA = arith.constant dense<[[[[0.0, 0.75, -1.0],
                                [0.5, 0.0, -1.0],
                                [-1.0, 1.0, 0.5],
                                [0.0, -0.5, -0.75],
                                [0.0, -0.25, 1.0],
                                [-0.25, 0.5, -0.5],
                                [0.0, -1.0, 0.0]],
                               [[0.0, -0.25, 0.75],
                                [-1.0, 0.75, 0.75],
                                [1.0, -0.25, 1.0],
                                [0.5, -1.0, 0.0],
                                [-0.75, 1.0, 1.0],
                                [-1.0, -0.5, 0.75],
                                [0.25, 0.5, 0.0]]],
                              [[[0.5, -0.75, 1.0],
                                [0.0, -0.25, 0.5],
                                [-0.25, 0.25, -1.0],
                                [-0.5, 0.5, 1.0],
                                [0.25, -0.75, 0.5],
                                [-0.5, 1.0, -0.75],
                                [1.0, 0.5, -1.0]],
                               [[0.25, 0.75, -0.75],
                                [0.0, -0.5, -0.25],
                                [0.25, -0.5, 1.0],
                                [0.0, -0.75, 0.0],
                                [-0.25, 0.75, -0.75],
                                [0.5, -0.75, 0.0],
                                [-1.0, 0.0, 1.0]]]]> : tensor<2x2x7x3xf32>
  %vA = arith.constant dense<[[[[1.0, -0.75],
                                [0.5, -0.5],
                                [0.5, -1.75],
                                [2.0, -1.0],
                                [1.75, -0.5],
                                [1.25, -0.25],
                                [0.75, -1.75]],
                               [[1.75, -0.75],
                                [1.5, -1.25],
                                [0.75, -2.0],
                                [1.5, -1.75],
                                [1.0, -0.25],
                                [0.5, -2.0],
                                [1.0, -1.5]]],
                              [[[1.5, -1.75],
                                [1.0, -2.0],
                                [0.75, -0.25],
                                [1.75, -1.25],
                                [1.5, -1.25],
                                [1.5, -0.25],
                                [0.25, -1.5]],
                               [[1.75, -2.0],
                                [0.25, -1.25],
                                [2.0, -1.25],
                                [1.75, -0.5],
                                [2.0, -1.75],
                                [1.0, -2.0],
                                [0.5, -1.25]]]]> : tensor<2x2x7x2xf32>
  %rA = call @attn_gqa(%qA, %kA, %vA) : (tensor<2x4x2x3xf32>, tensor<2x2x7x3xf32>, tensor<2x2x7x2xf32>) -> tensor<2x4x2x2xf32>
  %uA = tensor.cast %rA : tensor<2x4x2x2xf32> to tensor<*xf32>
  call @printMemrefF32(%uA) : (tensor<*xf32>) -> ()
  // CHECK-LABEL: case A: rank 4, GQA (Hq = 4, Hkv = 2), B = 2, D = 3, N = 7, Dv = 2, scale = 0.5
  // CHECK-NEXT:  Unranked Memref base@ = {{.*}} rank = 4 offset = 0 sizes = [2, 4, 2, 2] strides = [16, 4, 2, 1] data =
  // CHECK-NEXT:  {{\[\[\[}}[1.10748, -0.89052{{[45]}}],
  // CHECK-NEXT:  [1.06644, -1.03339]],
  // CHECK-NEXT:  {{\[}}[1.05066, -0.84599{{1?}}],
  // CHECK-NEXT:  [1.18229, -0.96537{{[89]}}]],
  // CHECK-NEXT:  {{\[}}[1.14145, -1.13439],
  // CHECK-NEXT:  [1.13432, -1.14997]],
  // CHECK-NEXT:  {{\[}}[1.1363{{[34]}}, -1.47221],
  // CHECK-NEXT:  [1.11376, -1.26564]]],
  // CHECK-NEXT:  {{\[\[}}[1.31995, -1.44736],
  // CHECK-NEXT:  [1.2893{{[56]}}, -1.27076]],
  // CHECK-NEXT:  {{\[}}[1.2586, -1.18205],
  // CHECK-NEXT:  [1.05267, -1.15808]],
  // CHECK-NEXT:  {{\[}}[1.28491, -1.40683],
  // CHECK-NEXT:  [1.28999, -1.39072]],
  // CHECK-NEXT:  {{\[}}[1.29785, -1.39481],
  // CHECK-NEXT:  [1.40003, -1.52008]]]]

  // Case B. Rank 4 multi-query attention: Hq = 3 query heads over one key/value
  // head, B = 2, M = 2, N = 5, D = 5, Dv = 3, the default scale 1/sqrt(5), and
  // a [B, 1, M, N] mask (one per batch, broadcast over the heads) with -inf
  // entries and finite biases.
  // numpy: attention(qB, kB, vB, mB) =
  //   [[[[1.147540917, -0.7448413226, 1.1264992],
  //      [1.321302282, -1.70810155, 1.227667274]],
  //     [[1.510959875, -1.05061741, 1.398689774],
  //      [1.348761671, -1.620186716, 1.287260237]],
  //     [[1.324529115, -1.156087435, 1.41211691],
  //      [1.382967156, -1.513211936, 1.353711309]]],
  //    [[[1.558650372, -1.150098266, 1.275489122],
  //      [1.012280852, -1.261859129, 0.9822060476]],
  //     [[1.621240501, -1.28214964, 1.234850992],
  //      [0.8247536006, -1.411486664, 1.184991182]],
  //     [[1.447083637, -1.012999351, 1.225929157],
  //      [1.077604838, -1.395300321, 0.9988908537]]]]
  %lb = llvm.mlir.addressof @case_b : !llvm.ptr
  call @printString(%lb) : (!llvm.ptr) -> ()
  %qB = arith.constant dense<[[[[0.75, 0.25, -1.0, -0.75, 0.75],
                                [-0.25, -1.0, -0.5, 0.0, 0.5]],
                               [[-1.0, 0.75, 0.5, -0.25, -0.25],
                                [0.25, -0.75, -0.25, -1.0, -1.0]],
                               [[-0.5, -0.25, -0.5, 1.0, -0.75],
                                [0.25, 0.0, -1.0, -0.5, -0.5]]],
                              [[[0.25, 0.25, -0.5, 0.0, 0.25],
                                [-0.75, 0.0, 0.0, 0.25, 0.5]],
                               [[0.25, 0.25, 0.75, -0.75, 1.0],
                                [0.75, -0.75, -1.0, -0.75, -0.25]],
                               [[0.25, -1.0, 0.5, 0.25, -0.25],
                                [-0.25, 0.75, -0.75, -0.5, 0.0]]]]> : tensor<2x3x2x5xf32>
  %kB = arith.constant dense<[[[[-0.75, -0.5, 0.25, -0.25, -0.5],
                                [-1.0, -0.75, 0.75, 0.0, -0.75],
                                [-0.75, 1.0, 0.25, -0.5, -0.75],
                                [1.0, -0.5, 0.0, -1.0, 0.0],
                                [-0.75, 0.5, 0.75, -0.5, -0.75]]],
                              [[[1.0, 1.0, 0.25, -0.5, 0.0],
                                [-1.0, -1.0, 0.25, 0.5, -0.5],
                                [-1.0, -1.0, 0.0, 1.0, -1.0],
                                [0.0, 0.75, 0.75, -0.75, 0.0],
                                [0.0, -0.75, 0.75, -0.75, -1.0]]]]> : tensor<2x1x5x5xf32>
  %vB = arith.constant dense<[[[[0.75, -2.0, 1.75],
                                [1.75, -2.0, 0.25],
                                [2.0, -0.75, 1.25],
                                [0.75, -0.25, 0.75],
                                [1.0, -1.5, 2.0]]],
                              [[[2.0, -1.25, 2.0],
                                [1.75, -1.0, 1.75],
                                [1.0, -0.75, 0.75],
                                [1.5, -1.5, 0.75],
                                [0.25, -1.75, 1.75]]]]> : tensor<2x1x5x3xf32>
  %mB = arith.constant dense<[[[[0.0, 0xFF800000, 0.5, 0.0, -1.0],
                                [0.0, 0.0, 0.0, 0xFF800000, 0.0]]],
                              [[[-0.5, 0.0, 0.0, 0.0, 0xFF800000],
                                [0xFF800000, 0xFF800000, 0.0, 0.25, 0.0]]]]> : tensor<2x1x2x5xf32>
  %rB = call @attn_mqa_mask(%qB, %kB, %vB, %mB) : (tensor<2x3x2x5xf32>, tensor<2x1x5x5xf32>, tensor<2x1x5x3xf32>, tensor<2x1x2x5xf32>) -> tensor<2x3x2x3xf32>
  %uB = tensor.cast %rB : tensor<2x3x2x3xf32> to tensor<*xf32>
  call @printMemrefF32(%uB) : (tensor<*xf32>) -> ()
  // CHECK-LABEL: case B: rank 4, MQA (Hq = 3, Hkv = 1), default scale (D = 5), [B, 1, M, N] mask
  // CHECK-NEXT:  Unranked Memref base@ = {{.*}} rank = 4 offset = 0 sizes = [2, 3, 2, 3] strides = [18, 6, 3, 1] data =
  // CHECK-NEXT:  {{\[\[\[}}[1.14754, -0.74484{{[12]}}, 1.1265],
  // CHECK-NEXT:  [1.3213, -1.7081, 1.22767]],
  // CHECK-NEXT:  {{\[}}[1.51096, -1.05062, 1.39869],
  // CHECK-NEXT:  [1.34876, -1.62019, 1.28726]],
  // CHECK-NEXT:  {{\[}}[1.32453, -1.15609, 1.41212],
  // CHECK-NEXT:  [1.38297, -1.51321, 1.35371]]],
  // CHECK-NEXT:  {{\[\[}}[1.55865, -1.1501, 1.27549],
  // CHECK-NEXT:  [1.01228, -1.26186, 0.982206]],
  // CHECK-NEXT:  {{\[}}[1.62124, -1.28215, 1.23485],
  // CHECK-NEXT:  [0.82475{{[34]}}, -1.41149, 1.18499]],
  // CHECK-NEXT:  {{\[}}[1.44708, -1.013, 1.22593],
  // CHECK-NEXT:  [1.0776{{1?}}, -1.3953, 0.99889{{1?}}]]]]

  // Case C. Rank 3 ([H, S, D]: H = 2, M = N = 4, D = 3, Dv = 2), causal: query
  // i sees the keys j <= i. Default scale 1/sqrt(3). Row 0 sees only key 0 and
  // returns its value row exactly.
  // numpy: attention(qC, kC, vC, causal=True) =
  //   [[[0.5, -0.75],
  //     [0.875, -0.5],
  //     [0.7373770448, -0.6679309852],
  //     [0.4221441402, -0.9648949162]],
  //    [[0.75, -1.75],
  //     [1.074361948, -1.75],
  //     [1.111516412, -1.620053888],
  //     [0.8629149289, -1.580912796]]]
  %lc = llvm.mlir.addressof @case_c : !llvm.ptr
  call @printString(%lc) : (!llvm.ptr) -> ()
  %qC = arith.constant dense<[[[-0.75, 0.25, -1.0],
                               [0.0, 0.25, 0.25],
                               [0.5, -0.5, 0.25],
                               [-0.25, 1.0, 0.25]],
                              [[1.0, 0.5, -0.75],
                               [-0.25, -0.5, 0.75],
                               [1.0, -0.75, 0.5],
                               [1.0, -1.0, 0.5]]]> : tensor<2x4x3xf32>
  %kC = arith.constant dense<[[[-0.75, -1.0, -0.5],
                               [-0.25, -0.75, -0.75],
                               [-1.0, 0.75, 0.0],
                               [-0.5, 0.5, -0.25]],
                              [[0.25, 0.0, -1.0],
                               [0.75, 0.25, 0.75],
                               [-1.0, -0.25, -0.5],
                               [0.25, -0.5, -0.75]]]> : tensor<2x4x3xf32>
  %vC = arith.constant dense<[[[0.5, -0.75],
                               [1.25, -0.25],
                               [0.25, -1.25],
                               [0.25, -1.0]],
                              [[0.75, -1.75],
                               [1.25, -1.75],
                               [1.25, -1.0],
                               [0.25, -1.5]]]> : tensor<2x4x2xf32>
  %rC = call @attn_causal_eq(%qC, %kC, %vC) : (tensor<2x4x3xf32>, tensor<2x4x3xf32>, tensor<2x4x2xf32>) -> tensor<2x4x2xf32>
  %uC = tensor.cast %rC : tensor<2x4x2xf32> to tensor<*xf32>
  call @printMemrefF32(%uC) : (tensor<*xf32>) -> ()
  // CHECK-LABEL: case C: rank 3, causal, M == N, default scale (D = 3)
  // CHECK-NEXT:  Unranked Memref base@ = {{.*}} rank = 3 offset = 0 sizes = [2, 4, 2] strides = [8, 2, 1] data =
  // CHECK-NEXT:  {{\[\[}}[0.5, -0.75],
  // CHECK-NEXT:  [0.875, -0.5],
  // CHECK-NEXT:  [0.737377, -0.667931],
  // CHECK-NEXT:  [0.422144, -0.964895]],
  // CHECK-NEXT:  {{\[}}[0.75, -1.75],
  // CHECK-NEXT:  [1.07436, -1.75],
  // CHECK-NEXT:  [1.11152, -1.62005],
  // CHECK-NEXT:  [0.862915, -1.58091]]]

  // Case D. Rank 2 ([S, D]), causal with M = 3 < N = 5 (bottom-right aligned:
  // query i sees the keys j <= i + 2), a [1, N] mask broadcast over the queries
  // (removes key 1, biases the others), scale = 1.0, D = 2, Dv = 3.
  // numpy: attention(qD, kD, vD, mD, scale=1.0, causal=True) =
  //   [[1.196168415, -1.696168415, 0.25],
  //    [1.071809384, -1.627156255, 0.3053468704],
  //    [0.6036531964, -1.041629774, 1.12837825]]
  %ld = llvm.mlir.addressof @case_d : !llvm.ptr
  call @printString(%ld) : (!llvm.ptr) -> ()
  %qD = arith.constant dense<[[-0.75, 0.0],
                              [-0.5, 0.0],
                              [0.0, 1.0]]> : tensor<3x2xf32>
  %kD = arith.constant dense<[[0.75, -0.75],
                              [-0.25, -1.0],
                              [-0.5, 0.0],
                              [-0.75, 1.0],
                              [0.0, 0.75]]> : tensor<5x2xf32>
  %vD = arith.constant dense<[[1.5, -2.0, 0.25],
                              [0.75, -0.5, 1.5],
                              [1.0, -1.5, 0.25],
                              [0.5, -1.25, 0.5],
                              [0.25, -0.5, 2.0]]> : tensor<5x3xf32>
  %mD = arith.constant dense<[[0.5, 0xFF800000, 0.0, -0.75, 0.25]]> : tensor<1x5xf32>
  %rD = call @attn_causal_lt(%qD, %kD, %vD, %mD) : (tensor<3x2xf32>, tensor<5x2xf32>, tensor<5x3xf32>, tensor<1x5xf32>) -> tensor<3x3xf32>
  %uD = tensor.cast %rD : tensor<3x3xf32> to tensor<*xf32>
  call @printMemrefF32(%uD) : (tensor<*xf32>) -> ()
  // CHECK-LABEL: case D: rank 2, causal, M < N, [1, N] mask, scale = 1.0
  // CHECK-NEXT:  Unranked Memref base@ = {{.*}} rank = 2 offset = 0 sizes = [3, 3] strides = [3, 1] data =
  // CHECK-NEXT:  {{\[}}[1.19617, -1.69617, 0.25],
  // CHECK-NEXT:  [1.07181, -1.62716, 0.305347],
  // CHECK-NEXT:  [0.603653, -1.04163, 1.12838]]

  // Case E. Rank 4 multi-query (B = 1, Hq = 2, Hkv = 1, D = 3, Dv = 2), causal
  // with M = 5 > N = 3: query i sees the keys j <= i - 2, so rows 0 and 1 see
  // no key and are all 0 (the default masked_rows = zero), row 2 sees only key
  // 0 and returns its value row exactly. Default scale 1/sqrt(3).
  // numpy: attention(qE, kE, vE, causal=True) =
  //   [[[[0, 0],
  //      [0, 0],
  //      [1.75, -1.25],
  //      [1.868240776, -1.25],
  //      [1.898861655, -1.359530368]],
  //     [[0, 0],
  //      [0, 0],
  //      [1.75, -1.25],
  //      [1.870491408, -1.25],
  //      [1.908668628, -1.356311732]]]]
  %le = llvm.mlir.addressof @case_e : !llvm.ptr
  call @printString(%le) : (!llvm.ptr) -> ()
  %qE = arith.constant dense<[[[[0.5, 0.25, -1.0],
                                [0.25, 1.0, -0.75],
                                [1.0, 0.5, 0.0],
                                [-0.5, 0.5, -0.25],
                                [-0.25, -0.75, 0.75]],
                               [[0.5, -0.25, 0.0],
                                [0.5, -0.5, -1.0],
                                [1.0, 0.5, -0.5],
                                [-0.25, 0.5, -0.5],
                                [-0.25, 0.5, 1.0]]]]> : tensor<1x2x5x3xf32>
  %kE = arith.constant dense<[[[[-0.5, -0.5, 0.25],
                                [0.0, -0.25, 0.5],
                                [0.75, -0.25, -0.5]]]]> : tensor<1x1x3x3xf32>
  %vE = arith.constant dense<[[[[1.75, -1.25],
                                [2.0, -1.25],
                                [2.0, -1.75]]]]> : tensor<1x1x3x2xf32>
  %rE = call @attn_causal_gt(%qE, %kE, %vE) : (tensor<1x2x5x3xf32>, tensor<1x1x3x3xf32>, tensor<1x1x3x2xf32>) -> tensor<1x2x5x2xf32>
  %uE = tensor.cast %rE : tensor<1x2x5x2xf32> to tensor<*xf32>
  call @printMemrefF32(%uE) : (tensor<*xf32>) -> ()
  // CHECK-LABEL: case E: rank 4, MQA, causal, M > N, masked_rows = zero
  // CHECK-NEXT:  Unranked Memref base@ = {{.*}} rank = 4 offset = 0 sizes = [1, 2, 5, 2] strides = [20, 10, 2, 1] data =
  // CHECK-NEXT:  {{\[\[\[}}[0, 0],
  // CHECK-NEXT:  [0, 0],
  // CHECK-NEXT:  [1.75, -1.25],
  // CHECK-NEXT:  [1.86824, -1.25],
  // CHECK-NEXT:  [1.89886, -1.35953]],
  // CHECK-NEXT:  {{\[}}[0, 0],
  // CHECK-NEXT:  [0, 0],
  // CHECK-NEXT:  [1.75, -1.25],
  // CHECK-NEXT:  [1.87049, -1.25],
  // CHECK-NEXT:  [1.90867, -1.35631]]]]

  // Case F. Rank 4 (B = 2, H = 2, M = 3, N = 4, D = 2, Dv = 3), scale = 0.5,
  // and a [M, N] mask broadcast over batch and heads whose row 1 is all -inf:
  // query row 1 is all 0 (masked_rows = zero).
  // numpy: attention(qF, kF, vF, mF, scale=0.5) =
  //   [[[[1.067961219, -0.8462010912, 0.9912259509],
  //      [0, 0, 0],
  //      [0.6513258688, -1.170390261, 1.121770118]],
  //     [[1.273137912, -1.349856855, 1.107162063],
  //      [0, 0, 0],
  //      [1.173370794, -1.685182904, 1.441966919]]],
  //    [[[0.9189348671, -0.882863014, 0.3714781438],
  //      [0, 0, 0],
  //      [0.7473350041, -1.363654938, 0.5]],
  //     [[1.191032936, -1.317841196, 1.617949573],
  //      [0, 0, 0],
  //      [0.9752518093, -1.765633755, 1.907557366]]]]
  %lf = llvm.mlir.addressof @case_f : !llvm.ptr
  call @printString(%lf) : (!llvm.ptr) -> ()
  %qF = arith.constant dense<[[[[0.0, 1.0],
                                [-0.75, 1.0],
                                [0.0, 0.75]],
                               [[1.0, -0.5],
                                [-0.25, 0.75],
                                [0.0, -0.75]]],
                              [[[0.5, -0.75],
                                [-0.5, -0.75],
                                [-0.75, -1.0]],
                               [[-1.0, -0.25],
                                [-0.75, -1.0],
                                [0.25, -1.0]]]]> : tensor<2x2x3x2xf32>
  %kF = arith.constant dense<[[[[1.0, -0.25],
                                [-0.25, 0.0],
                                [1.0, 0.75],
                                [0.0, 0.75]],
                               [[0.5, -0.25],
                                [-0.5, -0.5],
                                [0.0, 0.0],
                                [0.75, 1.0]]],
                              [[[0.75, 0.5],
                                [-0.5, -0.5],
                                [1.0, -0.25],
                                [0.75, -0.25]],
                               [[0.0, 1.0],
                                [-0.75, -0.25],
                                [1.0, 0.5],
                                [-0.75, -0.25]]]]> : tensor<2x2x4x2xf32>
  %vF = arith.constant dense<[[[[1.5, -1.5, 1.75],
                                [0.25, -0.5, 1.5],
                                [0.5, -1.5, 0.5],
                                [1.25, -0.75, 0.5]],
                               [[1.5, -1.75, 1.0],
                                [1.5, -2.0, 1.5],
                                [0.5, -1.25, 1.75],
                                [1.0, -0.75, 1.0]]],
                              [[[2.0, -0.25, 0.5],
                                [0.25, -1.75, 0.5],
                                [1.0, -1.25, 0.5],
                                [0.75, -0.75, 0.25]],
                               [[1.5, -1.75, 2.0],
                                [0.5, -2.0, 2.0],
                                [1.25, -1.5, 1.75],
                                [1.5, -0.75, 1.25]]]]> : tensor<2x2x4x3xf32>
  %mF = arith.constant dense<[[0.0, 0.0, 0xFF800000, 0.5],
                              [0xFF800000, 0xFF800000, 0xFF800000, 0xFF800000],
                              [-0.25, 0.0, 0.0, 0xFF800000]]> : tensor<3x4xf32>
  %rF = call @attn_masked_row(%qF, %kF, %vF, %mF) : (tensor<2x2x3x2xf32>, tensor<2x2x4x2xf32>, tensor<2x2x4x3xf32>, tensor<3x4xf32>) -> tensor<2x2x3x3xf32>
  %uF = tensor.cast %rF : tensor<2x2x3x3xf32> to tensor<*xf32>
  call @printMemrefF32(%uF) : (tensor<*xf32>) -> ()
  // CHECK-LABEL: case F: rank 4, [M, N] mask with a fully masked row, masked_rows = zero
  // CHECK-NEXT:  Unranked Memref base@ = {{.*}} rank = 4 offset = 0 sizes = [2, 2, 3, 3] strides = [18, 9, 3, 1] data =
  // CHECK-NEXT:  {{\[\[\[}}[1.06796, -0.846201, 0.991226],
  // CHECK-NEXT:  [0, 0, 0],
  // CHECK-NEXT:  [0.651326, -1.17039, 1.12177]],
  // CHECK-NEXT:  {{\[}}[1.27314, -1.34986, 1.10716],
  // CHECK-NEXT:  [0, 0, 0],
  // CHECK-NEXT:  [1.17337, -1.68518, 1.44197]]],
  // CHECK-NEXT:  {{\[\[}}[0.91893{{[45]}}, -0.882863, 0.371478],
  // CHECK-NEXT:  [0, 0, 0],
  // CHECK-NEXT:  [0.747335, -1.3636{{[56]}}, 0.5]],
  // CHECK-NEXT:  {{\[}}[1.19103, -1.31784, 1.61795],
  // CHECK-NEXT:  [0, 0, 0],
  // CHECK-NEXT:  [0.97525{{[12]}}, -1.76563, 1.90756]]]]

  // Case G. The inputs of case F with masked_rows = nan: query row 1 is NaN
  // throughout, the other rows are unchanged.
  // numpy: attention(qF, kF, vF, mF, scale=0.5, masked_rows="nan") =
  //   [[[[1.067961219, -0.8462010912, 0.9912259509],
  //      [nan, nan, nan],
  //      [0.6513258688, -1.170390261, 1.121770118]],
  //     [[1.273137912, -1.349856855, 1.107162063],
  //      [nan, nan, nan],
  //      [1.173370794, -1.685182904, 1.441966919]]],
  //    [[[0.9189348671, -0.882863014, 0.3714781438],
  //      [nan, nan, nan],
  //      [0.7473350041, -1.363654938, 0.5]],
  //     [[1.191032936, -1.317841196, 1.617949573],
  //      [nan, nan, nan],
  //      [0.9752518093, -1.765633755, 1.907557366]]]]
  %lg = llvm.mlir.addressof @case_g : !llvm.ptr
  call @printString(%lg) : (!llvm.ptr) -> ()
  %rG = call @attn_masked_row_nan(%qF, %kF, %vF, %mF) : (tensor<2x2x3x2xf32>, tensor<2x2x4x2xf32>, tensor<2x2x4x3xf32>, tensor<3x4xf32>) -> tensor<2x2x3x3xf32>
  %uG = tensor.cast %rG : tensor<2x2x3x3xf32> to tensor<*xf32>
  call @printMemrefF32(%uG) : (tensor<*xf32>) -> ()
  // CHECK-LABEL: case G: rank 4, [M, N] mask with a fully masked row, masked_rows = nan
  // CHECK-NEXT:  Unranked Memref base@ = {{.*}} rank = 4 offset = 0 sizes = [2, 2, 3, 3] strides = [18, 9, 3, 1] data =
  // CHECK-NEXT:  {{\[\[\[}}[1.06796, -0.846201, 0.991226],
  // CHECK-NEXT:  [{{-?nan}}, {{-?nan}}, {{-?nan}}],
  // CHECK-NEXT:  [0.651326, -1.17039, 1.12177]],
  // CHECK-NEXT:  {{\[}}[1.27314, -1.34986, 1.10716],
  // CHECK-NEXT:  [{{-?nan}}, {{-?nan}}, {{-?nan}}],
  // CHECK-NEXT:  [1.17337, -1.68518, 1.44197]]],
  // CHECK-NEXT:  {{\[\[}}[0.91893{{[45]}}, -0.882863, 0.371478],
  // CHECK-NEXT:  [{{-?nan}}, {{-?nan}}, {{-?nan}}],
  // CHECK-NEXT:  [0.747335, -1.3636{{[56]}}, 0.5]],
  // CHECK-NEXT:  {{\[}}[1.19103, -1.31784, 1.61795],
  // CHECK-NEXT:  [{{-?nan}}, {{-?nan}}, {{-?nan}}],
  // CHECK-NEXT:  [0.97525{{[12]}}, -1.76563, 1.90756]]]]

  // Case H. Dynamic shapes (query tensor<?x4x?x?xf32>, key and value
  // tensor<?x2x?x?xf32>, mask tensor<?x?xf32>; the head counts stay static): B
  // = 1, Hq = 4 over Hkv = 2, M = 3, N = 7, D = 3, Dv = 2, causal (query i sees
  // the keys j <= i + 4) with a [M, N] mask, masked_rows = nan, the default
  // scale 1/sqrt(3) of a dynamic D. Row 0 sees no key (the mask removes keys
  // 0..4, causal 5 and 6): NaN.
  // numpy: attention(qH, kH, vH, mH, causal=True, masked_rows="nan") =
  //   [[[[nan, nan],
  //      [1.667891329, -1.065166248],
  //      [1.572071805, -1.120137149]],
  //     [[nan, nan],
  //      [1.67442045, -1.170631703],
  //      [1.623616784, -1.215746542]],
  //     [[nan, nan],
  //      [1.606233185, -1.263510696],
  //      [1.306959756, -1.243289583]],
  //     [[nan, nan],
  //      [1.632718357, -1.249200784],
  //      [1.140831094, -1.03121032]]]]
  %lh = llvm.mlir.addressof @case_h : !llvm.ptr
  call @printString(%lh) : (!llvm.ptr) -> ()
  %qH = arith.constant dense<[[[[0.0, 1.0, 0.5],
                                [1.0, -0.75, -0.5],
                                [-0.25, 1.0, 0.75]],
                               [[0.25, 0.75, -0.5],
                                [-0.5, -0.25, -0.25],
                                [-0.5, -1.0, 0.75]],
                               [[-1.0, -1.0, 0.5],
                                [1.0, -0.5, 0.5],
                                [0.75, -0.75, 0.0]],
                               [[0.25, -0.5, -0.75],
                                [1.0, -1.0, 0.0],
                                [-0.25, 0.5, 0.0]]]]> : tensor<1x4x3x3xf32>
  %kH = arith.constant dense<[[[[-0.75, 0.0, 0.75],
                                [1.0, -0.5, -0.5],
                                [0.5, 0.25, 1.0],
                                [0.25, -0.75, 0.25],
                                [0.75, -0.75, -1.0],
                                [-0.25, 0.75, 1.0],
                                [-1.0, -0.5, -0.75]],
                               [[0.75, -0.5, 0.75],
                                [0.75, 1.0, 0.25],
                                [1.0, -0.5, 0.5],
                                [0.5, -0.75, 1.0],
                                [1.0, 0.25, 0.5],
                                [-0.75, -1.0, 0.5],
                                [0.75, -0.75, 0.75]]]]> : tensor<1x2x7x3xf32>
  %vH = arith.constant dense<[[[[1.5, -1.0],
                                [2.0, -1.75],
                                [2.0, -1.5],
                                [1.75, -1.75],
                                [1.5, -0.5],
                                [1.5, -1.0],
                                [2.0, -0.5]],
                               [[1.75, -2.0],
                                [0.25, -0.5],
                                [2.0, -1.0],
                                [1.25, -1.5],
                                [1.0, -1.0],
                                [1.75, -0.25],
                                [0.75, -1.75]]]]> : tensor<1x2x7x2xf32>
  %mH = arith.constant dense<[[0xFF800000, 0xFF800000, 0xFF800000, 0xFF800000, 0xFF800000, 0.0, 0.0],
                              [0.0, 0xFF800000, 0.5, 0.0, 0.0, -0.5, 0.0],
                              [0.25, 0.0, 0xFF800000, 0.0, 0.0, 0.0, 0xFF800000]]> : tensor<3x7xf32>
  %qHd = tensor.cast %qH : tensor<1x4x3x3xf32> to tensor<?x4x?x?xf32>
  %kHd = tensor.cast %kH : tensor<1x2x7x3xf32> to tensor<?x2x?x?xf32>
  %vHd = tensor.cast %vH : tensor<1x2x7x2xf32> to tensor<?x2x?x?xf32>
  %mHd = tensor.cast %mH : tensor<3x7xf32> to tensor<?x?xf32>
  %rH = call @attn_dyn4(%qHd, %kHd, %vHd, %mHd) : (tensor<?x4x?x?xf32>, tensor<?x2x?x?xf32>, tensor<?x2x?x?xf32>, tensor<?x?xf32>) -> tensor<?x4x?x?xf32>
  %uH = tensor.cast %rH : tensor<?x4x?x?xf32> to tensor<*xf32>
  call @printMemrefF32(%uH) : (tensor<*xf32>) -> ()
  // CHECK-LABEL: case H: dynamic rank 4, GQA, causal, M < N, [M, N] mask, masked_rows = nan
  // CHECK-NEXT:  Unranked Memref base@ = {{.*}} rank = 4 offset = 0 sizes = [1, 4, 3, 2] strides = [24, 6, 2, 1] data =
  // CHECK-NEXT:  {{\[\[\[}}[{{-?nan}}, {{-?nan}}],
  // CHECK-NEXT:  [1.66789, -1.06517],
  // CHECK-NEXT:  [1.57207, -1.12014]],
  // CHECK-NEXT:  {{\[}}[{{-?nan}}, {{-?nan}}],
  // CHECK-NEXT:  [1.67442, -1.17063],
  // CHECK-NEXT:  [1.62362, -1.21575]],
  // CHECK-NEXT:  {{\[}}[{{-?nan}}, {{-?nan}}],
  // CHECK-NEXT:  [1.60623, -1.26351],
  // CHECK-NEXT:  [1.30696, -1.24329]],
  // CHECK-NEXT:  {{\[}}[{{-?nan}}, {{-?nan}}],
  // CHECK-NEXT:  [1.63272, -1.2492],
  // CHECK-NEXT:  [1.14083, -1.03121]]]]

  // Case I. Dynamic rank 3 (query tensor<2x?x?xf32>, key and value
  // tensor<1x?x?xf32>): Hq = 2 over one key/value head, causal with M = 5 > N =
  // 3, masked_rows = nan, scale = 0.5, D = 3, Dv = 2. Rows 0 and 1 see no key
  // (NaN), row 2 sees only key 0.
  // numpy: attention(qI, kI, vI, scale=0.5, causal=True, masked_rows="nan") =
  //   [[[nan, nan],
  //     [nan, nan],
  //     [1.25, -2],
  //     [1.51683117, -1.73316883],
  //     [1.177889407, -1.446241101]],
  //    [[nan, nan],
  //     [nan, nan],
  //     [1.25, -2],
  //     [1.51683117, -1.73316883],
  //     [1.032039005, -1.59358951]]]
  %li = llvm.mlir.addressof @case_i : !llvm.ptr
  call @printString(%li) : (!llvm.ptr) -> ()
  %qI = arith.constant dense<[[[0.25, -0.5, 0.5],
                               [1.0, 0.75, 1.0],
                               [-0.5, -0.25, -0.25],
                               [-0.5, 1.0, 0.25],
                               [-0.25, -1.0, 0.25]],
                              [[-0.75, -0.75, -0.25],
                               [-0.75, 0.0, 0.5],
                               [0.75, 0.0, 0.75],
                               [-1.0, -0.75, 0.0],
                               [-1.0, -0.5, -0.25]]]> : tensor<2x5x3xf32>
  %kI = arith.constant dense<[[[-0.75, 0.0, -1.0],
                               [1.0, -0.75, 0.75],
                               [-0.25, -0.5, 0.0]]]> : tensor<1x3x3xf32>
  %vI = arith.constant dense<[[[1.25, -2.0],
                               [2.0, -1.25],
                               [0.25, -1.25]]]> : tensor<1x3x2xf32>
  %qId = tensor.cast %qI : tensor<2x5x3xf32> to tensor<2x?x?xf32>
  %kId = tensor.cast %kI : tensor<1x3x3xf32> to tensor<1x?x?xf32>
  %vId = tensor.cast %vI : tensor<1x3x2xf32> to tensor<1x?x?xf32>
  %rI = call @attn_dyn3(%qId, %kId, %vId) : (tensor<2x?x?xf32>, tensor<1x?x?xf32>, tensor<1x?x?xf32>) -> tensor<2x?x?xf32>
  %uI = tensor.cast %rI : tensor<2x?x?xf32> to tensor<*xf32>
  call @printMemrefF32(%uI) : (tensor<*xf32>) -> ()
  // CHECK-LABEL: case I: dynamic rank 3, MQA, causal, M > N, masked_rows = nan
  // CHECK-NEXT:  Unranked Memref base@ = {{.*}} rank = 3 offset = 0 sizes = [2, 5, 2] strides = [10, 2, 1] data =
  // CHECK-NEXT:  {{\[\[}}[{{-?nan}}, {{-?nan}}],
  // CHECK-NEXT:  [{{-?nan}}, {{-?nan}}],
  // CHECK-NEXT:  [1.25, -2],
  // CHECK-NEXT:  [1.51683, -1.73317],
  // CHECK-NEXT:  [1.17789, -1.44624]],
  // CHECK-NEXT:  {{\[}}[{{-?nan}}, {{-?nan}}],
  // CHECK-NEXT:  [{{-?nan}}, {{-?nan}}],
  // CHECK-NEXT:  [1.25, -2],
  // CHECK-NEXT:  [1.51683, -1.73317],
  // CHECK-NEXT:  [1.03204, -1.59359]]]

  // Inputs of case K: dynamic rank 2 (M = 5, N = 7, D = 4, Dv = 3).
  // (A [1, N] mask typed tensor<?x?xf32> is not broadcast: a broadcast mask
  // dimension must be a static 1. test/Integration/runtime-checks.mlir shows
  // the checked mode stopping such a call.)
  %qJ = arith.constant dense<[[0.25, -1.0, -1.0, -0.5],
                              [-1.0, -0.25, 1.0, 0.75],
                              [-0.25, 0.75, -0.25, -1.0],
                              [-0.25, 0.75, -0.5, 0.25],
                              [0.5, 0.25, 1.0, -0.5]]> : tensor<5x4xf32>
  %kJ = arith.constant dense<[[-0.75, 0.25, -0.25, -0.25],
                              [0.25, -0.75, -0.25, -1.0],
                              [0.0, -0.5, 0.5, 0.5],
                              [0.0, 1.0, 0.25, -1.0],
                              [0.75, 0.5, -0.5, 0.75],
                              [0.5, 0.25, 1.0, 0.25],
                              [-0.25, 0.75, -0.25, 0.5]]> : tensor<7x4xf32>
  %vJ = arith.constant dense<[[1.5, -1.5, 0.5],
                              [2.0, -2.0, 2.0],
                              [0.5, -1.0, 1.25],
                              [1.75, -1.75, 0.75],
                              [1.25, -1.0, 2.0],
                              [1.0, -2.0, 1.75],
                              [0.25, -0.5, 0.25]]> : tensor<7x3xf32>
  %mJ = arith.constant dense<[[0.0, 0.0, 0xFF800000, -0.5, 0.0, 0.25, 0.0]]> : tensor<1x7xf32>
  %qJd = tensor.cast %qJ : tensor<5x4xf32> to tensor<?x?xf32>
  %kJd = tensor.cast %kJ : tensor<7x4xf32> to tensor<?x?xf32>
  %vJd = tensor.cast %vJ : tensor<7x3xf32> to tensor<?x?xf32>

  // Case K. Dynamic rank 2 (tensor<?x?xf32>: M = 5, N = 7, D = 4, Dv = 3)
  // with a [1, N] mask typed tensor<1x?xf32> (its broadcast dimension a
  // static 1) that removes key 2 and biases others, and the default scale
  // 1/sqrt(4) = 0.5 of a dynamic D.
  // numpy: attention(qJ, kJ, vJ, mJ) =
  //   [[1.464410813, -1.571742302, 1.432230864],
  //    [1.143160759, -1.47248201, 1.19015937],
  //    [1.340710367, -1.498662838, 1.134380757],
  //    [1.156293235, -1.323370512, 1.133318234],
  //    [1.270381362, -1.608411394, 1.352319889]]
  %lk = llvm.mlir.addressof @case_k : !llvm.ptr
  call @printString(%lk) : (!llvm.ptr) -> ()
  %mKd = tensor.cast %mJ : tensor<1x7xf32> to tensor<1x?xf32>
  %rK = call @attn_dyn2_unit_mask(%qJd, %kJd, %vJd, %mKd) : (tensor<?x?xf32>, tensor<?x?xf32>, tensor<?x?xf32>, tensor<1x?xf32>) -> tensor<?x?xf32>
  %uK = tensor.cast %rK : tensor<?x?xf32> to tensor<*xf32>
  call @printMemrefF32(%uK) : (tensor<*xf32>) -> ()
  // CHECK-LABEL: case K: dynamic rank 2, [1, N] mask as tensor<1x?xf32>, default scale (D = 4)
  // CHECK-NEXT:  Unranked Memref base@ = {{.*}} rank = 2 offset = 0 sizes = [5, 3] strides = [3, 1] data =
  // CHECK-NEXT:  {{\[}}[1.46441, -1.57174, 1.43223],
  // CHECK-NEXT:  [1.14316, -1.47248, 1.19016],
  // CHECK-NEXT:  [1.34071, -1.49866, 1.13438],
  // CHECK-NEXT:  [1.15629, -1.32337, 1.13332],
  // CHECK-NEXT:  [1.27038, -1.60841, 1.35232]]
  return
}
