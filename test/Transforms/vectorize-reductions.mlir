// RUN: attn-opt %s --attn-lower-to-fused-linalg --attn-vectorize-reductions --split-input-file | FileCheck %s
// RUN: attn-opt %s --attn-lower-to-fused-linalg --attn-vectorize-reductions=reassoc=false --split-input-file | FileCheck %s --check-prefix=STRICT

// A sum of squares: per row, a loop over chunks of 64 carrying a vector of
// partial sums, then a tree of halving vector adds (6 steps, not 63 serial
// scalar adds).
// CHECK-LABEL: func.func @sum_sq(
// CHECK-SAME:    %[[X:[a-zA-Z0-9_]+]]: tensor<64x1024xf32>)
// CHECK-DAG:     %[[ZERO:.*]] = arith.constant dense<0.000000e+00> : vector<1x64xf32>
// CHECK:         scf.for %[[ROW:.*]] = %{{.*}} to %{{.*}} step %{{.*}} iter_args(%[[OUT:.*]] = %{{.*}}) -> (tensor<64xf32>)
// CHECK:           %[[ACC:.*]] = scf.for %[[J:.*]] = %{{.*}} to %{{.*}} step %{{.*}} iter_args(%[[A:.*]] = %[[ZERO]]) -> (vector<1x64xf32>)
// CHECK:             %[[V:.*]] = vector.transfer_read %[[X]][%[[ROW]], %[[J]]]{{.*}} : tensor<64x1024xf32>, vector<1x64xf32>
// CHECK:             %[[SQ:.*]] = arith.mulf %[[V]], %[[V]] : vector<1x64xf32>
// CHECK:             %[[S:.*]] = arith.addf %[[SQ]], %[[A]] : vector<1x64xf32>
// CHECK:             scf.yield %[[S]] : vector<1x64xf32>
// CHECK:           %[[LO:.*]] = vector.extract_strided_slice %[[SUMS:.*]] {offsets = [0], sizes = [32], strides = [1]} : vector<64xf32> to vector<32xf32>
// CHECK:           %[[HI:.*]] = vector.extract_strided_slice %[[SUMS]] {offsets = [32], sizes = [32], strides = [1]} : vector<64xf32> to vector<32xf32>
// CHECK:           arith.addf %[[LO]], %[[HI]] : vector<32xf32>
// CHECK:           arith.addf %{{.*}}, %{{.*}} : vector<16xf32>
// CHECK:           arith.addf %{{.*}}, %{{.*}} : vector<8xf32>
// CHECK:           arith.addf %{{.*}}, %{{.*}} : vector<4xf32>
// CHECK:           arith.addf %{{.*}}, %{{.*}} : vector<2xf32>
// CHECK:           arith.addf %{{.*}}, %{{.*}} : vector<1xf32>
// CHECK-NOT:       vector.reduction
// Without reassoc the sum stays an in-order reduction (only its fill is
// vectorized).
// STRICT-LABEL: func.func @sum_sq(
// STRICT-NOT:     vector<64xf32>
// STRICT:         linalg.generic {{.*}} iterator_types = ["parallel", "reduction"]
func.func @sum_sq(%x: tensor<64x1024xf32>) -> tensor<64xf32> {
  %r = attn.sum_sq %x : tensor<64x1024xf32>
  return %r : tensor<64xf32>
}

// -----

