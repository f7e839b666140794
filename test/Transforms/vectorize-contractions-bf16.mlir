// RUN: attn-opt %s --attn-vectorize-contractions="bf16-dot=true" --canonicalize --split-input-file | FileCheck %s
// RUN: attn-opt %s --attn-vectorize-contractions --canonicalize --split-input-file | FileCheck %s --check-prefix=WIDEN

// bf16 x bf16 -> f32 contractions (the body widens): pairs of the reduction
// through the bf16 dot product, or (without bf16-dot) each element widened
// as it is read.

#lhs = affine_map<(i, j, r) -> (i, r)>
#lhsT = affine_map<(i, j, r) -> (r, i)>
#rhs = affine_map<(i, j, r) -> (r, j)>
#out = affine_map<(i, j, r) -> (i, j)>

// CHECK-LABEL: func.func @mixed
//  CHECK-SAME:   %[[A:.+]]: tensor<16x32xbf16>, %[[B:.+]]: tensor<32x32xbf16>
// B's rows interleaved in pairs: B'[r2, 2j + t] = B[2 r2 + t, j].
//       CHECK:   %[[PACKED:.+]] = scf.for %[[R2:.+]] = %{{.+}} to %{{.+}} step
//  CHECK-SAME:       -> (tensor<16x64xbf16>)
//       CHECK:     %[[EVEN:.+]] = vector.transfer_read %[[B]][%{{.+}}, %{{.+}}]{{.*}} vector<16xbf16>
//       CHECK:     %[[ODD:.+]] = vector.transfer_read %[[B]]
//       CHECK:     vector.interleave %[[EVEN]], %[[ODD]] : vector<16xbf16> -> vector<32xbf16>
// The tiles (8 x 32, one per 8 rows): 16 pairs of r, a pair of B's rows per
// 16 lanes, A's pair broadcast as a 32-bit word.
//       CHECK:   scf.for
//       CHECK:       scf.for {{.+}} -> (vector<16xf32>
//       CHECK:         %[[ROW:.+]] = vector.transfer_read %[[PACKED]]{{.*}} vector<32xbf16>
//       CHECK:         %[[PAIR:.+]] = vector.transfer_read %[[A]]{{.*}} vector<2xbf16>
//       CHECK:         %[[WORD:.+]] = vector.bitcast %[[PAIR]] : vector<2xbf16> to vector<1xi32>
//       CHECK:         %[[WORDS:.+]] = vector.broadcast %[[WORD]] : vector<1xi32> to vector<16xi32>
//       CHECK:         %[[SPLAT:.+]] = vector.bitcast %[[WORDS]] : vector<16xi32> to vector<32xbf16>
//       CHECK:         x86vector.avx512.dot %{{.+}}, %[[SPLAT]], %[[ROW]] : vector<32xbf16> -> vector<16xf32>
//   CHECK-NOT:     arith.extf
//   CHECK-NOT:   linalg.generic

