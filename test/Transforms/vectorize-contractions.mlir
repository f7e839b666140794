// RUN: attn-opt %s --attn-vectorize-contractions --canonicalize --split-input-file | FileCheck %s
// RUN: attn-opt %s --attn-vectorize-contractions="fma=false" --split-input-file | FileCheck %s --check-prefix=STRICT

#lhs = affine_map<(i, j, r) -> (i, r)>
#rhs = affine_map<(i, j, r) -> (r, j)>
#out = affine_map<(i, j, r) -> (i, j)>

// C += A B over 16 x 64 outputs: 2 x 2 tiles of 8 rows x 32 lanes, each
// kept in 8 vector<32xf32> through the 24 steps over r, 4 steps per
// iteration.
// CHECK-LABEL: func.func @matmul(
// CHECK-SAME:    %[[A:[a-zA-Z0-9_]+]]: tensor<16x24xf32>, %[[B:[a-zA-Z0-9_]+]]: tensor<24x64xf32>, %[[C:[a-zA-Z0-9_]+]]: tensor<16x64xf32>)
// CHECK-DAG:     %[[C0:.*]] = arith.constant 0 : index
// CHECK-DAG:     %[[C1:.*]] = arith.constant 1 : index
// CHECK-DAG:     %[[C3:.*]] = arith.constant 3 : index
// CHECK-DAG:     %[[C4:.*]] = arith.constant 4 : index
// CHECK-DAG:     %[[C7:.*]] = arith.constant 7 : index
// CHECK-DAG:     %[[C8:.*]] = arith.constant 8 : index
// CHECK-DAG:     %[[C16:.*]] = arith.constant 16 : index
// CHECK-DAG:     %[[C24:.*]] = arith.constant 24 : index
// CHECK-DAG:     %[[C32:.*]] = arith.constant 32 : index
// CHECK-DAG:     %[[C64:.*]] = arith.constant 64 : index
// CHECK:         %[[R:.*]] = scf.for %[[I:.*]] = %[[C0]] to %[[C16]] step %[[C8]] iter_args(%[[OUTI:.*]] = %[[C]])
// CHECK:           %[[RJ:.*]] = scf.for %[[J:.*]] = %[[C0]] to %[[C64]] step %[[C32]] iter_args(%[[OUT:.*]] = %[[OUTI]])
// CHECK:             %[[ACC0:.*]] = vector.transfer_read %[[OUT]][%[[I]], %[[J]]], %{{.*}} {in_bounds = [true]} : tensor<16x64xf32>, vector<32xf32>
// CHECK:             %[[I7:.*]] = arith.addi %[[I]], %[[C7]] : index
// CHECK:             %[[ACC7:.*]] = vector.transfer_read %[[OUT]][%[[I7]], %[[J]]]
// CHECK:             %[[SUMS:.*]]:8 = scf.for %[[K:.*]] = %[[C0]] to %[[C24]] step %[[C4]] iter_args(%[[P0:.*]] = %[[ACC0]], {{.*}}) -> (vector<32xf32>, vector<32xf32>, vector<32xf32>, vector<32xf32>, vector<32xf32>, vector<32xf32>, vector<32xf32>, vector<32xf32>)
// CHECK:               %[[ROW:.*]] = vector.transfer_read %[[B]][%[[K]], %[[J]]], %{{.*}} {in_bounds = [true]} : tensor<24x64xf32>, vector<32xf32>
// CHECK:               %[[A0:.*]] = tensor.extract %[[A]][%[[I]], %[[K]]] : tensor<16x24xf32>
// CHECK:               %[[SPLAT0:.*]] = vector.broadcast %[[A0]] : f32 to vector<32xf32>
// CHECK:               %[[FMA0:.*]] = vector.fma %[[SPLAT0]], %[[ROW]], %[[P0]] : vector<32xf32>
// CHECK-COUNT-7:       vector.fma
// The next step of r, on the first step's sums.
// CHECK:               %[[K1:.*]] = arith.addi %[[K]], %[[C1]] : index
// CHECK:               %[[ROW1:.*]] = vector.transfer_read %[[B]][%[[K1]], %[[J]]]
// CHECK:               %[[A1:.*]] = tensor.extract %[[A]][%[[I]], %[[K1]]]
// CHECK:               %[[SPLAT1:.*]] = vector.broadcast %[[A1]]
// CHECK:               %[[FMA1:.*]] = vector.fma %[[SPLAT1]], %[[ROW1]], %[[FMA0]] : vector<32xf32>
// CHECK:               arith.addi %[[K]], %[[C3]] : index
// CHECK-COUNT-8:       vector.fma
// CHECK:               scf.yield
// CHECK:             %[[W0:.*]] = vector.transfer_write %[[SUMS]]#0, %[[OUT]][%[[I]], %[[J]]] {in_bounds = [true]} : vector<32xf32>, tensor<16x64xf32>
// CHECK-COUNT-7:     vector.transfer_write
// CHECK:             scf.yield
// CHECK:           scf.yield %[[RJ]]
// CHECK:         return %[[R]]
// Without fma: a multiply, then an add, rounded as the scalar loop does.
// STRICT-LABEL: func.func @matmul(
// STRICT-NOT:    vector.fma
// STRICT:        %[[PRODUCT:.*]] = arith.mulf %{{.*}}, %{{.*}} : vector<32xf32>
// STRICT:        arith.addf %{{.*}}, %[[PRODUCT]] : vector<32xf32>
// STRICT-NOT:    vector.fma
func.func @matmul(%a: tensor<16x24xf32>, %b: tensor<24x64xf32>, %c: tensor<16x64xf32>) -> tensor<16x64xf32> {
  %r = linalg.generic {indexing_maps = [#lhs, #rhs, #out], iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%a, %b : tensor<16x24xf32>, tensor<24x64xf32>) outs(%c : tensor<16x64xf32>) {
  ^bb0(%x: f32, %y: f32, %acc: f32):
    %p = arith.mulf %x, %y : f32
    %s = arith.addf %acc, %p : f32
    linalg.yield %s : f32
  } -> tensor<16x64xf32>
  return %r : tensor<16x64xf32>
}

// -----

#lhs = affine_map<(i, j, r) -> (i, r)>
#rhs = affine_map<(i, j, r) -> (r, j)>
#out = affine_map<(i, j, r) -> (i, j)>

// 6 rows, 8 columns: tiles of the largest powers of two dividing them,
// 2 rows x 8 lanes; operands in either order of the multiply.
// CHECK-LABEL: func.func @small_tiles(
// (The loop over one tile of columns folds away.)
// CHECK-DAG:     %[[C2:.*]] = arith.constant 2 : index
// CHECK-DAG:     %[[C6:.*]] = arith.constant 6 : index
// CHECK:         scf.for %{{.*}} = %{{.*}} to %[[C6]] step %[[C2]] iter_args
// CHECK:           scf.for {{.*}} -> (vector<8xf64>, vector<8xf64>)
// CHECK-COUNT-2:     vector.fma {{.*}} : vector<8xf64>
func.func @small_tiles(%a: tensor<6x5xf64>, %b: tensor<5x8xf64>, %c: tensor<6x8xf64>) -> tensor<6x8xf64> {
  %r = linalg.generic {indexing_maps = [#lhs, #rhs, #out], iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%a, %b : tensor<6x5xf64>, tensor<5x8xf64>) outs(%c : tensor<6x8xf64>) {
  ^bb0(%x: f64, %y: f64, %acc: f64):
    %p = arith.mulf %y, %x : f64
    %s = arith.addf %p, %acc : f64
    linalg.yield %s : f64
  } -> tensor<6x8xf64>
  return %r : tensor<6x8xf64>
}

// -----

#lhs = affine_map<(i, j, r) -> (i, r)>
#rhs = affine_map<(i, j, r) -> (r, j)>
#out = affine_map<(i, j, r) -> (i, j)>

// C = 0 + A B: the accumulators start from the fill value and the tiles go
// to the filled tensor's destination, never read; the fill is dead.
// CHECK-LABEL: func.func @filled(
// CHECK-DAG:     %[[ZEROS:.*]] = arith.constant dense<0.000000e+00> : vector<16xf32>
// CHECK-DAG:     %[[EMPTY:.*]] = tensor.empty() : tensor<4x16xf32>
// (One tile: its loops fold away.)
// CHECK-NOT:     linalg.fill
// CHECK-NOT:     vector.transfer_read %[[EMPTY]]
// CHECK:         %[[SUMS:.*]]:4 = scf.for {{.*}} iter_args(%{{.*}} = %[[ZEROS]], %{{.*}} = %[[ZEROS]], %{{.*}} = %[[ZEROS]], %{{.*}} = %[[ZEROS]])
// CHECK:         vector.transfer_write %[[SUMS]]#0, %[[EMPTY]][%{{.*}}, %{{.*}}]
func.func @filled(%a: tensor<4x8xf32>, %b: tensor<8x16xf32>) -> tensor<4x16xf32> {
  %zero = arith.constant 0.0 : f32
  %empty = tensor.empty() : tensor<4x16xf32>
  %c = linalg.fill ins(%zero : f32) outs(%empty : tensor<4x16xf32>) -> tensor<4x16xf32>
  %r = linalg.generic {indexing_maps = [#lhs, #rhs, #out], iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%a, %b : tensor<4x8xf32>, tensor<8x16xf32>) outs(%c : tensor<4x16xf32>) {
  ^bb0(%x: f32, %y: f32, %acc: f32):
    %p = arith.mulf %x, %y : f32
    %s = arith.addf %acc, %p : f32
    linalg.yield %s : f32
  } -> tensor<4x16xf32>
  return %r : tensor<4x16xf32>
}

// -----

#lhs = affine_map<(i, j, r) -> (i, r)>
#rhs = affine_map<(i, j, r) -> (r, j)>
#out = affine_map<(i, j, r) -> (i, j)>
#id = affine_map<(i, j) -> (i, j)>
#row = affine_map<(i, j) -> (i)>

// C = acc * a + A B with a per row (flash attention's rescaled output): each
// accumulator is read from acc and scaled by its row's factor; the scaling
// pass is dead.
// CHECK-LABEL: func.func @row_scaled(
// CHECK-SAME:    %[[A:[a-zA-Z0-9_]+]]: tensor<8x8xf32>, %[[B:[a-zA-Z0-9_]+]]: tensor<8x32xf32>, %[[ACC:[a-zA-Z0-9_]+]]: tensor<8x32xf32>, %[[F:[a-zA-Z0-9_]+]]: tensor<8xf32>)
// CHECK-NOT:     linalg.generic
// CHECK:         %[[F0:.*]] = tensor.extract %[[F]][%{{.*}}] : tensor<8xf32>
// CHECK:         %[[S0:.*]] = vector.broadcast %[[F0]] : f32 to vector<32xf32>
// CHECK:         %[[T0:.*]] = vector.transfer_read %[[ACC]][%{{.*}}, %{{.*}}], %{{.*}} {in_bounds = [true]} : tensor<8x32xf32>, vector<32xf32>
// CHECK:         %[[A0:.*]] = arith.mulf %[[T0]], %[[S0]] : vector<32xf32>
// CHECK:         scf.for {{.*}} iter_args(%{{.*}} = %[[A0]],
// CHECK:         vector.transfer_write %{{.*}}, %[[ACC]]
func.func @row_scaled(%a: tensor<8x8xf32>, %b: tensor<8x32xf32>, %acc: tensor<8x32xf32>, %f: tensor<8xf32>) -> tensor<8x32xf32> {
  %scaled = linalg.generic {indexing_maps = [#row, #id], iterator_types = ["parallel", "parallel"]}
      ins(%f : tensor<8xf32>) outs(%acc : tensor<8x32xf32>) {
  ^bb0(%x: f32, %o: f32):
    %m = arith.mulf %o, %x : f32
    linalg.yield %m : f32
  } -> tensor<8x32xf32>
  %r = linalg.generic {indexing_maps = [#lhs, #rhs, #out], iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%a, %b : tensor<8x8xf32>, tensor<8x32xf32>) outs(%scaled : tensor<8x32xf32>) {
  ^bb0(%x: f32, %y: f32, %z: f32):
    %p = arith.mulf %x, %y : f32
    %s = arith.addf %z, %p : f32
    linalg.yield %s : f32
  } -> tensor<8x32xf32>
  return %r : tensor<8x32xf32>
}

// -----

#lhs = affine_map<(i, j, r) -> (i, r)>
#rhs = affine_map<(i, j, r) -> (r, j)>
#rhsT = affine_map<(i, j, r) -> (j, r)>
#out = affine_map<(i, j, r) -> (i, j)>

// Left to loops: columns that no tile of >= 4 lanes divides, a transposed
// right operand (not read by rows), a dynamic shape, other bodies.
// CHECK-LABEL: func.func @not_register_blocked(
// CHECK-NOT:     vector.
// CHECK-COUNT-5: linalg.generic
// CHECK-NOT:     vector.
func.func @not_register_blocked(%a: tensor<8x4xf32>, %b: tensor<4x6xf32>, %c: tensor<8x6xf32>,
                                %bt: tensor<32x4xf32>, %c2: tensor<8x32xf32>,
                                %ad: tensor<?x4xf32>, %cd: tensor<?x32xf32>, %b2: tensor<4x32xf32>)
    -> (tensor<8x6xf32>, tensor<8x32xf32>, tensor<?x32xf32>, tensor<8x32xf32>, tensor<8x32xf32>) {
  %r0 = linalg.generic {indexing_maps = [#lhs, #rhs, #out], iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%a, %b : tensor<8x4xf32>, tensor<4x6xf32>) outs(%c : tensor<8x6xf32>) {
  ^bb0(%x: f32, %y: f32, %acc: f32):
    %p = arith.mulf %x, %y : f32
    %s = arith.addf %acc, %p : f32
    linalg.yield %s : f32
  } -> tensor<8x6xf32>
  %r1 = linalg.generic {indexing_maps = [#lhs, #rhsT, #out], iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%a, %bt : tensor<8x4xf32>, tensor<32x4xf32>) outs(%c2 : tensor<8x32xf32>) {
  ^bb0(%x: f32, %y: f32, %acc: f32):
    %p = arith.mulf %x, %y : f32
    %s = arith.addf %acc, %p : f32
    linalg.yield %s : f32
  } -> tensor<8x32xf32>
  %r2 = linalg.generic {indexing_maps = [#lhs, #rhs, #out], iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%ad, %b2 : tensor<?x4xf32>, tensor<4x32xf32>) outs(%cd : tensor<?x32xf32>) {
  ^bb0(%x: f32, %y: f32, %acc: f32):
    %p = arith.mulf %x, %y : f32
    %s = arith.addf %acc, %p : f32
    linalg.yield %s : f32
  } -> tensor<?x32xf32>
  %r3 = linalg.generic {indexing_maps = [#lhs, #rhs, #out], iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%a, %b2 : tensor<8x4xf32>, tensor<4x32xf32>) outs(%c2 : tensor<8x32xf32>) {
  ^bb0(%x: f32, %y: f32, %acc: f32):
    %p = arith.subf %x, %y : f32
    %s = arith.addf %acc, %p : f32
    linalg.yield %s : f32
  } -> tensor<8x32xf32>
  %r4 = linalg.generic {indexing_maps = [#lhs, #rhs, #out], iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%a, %b2 : tensor<8x4xf32>, tensor<4x32xf32>) outs(%c2 : tensor<8x32xf32>) {
  ^bb0(%x: f32, %y: f32, %acc: f32):
    linalg.yield %acc : f32
  } -> tensor<8x32xf32>
  return %r0, %r1, %r2, %r3, %r4 : tensor<8x6xf32>, tensor<8x32xf32>, tensor<?x32xf32>, tensor<8x32xf32>, tensor<8x32xf32>
}

// -----

#lhst = affine_map<(i, j, r) -> (r, i)>
#rhs = affine_map<(i, j, r) -> (r, j)>
#out = affine_map<(i, j, r) -> (i, j)>

// A read as [r, i] (flash attention's Pᵀ v over key-major probabilities):
// the same tiles, each broadcast element taken from A[r, i + t].
// CHECK-LABEL: func.func @lhs_transposed(
// CHECK-SAME:    %[[A:[a-zA-Z0-9_]+]]: tensor<24x16xf32>, %[[B:[a-zA-Z0-9_]+]]: tensor<24x64xf32>, %[[C:[a-zA-Z0-9_]+]]: tensor<16x64xf32>)
// CHECK:         scf.for %[[I:.*]] = %{{.*}} to %{{.*}} step %{{.*}} iter_args
// CHECK:           scf.for %[[J:.*]] = %{{.*}} to %{{.*}} step %{{.*}} iter_args
// CHECK:             %[[I1:.*]] = arith.addi %[[I]], %{{.*}} : index
// CHECK:             scf.for %[[K:.*]] = %{{.*}} to %{{.*}} step %{{.*}} iter_args
// CHECK:               %[[ROW:.*]] = vector.transfer_read %[[B]][%[[K]], %[[J]]]
// CHECK:               %[[A0:.*]] = tensor.extract %[[A]][%[[K]], %[[I]]] : tensor<24x16xf32>
// CHECK:               %[[SPLAT0:.*]] = vector.broadcast %[[A0]] : f32 to vector<32xf32>
// CHECK:               vector.fma %[[SPLAT0]], %[[ROW]], %{{.*}} : vector<32xf32>
// CHECK:               tensor.extract %[[A]][%[[K]], %[[I1]]] : tensor<24x16xf32>
// CHECK-NOT:     linalg.generic
// CHECK:         return
func.func @lhs_transposed(%a: tensor<24x16xf32>, %b: tensor<24x64xf32>, %c: tensor<16x64xf32>) -> tensor<16x64xf32> {
  %r = linalg.generic {indexing_maps = [#lhst, #rhs, #out], iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%a, %b : tensor<24x16xf32>, tensor<24x64xf32>) outs(%c : tensor<16x64xf32>) {
  ^bb0(%x: f32, %y: f32, %acc: f32):
    %p = arith.mulf %x, %y : f32
    %s = arith.addf %acc, %p : f32
    linalg.yield %s : f32
  } -> tensor<16x64xf32>
  return %r : tensor<16x64xf32>
}

// -----

#lhs = affine_map<(i, j, r) -> (i, r)>
#rhs = affine_map<(i, j, r) -> (r, j)>
#out = affine_map<(i, j, r) -> (i, j)>
#id = affine_map<(i, j) -> (i, j)>
#col = affine_map<(i, j) -> (j)>

// A column max of the product (flash attention's running max over its
// key-major scores) is taken from each tile's accumulators as they are
// written: the tiles run where the max is, and no pass over C is left.
// CHECK-LABEL: func.func @matmul_column_max(
// CHECK-SAME:    %{{[a-zA-Z0-9_]+}}: tensor<16x8xf32>, %{{[a-zA-Z0-9_]+}}: tensor<8x64xf32>, %[[C:[a-zA-Z0-9_]+]]: tensor<16x64xf32>, %[[M:[a-zA-Z0-9_]+]]: tensor<64xf32>)
// CHECK-NOT:     linalg.generic
// CHECK:         %[[R:.*]]:2 = scf.for %[[I:.*]] = {{.*}} iter_args(%[[OUTI:.*]] = %[[C]], %[[MI:.*]] = %[[M]])
// CHECK:           %[[RJ:.*]]:2 = scf.for %[[J:.*]] = {{.*}} iter_args(%[[OUT:.*]] = %[[OUTI]], %[[MJ:.*]] = %[[MI]])
// CHECK:             %[[SUMS:.*]]:8 = scf.for
// CHECK-COUNT-8:     vector.transfer_write %[[SUMS]]
// CHECK:             %[[M01:.*]] = arith.maxnumf %[[SUMS]]#0, %[[SUMS]]#1 : vector<32xf32>
// CHECK:             %[[M02:.*]] = arith.maxnumf %[[M01]], %[[SUMS]]#2 : vector<32xf32>
// CHECK-COUNT-4:     arith.maxnumf
// CHECK:             %[[M07:.*]] = arith.maxnumf %{{.*}}, %[[SUMS]]#7 : vector<32xf32>
// CHECK:             %[[SOFAR:.*]] = vector.transfer_read %[[MJ]][%[[J]]], %{{.*}} {in_bounds = [true]} : tensor<64xf32>, vector<32xf32>
// CHECK:             %[[NEW:.*]] = arith.maxnumf %[[SOFAR]], %[[M07]] : vector<32xf32>
// CHECK:             %[[MW:.*]] = vector.transfer_write %[[NEW]], %[[MJ]][%[[J]]] {in_bounds = [true]} : vector<32xf32>, tensor<64xf32>
// CHECK:             scf.yield %{{.*}}, %[[MW]] : tensor<16x64xf32>, tensor<64xf32>
// CHECK:           scf.yield %[[RJ]]#0, %[[RJ]]#1
// CHECK-NOT:     linalg.generic
// CHECK:         return %[[R]]#0, %[[R]]#1
func.func @matmul_column_max(%a: tensor<16x8xf32>, %b: tensor<8x64xf32>, %c: tensor<16x64xf32>, %m: tensor<64xf32>) -> (tensor<16x64xf32>, tensor<64xf32>) {
  %s = linalg.generic {indexing_maps = [#lhs, #rhs, #out], iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%a, %b : tensor<16x8xf32>, tensor<8x64xf32>) outs(%c : tensor<16x64xf32>) {
  ^bb0(%x: f32, %y: f32, %acc: f32):
    %p = arith.mulf %x, %y : f32
    %sum = arith.addf %acc, %p : f32
    linalg.yield %sum : f32
  } -> tensor<16x64xf32>
  %max = linalg.generic {indexing_maps = [#id, #col], iterator_types = ["reduction", "parallel"]}
      ins(%s : tensor<16x64xf32>) outs(%m : tensor<64xf32>) {
  ^bb0(%x: f32, %acc: f32):
    %y = arith.maxnumf %x, %acc : f32
    linalg.yield %y : f32
  } -> tensor<64xf32>
  return %s, %max : tensor<16x64xf32>, tensor<64xf32>
}

// -----

#lhs = affine_map<(i, j, r) -> (i, r)>
#rhs = affine_map<(i, j, r) -> (r, j)>
#out = affine_map<(i, j, r) -> (i, j)>
#id = affine_map<(i, j) -> (i, j)>
#col = affine_map<(i, j) -> (j)>

// Not in the tiles: a column max after another user of C (the tiles would
// have to move past it), and a column maximumf (NaN-propagating, a different
// combiner).
// CHECK-LABEL: func.func @column_max_after_another_user(
// CHECK:         scf.for
// CHECK-NOT:       arith.maxnumf
// CHECK:         linalg.generic
// CHECK:           arith.mulf
// CHECK:         linalg.generic
// CHECK:           arith.maxnumf
func.func @column_max_after_another_user(%a: tensor<16x8xf32>, %b: tensor<8x64xf32>, %c: tensor<16x64xf32>, %m: tensor<64xf32>) -> (tensor<16x64xf32>, tensor<64xf32>) {
  %s = linalg.generic {indexing_maps = [#lhs, #rhs, #out], iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%a, %b : tensor<16x8xf32>, tensor<8x64xf32>) outs(%c : tensor<16x64xf32>) {
  ^bb0(%x: f32, %y: f32, %acc: f32):
    %p = arith.mulf %x, %y : f32
    %sum = arith.addf %acc, %p : f32
    linalg.yield %sum : f32
  } -> tensor<16x64xf32>
  %sq = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel"]}
      ins(%s : tensor<16x64xf32>) outs(%c : tensor<16x64xf32>) {
  ^bb0(%x: f32, %o: f32):
    %y = arith.mulf %x, %x : f32
    linalg.yield %y : f32
  } -> tensor<16x64xf32>
  %max = linalg.generic {indexing_maps = [#id, #col], iterator_types = ["reduction", "parallel"]}
      ins(%s : tensor<16x64xf32>) outs(%m : tensor<64xf32>) {
  ^bb0(%x: f32, %acc: f32):
    %y = arith.maxnumf %x, %acc : f32
    linalg.yield %y : f32
  } -> tensor<64xf32>
  return %sq, %max : tensor<16x64xf32>, tensor<64xf32>
}

// CHECK-LABEL: func.func @column_maximumf(
// CHECK:         scf.for
// CHECK-NOT:       arith.maximumf
// CHECK:         linalg.generic
// CHECK:           arith.maximumf
func.func @column_maximumf(%a: tensor<16x8xf32>, %b: tensor<8x64xf32>, %c: tensor<16x64xf32>, %m: tensor<64xf32>) -> (tensor<16x64xf32>, tensor<64xf32>) {
  %s = linalg.generic {indexing_maps = [#lhs, #rhs, #out], iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%a, %b : tensor<16x8xf32>, tensor<8x64xf32>) outs(%c : tensor<16x64xf32>) {
  ^bb0(%x: f32, %y: f32, %acc: f32):
    %p = arith.mulf %x, %y : f32
    %sum = arith.addf %acc, %p : f32
    linalg.yield %sum : f32
  } -> tensor<16x64xf32>
  %max = linalg.generic {indexing_maps = [#id, #col], iterator_types = ["reduction", "parallel"]}
      ins(%s : tensor<16x64xf32>) outs(%m : tensor<64xf32>) {
  ^bb0(%x: f32, %acc: f32):
    %y = arith.maximumf %x, %acc : f32
    linalg.yield %y : f32
  } -> tensor<64xf32>
  return %s, %max : tensor<16x64xf32>, tensor<64xf32>
}