// A max is exact in any order: vectorized even without reassoc, its lanes
// combined by halving; the mask is read with a broadcast over the batch.
// CHECK-LABEL: func.func @masked_max(
// CHECK:         scf.for
// CHECK:           scf.for
// CHECK:             scf.for {{.*}} -> (vector<1x1x64xf32>)
// CHECK:               vector.transfer_read %{{.*}} : tensor<4x64x512xf32>, vector<1x1x64xf32>
// CHECK:               vector.transfer_read %{{.*}} permutation_map = #{{.*}}} : tensor<64x512xf32>, vector<1x1x64xf32>
// CHECK:               arith.maximumf {{.*}} : vector<1x1x64xf32>
// CHECK:           arith.maximumf %{{.*}}, %{{.*}} fastmath<nsz> : vector<32xf32>
// CHECK:           arith.maximumf %{{.*}}, %{{.*}} fastmath<nsz> : vector<1xf32>
// Without reassoc, the IEEE max of ±0 (no nsz).
// STRICT-LABEL: func.func @masked_max(
// STRICT:         arith.maximumf %{{[a-z0-9_]+}}, %{{[a-z0-9_]+}} : vector<32xf32>
// STRICT-NOT:     fastmath<nsz>
// STRICT-LABEL: func.func @odd_rows(
func.func @masked_max(%s: tensor<4x64x512xf32>, %m: tensor<64x512xf32>) -> tensor<4x64xf32> {
  %r = attn.masked_max %s, %m : tensor<4x64x512xf32>, tensor<64x512xf32>
  return %r : tensor<4x64xf32>
}

// -----

// Rows of 100 have no chunk width (a power of two >= 8 dividing them): left
// to LLVM (their fill of 8 is vectorized). Dynamic shapes likewise.
// CHECK-LABEL: func.func @odd_rows(
// CHECK:         vector.transfer_write %{{.*}} : vector<8xf32>, tensor<8xf32>
// CHECK:         linalg.generic {{.*}} iterator_types = ["parallel", "reduction"]} ins(%{{.*}} : tensor<8x100xf32>)
// CHECK:         linalg.generic {{.*}} iterator_types = ["parallel"]} outs(%{{.*}} : tensor<?xf32>)
// CHECK:         linalg.generic {{.*}} iterator_types = ["parallel", "reduction"]} ins(%{{.*}} : tensor<?x?xf32>)
func.func @odd_rows(%x: tensor<8x100xf32>, %y: tensor<?x?xf32>) -> (tensor<8xf32>, tensor<?xf32>) {
  %r = attn.sum_sq %x : tensor<8x100xf32>
  %s = attn.sum_sq %y : tensor<?x?xf32>
  return %r, %s : tensor<8xf32>, tensor<?xf32>
}

// -----