// WIDEN-LABEL: func.func @mixed
//   WIDEN-NOT:   x86vector
//       WIDEN:   %[[ROW:.+]] = vector.transfer_read {{.*}} vector<32xbf16>
//       WIDEN:   %[[WIDE:.+]] = arith.extf %[[ROW]] : vector<32xbf16> to vector<32xf32>
//       WIDEN:   %[[A:.+]] = tensor.extract
//       WIDEN:   %[[AW:.+]] = arith.extf %[[A]] : bf16 to f32
//       WIDEN:   %[[SPLAT:.+]] = vector.broadcast %[[AW]] : f32 to vector<32xf32>
//       WIDEN:   vector.fma %[[SPLAT]], %[[WIDE]], %{{.+}} : vector<32xf32>
//   WIDEN-NOT:   x86vector
func.func @mixed(%a: tensor<16x32xbf16>, %b: tensor<32x32xbf16>, %c: tensor<16x32xf32>) -> tensor<16x32xf32> {
  %r = linalg.generic {indexing_maps = [#lhs, #rhs, #out], iterator_types = ["parallel", "parallel", "reduction"]} ins(%a, %b : tensor<16x32xbf16>, tensor<32x32xbf16>) outs(%c : tensor<16x32xf32>) {
  ^bb0(%x: bf16, %y: bf16, %o: f32):
    %xe = arith.extf %x : bf16 to f32
    %ye = arith.extf %y : bf16 to f32
    %p = arith.mulf %xe, %ye : f32
    %s = arith.addf %o, %p : f32
    linalg.yield %s : f32
  } -> tensor<16x32xf32>
  return %r : tensor<16x32xf32>
}

// -----

#lhsT = affine_map<(i, j, r) -> (r, i)>
#rhs = affine_map<(i, j, r) -> (r, j)>
#out = affine_map<(i, j, r) -> (i, j)>

// A transposed (flash attention's Pᵀ v) is interleaved as B is; its pair
// for row i is at A'[r2, 2i].
// CHECK-LABEL: func.func @transposed
//  CHECK-SAME:   %[[A:.+]]: tensor<32x16xbf16>, %[[B:.+]]: tensor<32x16xbf16>
//       CHECK:   %[[PB:.+]] = scf.for {{.+}} -> (tensor<16x32xbf16>)
//       CHECK:     vector.transfer_read %[[B]]
//       CHECK:   %[[PA:.+]] = scf.for {{.+}} -> (tensor<16x32xbf16>)
//       CHECK:     vector.transfer_read %[[A]]
//       CHECK:   vector.transfer_read %[[PB]]{{.*}} vector<32xbf16>
//       CHECK:   vector.transfer_read %[[PA]]{{.*}} vector<2xbf16>
//       CHECK:   x86vector.avx512.dot
func.func @transposed(%a: tensor<32x16xbf16>, %b: tensor<32x16xbf16>, %c: tensor<16x16xf32>) -> tensor<16x16xf32> {
  %r = linalg.generic {indexing_maps = [#lhsT, #rhs, #out], iterator_types = ["parallel", "parallel", "reduction"]} ins(%a, %b : tensor<32x16xbf16>, tensor<32x16xbf16>) outs(%c : tensor<16x16xf32>) {
  ^bb0(%x: bf16, %y: bf16, %o: f32):
    %xe = arith.extf %x : bf16 to f32
    %ye = arith.extf %y : bf16 to f32
    %p = arith.mulf %xe, %ye : f32
    %s = arith.addf %o, %p : f32
    linalg.yield %s : f32
  } -> tensor<16x16xf32>
  return %r : tensor<16x16xf32>
}

// -----

#lhs = affine_map<(i, j, r) -> (i, r)>
#rhs = affine_map<(i, j, r) -> (r, j)>
#out = affine_map<(i, j, r) -> (i, j)>

// An odd reduction has no pairs: widened, with bf16-dot too.
// CHECK-LABEL: func.func @odd_reduction
//   CHECK-NOT:   x86vector
//       CHECK:   arith.extf {{.*}} : vector<16xbf16> to vector<16xf32>
//   CHECK-NOT:   x86vector
func.func @odd_reduction(%a: tensor<16x7xbf16>, %b: tensor<7x16xbf16>, %c: tensor<16x16xf32>) -> tensor<16x16xf32> {
  %r = linalg.generic {indexing_maps = [#lhs, #rhs, #out], iterator_types = ["parallel", "parallel", "reduction"]} ins(%a, %b : tensor<16x7xbf16>, tensor<7x16xbf16>) outs(%c : tensor<16x16xf32>) {
  ^bb0(%x: bf16, %y: bf16, %o: f32):
    %xe = arith.extf %x : bf16 to f32
    %ye = arith.extf %y : bf16 to f32
    %p = arith.mulf %xe, %ye : f32
    %s = arith.addf %o, %p : f32
    linalg.yield %s : f32
  } -> tensor<16x16xf32>
  return %r : tensor<16x16xf32>
}