// A contraction (q kᵀ: each input broadcast along another dim) is not a row
// reduction: left for LLVM, not one vector.reduction per output element.
#q = affine_map<(i, j, d) -> (i, d)>
#k = affine_map<(i, j, d) -> (j, d)>
#s = affine_map<(i, j, d) -> (i, j)>
// CHECK-LABEL: func.func @contraction(
// CHECK-NOT:     vector.reduction
// CHECK:         linalg.generic {{.*}} iterator_types = ["parallel", "parallel", "reduction"]
func.func @contraction(%q: tensor<8x64xf32>, %k: tensor<16x64xf32>, %init: tensor<8x16xf32>) -> tensor<8x16xf32> {
  %r = linalg.generic {indexing_maps = [#q, #k, #s], iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%q, %k : tensor<8x64xf32>, tensor<16x64xf32>) outs(%init : tensor<8x16xf32>) {
  ^bb0(%a: f32, %b: f32, %acc: f32):
    %0 = arith.mulf %a, %b : f32
    %1 = arith.addf %acc, %0 : f32
    linalg.yield %1 : f32
  } -> tensor<8x16xf32>
  return %r : tensor<8x16xf32>
}

// -----

// A NaN-ignoring max (a softmax's running max in attention): in fast mode
// each maxnumf(a, b) becomes `b > a ? b : a` (one vmaxps; a NaN `a` may come
// through), in the lanes' loop and the halving tree alike. The lanes start
// at NaN (maxnum's neutral element): the accumulator is put second, where
// the select ignores it. Strict mode keeps maxnumf.
// CHECK-LABEL: func.func @nan_ignoring_max(
// CHECK-DAG:     %[[NAN:.*]] = arith.constant dense<0xFFC00000> : vector<1x64xf32>
// CHECK-NOT:     arith.maxnumf
// CHECK:         scf.for
// CHECK:           scf.for %{{.*}} iter_args(%[[ACC:.*]] = %[[NAN]])
// CHECK:             %[[IN:.*]] = vector.transfer_read
// CHECK:             %[[GT:.*]] = arith.cmpf ogt, %[[ACC]], %[[IN]] : vector<1x64xf32>
// CHECK:             arith.select %[[GT]], %[[ACC]], %[[IN]] : vector<1x64xi1>, vector<1x64xf32>
// CHECK:           %[[HGT:.*]] = arith.cmpf ogt, %[[HI:.*]], %[[LO:.*]] : vector<32xf32>
// CHECK:           arith.select %[[HGT]], %[[HI]], %[[LO]] : vector<32xi1>, vector<32xf32>
// CHECK-NOT:     arith.maxnumf
// CHECK:         return
// STRICT-LABEL: func.func @nan_ignoring_max(
// STRICT:         arith.maxnumf
// STRICT-NOT:     arith.cmpf ogt
// STRICT:         return
#id = affine_map<(d0, d1) -> (d0, d1)>
#row = affine_map<(d0, d1) -> (d0)>
func.func @nan_ignoring_max(%x: tensor<8x128xf32>) -> tensor<8xf32> {
  %ninf = arith.constant 0xFF800000 : f32
  %e = tensor.empty() : tensor<8xf32>
  %init = linalg.fill ins(%ninf : f32) outs(%e : tensor<8xf32>) -> tensor<8xf32>
  %r = linalg.generic {indexing_maps = [#id, #row], iterator_types = ["parallel", "reduction"]}
      ins(%x : tensor<8x128xf32>) outs(%init : tensor<8xf32>) {
  ^bb0(%in: f32, %out: f32):
    %m = arith.maxnumf %out, %in : f32
    linalg.yield %m : f32
  } -> tensor<8xf32>
  return %r : tensor<8xf32>
}

// -----

// Column reductions (flash attention's running sum over key-major scores):
// per chunk of 16 columns, a loop down the 64 rows carrying the chunk's
// accumulator in a vector<16>, in order: a sum is vectorized in strict mode
// too, with no cross-lane reduction.
// CHECK-LABEL: func.func @column_sum(
// CHECK-SAME:    %[[X:[a-zA-Z0-9_]+]]: tensor<64x32xf32>, %[[INIT:[a-zA-Z0-9_]+]]: tensor<32xf32>)
// CHECK-DAG:     %[[C0:.*]] = arith.constant 0 : index
// CHECK-DAG:     %[[C1:.*]] = arith.constant 1 : index
// CHECK-DAG:     %[[C16:.*]] = arith.constant 16 : index
// CHECK-DAG:     %[[C32:.*]] = arith.constant 32 : index
// CHECK-DAG:     %[[C64:.*]] = arith.constant 64 : index
// CHECK:         %[[R:.*]] = scf.for %[[J:.*]] = %[[C0]] to %[[C32]] step %[[C16]] iter_args(%[[OUT:.*]] = %[[INIT]]) -> (tensor<32xf32>)
// CHECK:           %[[A0:.*]] = vector.transfer_read %[[OUT]][%[[J]]], %{{.*}} {in_bounds = [true]} : tensor<32xf32>, vector<16xf32>
// CHECK:           %[[SUM:.*]] = scf.for %[[ROW:.*]] = %[[C0]] to %[[C64]] step %[[C1]] iter_args(%[[A:.*]] = %[[A0]]) -> (vector<16xf32>)
// CHECK:             %[[V:.*]] = vector.transfer_read %[[X]][%[[ROW]], %[[J]]]{{.*}} : tensor<64x32xf32>, vector<1x16xf32>
// CHECK:             %[[V1:.*]] = vector.shape_cast %[[V]] : vector<1x16xf32> to vector<16xf32>
// CHECK:             %[[NEXT:.*]] = arith.addf %[[A]], %[[V1]] : vector<16xf32>
// CHECK:             scf.yield %[[NEXT]] : vector<16xf32>
// CHECK:           %[[W:.*]] = vector.transfer_write %[[SUM]], %[[OUT]][%[[J]]] {in_bounds = [true]} : vector<16xf32>, tensor<32xf32>
// CHECK:           scf.yield %[[W]]
// CHECK-NOT:     vector.reduction
// CHECK:         return %[[R]]
// STRICT-LABEL: func.func @column_sum(
// STRICT:         scf.for
// STRICT:           scf.for {{.*}} -> (vector<16xf32>)
// STRICT:             arith.addf {{.*}} : vector<16xf32>
// STRICT-NOT:     vector.reduction
// STRICT:         return
#id = affine_map<(d0, d1) -> (d0, d1)>
#col = affine_map<(d0, d1) -> (d1)>
func.func @column_sum(%x: tensor<64x32xf32>, %init: tensor<32xf32>) -> tensor<32xf32> {
  %r = linalg.generic {indexing_maps = [#id, #col], iterator_types = ["reduction", "parallel"]}
      ins(%x : tensor<64x32xf32>) outs(%init : tensor<32xf32>) {
  ^bb0(%in: f32, %out: f32):
    %s = arith.addf %out, %in : f32
    linalg.yield %s : f32
  } -> tensor<32xf32>
  return %r : tensor<32xf32>
}

// -----

// An elementwise generic reading its input with the two innermost dims
// swapped (flash attention's scaled qᵀ): 16 x 16 squares, each one
// transposing vector.transfer_read (16 row loads and a vector.transpose in
// registers once lowered), instead of a load per element.
// CHECK: #[[$PERM:.+]] = affine_map<(d0, d1) -> (d1, d0)>
// CHECK-LABEL: func.func @scaled_transpose(
// CHECK-SAME:    %[[X:[a-zA-Z0-9_]+]]: tensor<32x48xf32>
// CHECK:         scf.for %[[I:.*]] = %{{.*}} to %{{.*}} step %[[C16:.*]] iter_args
// CHECK:           scf.for %[[J:.*]] = %{{.*}} to %{{.*}} step %[[C16]] iter_args(%[[ACC:.*]] = %{{.*}})
// CHECK:             %[[V:.*]] = vector.transfer_read %[[X]][%[[J]], %[[I]]], %{{.*}} {in_bounds = [true, true], permutation_map = #[[$PERM]]} : tensor<32x48xf32>, vector<16x16xf32>
// CHECK:             %[[S:.*]] = arith.mulf %[[V]], %{{.*}} : vector<16x16xf32>
// CHECK:             vector.transfer_write %[[S]], %[[ACC]][%[[I]], %[[J]]] {{.*}} : vector<16x16xf32>, tensor<48x32xf32>
// CHECK:         return
#t = affine_map<(d0, d1) -> (d1, d0)>
#id = affine_map<(d0, d1) -> (d0, d1)>
func.func @scaled_transpose(%x: tensor<32x48xf32>) -> tensor<48x32xf32> {
  %c = arith.constant 0.125 : f32
  %e = tensor.empty() : tensor<48x32xf32>
  %r = linalg.generic {indexing_maps = [#t, #id], iterator_types = ["parallel", "parallel"]}
      ins(%x : tensor<32x48xf32>) outs(%e : tensor<48x32xf32>) {
  ^bb0(%in: f32, %out: f32):
    %s = arith.mulf %in, %c : f32
    linalg.yield %s : f32
  } -> tensor<48x32xf32>
  return %r : tensor<48x32xf32>
}

// -----

// A mask block [queries, keys] added to key-major scores [keys, queries]
// (flash attention's masked blocks): the same 16 x 16 squares, the scores
// read as they are, the mask transposed in registers.
// CHECK: #[[$PERM:.+]] = affine_map<(d0, d1) -> (d1, d0)>
// CHECK-LABEL: func.func @masked_key_major(
// CHECK-SAME:    %[[S:[a-zA-Z0-9_]+]]: tensor<64x32xf32>, %[[M:[a-zA-Z0-9_]+]]: tensor<32x64xf32>
// CHECK:         scf.for %[[I:.*]] = %{{.*}} to %{{.*}} step %[[C16:.*]] iter_args
// CHECK:           scf.for %[[J:.*]] = %{{.*}} to %{{.*}} step %[[C16]] iter_args(%[[ACC:.*]] = %{{.*}})
// CHECK-DAG:         %[[SV:.*]] = vector.transfer_read %[[S]][%[[I]], %[[J]]], %{{.*}} {in_bounds = [true, true]} : tensor<64x32xf32>, vector<16x16xf32>
// CHECK-DAG:         %[[MV:.*]] = vector.transfer_read %[[M]][%[[J]], %[[I]]], %{{.*}} {in_bounds = [true, true], permutation_map = #[[$PERM]]} : tensor<32x64xf32>, vector<16x16xf32>
// CHECK:             %[[SUM:.*]] = arith.addf %[[SV]], %[[MV]] : vector<16x16xf32>
// CHECK:             vector.transfer_write %[[SUM]], %[[ACC]][%[[I]], %[[J]]] {{.*}} : vector<16x16xf32>, tensor<64x32xf32>
// CHECK:         return
#t = affine_map<(d0, d1) -> (d1, d0)>
#id = affine_map<(d0, d1) -> (d0, d1)>
func.func @masked_key_major(%s: tensor<64x32xf32>, %m: tensor<32x64xf32>) -> tensor<64x32xf32> {
  %e = tensor.empty() : tensor<64x32xf32>
  %r = linalg.generic {indexing_maps = [#id, #t, #id], iterator_types = ["parallel", "parallel"]}
      ins(%s, %m : tensor<64x32xf32>, tensor<32x64xf32>) outs(%e : tensor<64x32xf32>) {
  ^bb0(%a: f32, %b: f32, %out: f32):
    %sum = arith.addf %a, %b : f32
    linalg.yield %sum : f32
  } -> tensor<64x32xf32>
  return %r : tensor<64x32xf32>
}

// -----

// Two transposed inputs: not one transpose per square, left to the
// elementwise chunks (16 lanes along the innermost dim).
// CHECK-LABEL: func.func @two_transposed(
// CHECK-NOT:     vector<16x16xf32>
// CHECK:         return
#t = affine_map<(d0, d1) -> (d1, d0)>
#id = affine_map<(d0, d1) -> (d0, d1)>
func.func @two_transposed(%x: tensor<32x64xf32>, %y: tensor<32x64xf32>) -> tensor<64x32xf32> {
  %e = tensor.empty() : tensor<64x32xf32>
  %r = linalg.generic {indexing_maps = [#t, #t, #id], iterator_types = ["parallel", "parallel"]}
      ins(%x, %y : tensor<32x64xf32>, tensor<32x64xf32>) outs(%e : tensor<64x32xf32>) {
  ^bb0(%a: f32, %b: f32, %out: f32):
    %sum = arith.addf %a, %b : f32
    linalg.yield %sum : f32
  } -> tensor<64x32xf32>
  return %r : tensor<64x32xf32>
}

// -----

// A column reduction with a second output written at every point (flash
// attention's probabilities and their sums): one loop down each chunk of
// columns writes the exponentials and carries their sum in a register.
// CHECK-LABEL: func.func @exps_and_column_sums(
// CHECK-SAME:    %[[S:[a-zA-Z0-9_]+]]: tensor<64x32xf32>, %[[P:[a-zA-Z0-9_]+]]: tensor<64x32xf32>, %[[L:[a-zA-Z0-9_]+]]: tensor<32xf32>)
// CHECK:         scf.for %[[J:.*]] = %{{.*}} to %{{.*}} step %{{.*}} iter_args(%[[PO:.*]] = %{{.*}}, %[[LO:.*]] = %[[L]])
// CHECK:           %[[L0:.*]] = vector.transfer_read %[[LO]][%[[J]]]{{.*}} : tensor<32xf32>, vector<16xf32>
// CHECK:           %[[INNER:.*]]:2 = scf.for %[[R:.*]] = %{{.*}} to %{{.*}} step %{{.*}} iter_args(%[[PI:.*]] = %[[PO]], %[[ACC:.*]] = %[[L0]]) -> (tensor<64x32xf32>, vector<16xf32>)
// CHECK:             %[[X:.*]] = vector.transfer_read %[[S]][%[[R]], %[[J]]]
// CHECK:             %[[E:.*]] = math.exp2 %[[X]] : vector<1x16xf32>
// CHECK:             %[[EV:.*]] = vector.shape_cast %[[E]]
// CHECK:             %[[SUM:.*]] = arith.addf %[[ACC]], %[[EV]] : vector<16xf32>
// CHECK:             %[[W:.*]] = vector.transfer_write %[[E]], %[[PI]][%[[R]], %[[J]]]
// CHECK:             scf.yield %[[W]], %[[SUM]]
// CHECK:           vector.transfer_write %[[INNER]]#1, %[[LO]][%[[J]]]
// CHECK:         return
#id = affine_map<(d0, d1) -> (d0, d1)>
#col = affine_map<(d0, d1) -> (d1)>
func.func @exps_and_column_sums(%s: tensor<64x32xf32>, %p: tensor<64x32xf32>, %l: tensor<32xf32>) -> (tensor<64x32xf32>, tensor<32xf32>) {
  %r:2 = linalg.generic {indexing_maps = [#id, #id, #col], iterator_types = ["reduction", "parallel"]}
      ins(%s : tensor<64x32xf32>) outs(%p, %l : tensor<64x32xf32>, tensor<32xf32>) {
  ^bb0(%in: f32, %o: f32, %acc: f32):
    %e = math.exp2 %in : f32
    %a = arith.addf %acc, %e : f32
    linalg.yield %e, %a : f32, f32
  } -> (tensor<64x32xf32>, tensor<32xf32>)
  return %r#0, %r#1 : tensor<64x32xf32>, tensor<32xf32>
}

// -----

// A reduction that reads an operand at its own index (xent_logits' target
// logit, summed over rows): chunked into lanes, each chunk's index counts
// from the chunk loop's position, not from 0 (upstream's partial-reduction
// tiling leaves `linalg.index` as it was: chunk k read chunk 0's rows).
// CHECK-DAG:   #[[SHIFT:.*]] = affine_map<(d0)[s0] -> (d0 + s0)>
// CHECK-LABEL: func.func @indexed_sum(
// CHECK-SAME:    %[[X:[a-zA-Z0-9_]+]]: tensor<80x5xf32>
// CHECK:         scf.for %[[J:.*]] = %{{.*}} to %{{.*}} step %[[C16:.*]] iter_args(%{{.*}}) -> (tensor<16xf32>)
// CHECK:           linalg.generic
// CHECK:             %[[I:.*]] = linalg.index 0 : index
// CHECK:             %[[ROW:.*]] = affine.apply #[[SHIFT]](%[[J]])[%[[I]]]
// CHECK:             tensor.extract %[[X]][%[[ROW]], %{{.*}}] : tensor<80x5xf32>
// STRICT-LABEL: func.func @indexed_sum(
// STRICT-NOT:     scf.for
// STRICT:         linalg.index 0
func.func @indexed_sum(%x: tensor<80x5xf32>, %t: tensor<80xindex>) -> tensor<f32> {
  %c0 = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<f32>
  %init = linalg.fill ins(%c0 : f32) outs(%e : tensor<f32>) -> tensor<f32>
  %r = linalg.generic {indexing_maps = [affine_map<(d0) -> (d0)>, affine_map<(d0) -> ()>],
                       iterator_types = ["reduction"]}
      ins(%t : tensor<80xindex>) outs(%init : tensor<f32>) {
  ^bb0(%col: index, %acc: f32):
    %row = linalg.index 0 : index
    %v = tensor.extract %x[%row, %col] : tensor<80x5xf32>
    %s = arith.addf %v, %acc : f32
    linalg.yield %s : f32
  } -> tensor<f32>
  return %r : tensor<f32>
}
