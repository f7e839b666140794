// RUN: attn-opt %s --attn-fuse-elementwise --split-input-file | FileCheck %s

// A scaled transpose (flash attention's qᵀ) read by a contraction is not
// fused into it: it would be recomputed for every row of k, and the
// contraction would lose its matmul form.
// CHECK-LABEL: func.func @not_into_contraction(
// CHECK-SAME:    %[[K:[a-zA-Z0-9_]+]]: tensor<64x16xf32>, %[[Q:[a-zA-Z0-9_]+]]: tensor<32x16xf32>
// CHECK:         %[[QT:.*]] = linalg.generic {{.*}} iterator_types = ["parallel", "parallel"]} ins(%[[Q]] : tensor<32x16xf32>)
// CHECK:           arith.mulf
// CHECK:         linalg.generic {{.*}} iterator_types = ["parallel", "parallel", "reduction"]} ins(%[[K]], %[[QT]] : tensor<64x16xf32>, tensor<16x32xf32>)
// CHECK-NEXT:    ^bb0(%[[A:.*]]: f32, %[[B:.*]]: f32, %[[C:.*]]: f32):
// CHECK-NEXT:      %[[P:.*]] = arith.mulf %[[A]], %[[B]] : f32
// CHECK-NEXT:      %[[S:.*]] = arith.addf %[[C]], %[[P]] : f32
// CHECK-NEXT:      linalg.yield %[[S]] : f32
#t = affine_map<(d0, d1) -> (d1, d0)>
#id = affine_map<(d0, d1) -> (d0, d1)>
#lhs = affine_map<(i, j, r) -> (i, r)>
#rhs = affine_map<(i, j, r) -> (r, j)>
#out = affine_map<(i, j, r) -> (i, j)>
func.func @not_into_contraction(%k: tensor<64x16xf32>, %q: tensor<32x16xf32>, %c: tensor<64x32xf32>) -> tensor<64x32xf32> {
  %scale = arith.constant 0.125 : f32
  %e = tensor.empty() : tensor<16x32xf32>
  %qt = linalg.generic {indexing_maps = [#t, #id], iterator_types = ["parallel", "parallel"]}
      ins(%q : tensor<32x16xf32>) outs(%e : tensor<16x32xf32>) {
  ^bb0(%x: f32, %o: f32):
    %s = arith.mulf %x, %scale : f32
    linalg.yield %s : f32
  } -> tensor<16x32xf32>
  %r = linalg.generic {indexing_maps = [#lhs, #rhs, #out], iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%k, %qt : tensor<64x16xf32>, tensor<16x32xf32>) outs(%c : tensor<64x32xf32>) {
  ^bb0(%a: f32, %b: f32, %acc: f32):
    %p = arith.mulf %a, %b : f32
    %s = arith.addf %acc, %p : f32
    linalg.yield %s : f32
  } -> tensor<64x32xf32>
  return %r : tensor<64x32xf32>
}

// -----

// Elementwise into elementwise, and elementwise into a row reduction that
// reads it at every point: fused, as upstream does.
// CHECK-LABEL: func.func @into_elementwise_and_reduction(
// CHECK-SAME:    %[[X:[a-zA-Z0-9_]+]]: tensor<8x64xf32>
// CHECK:         %[[R:.*]] = linalg.generic {{.*}} iterator_types = ["parallel", "reduction"]} ins(%[[X]] : tensor<8x64xf32>)
// CHECK:           arith.mulf
// CHECK:           math.exp
// CHECK:           arith.addf
// CHECK-NOT:     linalg.generic
// CHECK:         return %[[R]]
#id = affine_map<(d0, d1) -> (d0, d1)>
#row = affine_map<(d0, d1) -> (d0)>
func.func @into_elementwise_and_reduction(%x: tensor<8x64xf32>, %init: tensor<8xf32>) -> tensor<8xf32> {
  %two = arith.constant 2.0 : f32
  %e = tensor.empty() : tensor<8x64xf32>
  %a = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel"]}
      ins(%x : tensor<8x64xf32>) outs(%e : tensor<8x64xf32>) {
  ^bb0(%v: f32, %o: f32):
    %m = arith.mulf %v, %two : f32
    linalg.yield %m : f32
  } -> tensor<8x64xf32>
  %b = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel"]}
      ins(%a : tensor<8x64xf32>) outs(%e : tensor<8x64xf32>) {
  ^bb0(%v: f32, %o: f32):
    %m = math.exp %v : f32
    linalg.yield %m : f32
  } -> tensor<8x64xf32>
  %r = linalg.generic {indexing_maps = [#id, #row], iterator_types = ["parallel", "reduction"]}
      ins(%b : tensor<8x64xf32>) outs(%init : tensor<8xf32>) {
  ^bb0(%v: f32, %acc: f32):
    %s = arith.addf %acc, %v : f32
    linalg.yield %s : f32
  } -> tensor<8xf32>
  return %r : tensor<8xf32>
}

// -----

// A producer with two uses stays (fusing would duplicate it).
// CHECK-LABEL: func.func @two_uses(
// CHECK-COUNT-3: linalg.generic
// CHECK:         return
#id = affine_map<(d0) -> (d0)>
func.func @two_uses(%x: tensor<64xf32>) -> (tensor<64xf32>, tensor<64xf32>) {
  %e = tensor.empty() : tensor<64xf32>
  %a = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel"]}
      ins(%x : tensor<64xf32>) outs(%e : tensor<64xf32>) {
  ^bb0(%v: f32, %o: f32):
    %m = math.exp %v : f32
    linalg.yield %m : f32
  } -> tensor<64xf32>
  %b = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel"]}
      ins(%a : tensor<64xf32>) outs(%e : tensor<64xf32>) {
  ^bb0(%v: f32, %o: f32):
    %m = arith.negf %v : f32
    linalg.yield %m : f32
  } -> tensor<64xf32>
  %c = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel"]}
      ins(%a : tensor<64xf32>) outs(%e : tensor<64xf32>) {
  ^bb0(%v: f32, %o: f32):
    %m = math.sqrt %v : f32
    linalg.yield %m : f32
  } -> tensor<64xf32>
  return %b, %c : tensor<64xf32>, tensor<64xf32>
}

// -----

// A widening of f16 to f32 read by two consumers is fused into each (one
// vcvtph2ps per element read) rather than stored as an f32 copy.
#id = affine_map<(d0, d1) -> (d0, d1)>
#row = affine_map<(d0, d1) -> (d0)>
// CHECK-LABEL: func.func @conversion_into_each_use(
// CHECK-SAME:    %[[X:[a-zA-Z0-9_]+]]: tensor<4x64xf16>
// CHECK-NOT:     tensor<4x64xf32>
// CHECK:         linalg.generic {{.*}} iterator_types = ["parallel", "reduction"]} ins(%[[X]] : tensor<4x64xf16>)
// CHECK:           arith.extf
// CHECK:           arith.maximumf
// CHECK:         linalg.generic {{.*}} iterator_types = ["parallel", "reduction"]} ins(%[[X]] : tensor<4x64xf16>)
// CHECK:           arith.extf
// CHECK:           arith.addf
// CHECK-NOT:     tensor<4x64xf32>
func.func @conversion_into_each_use(%x: tensor<4x64xf16>, %init: tensor<4xf32>) -> (tensor<4xf32>, tensor<4xf32>) {
  %e = tensor.empty() : tensor<4x64xf32>
  %w = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel"]}
      ins(%x : tensor<4x64xf16>) outs(%e : tensor<4x64xf32>) {
  ^bb0(%a: f16, %o: f32):
    %f = arith.extf %a : f16 to f32
    linalg.yield %f : f32
  } -> tensor<4x64xf32>
  %max = linalg.generic {indexing_maps = [#id, #row], iterator_types = ["parallel", "reduction"]}
      ins(%w : tensor<4x64xf32>) outs(%init : tensor<4xf32>) {
  ^bb0(%a: f32, %acc: f32):
    %r = arith.maximumf %a, %acc : f32
    linalg.yield %r : f32
  } -> tensor<4xf32>
  %sum = linalg.generic {indexing_maps = [#id, #row], iterator_types = ["parallel", "reduction"]}
      ins(%w : tensor<4x64xf32>) outs(%init : tensor<4xf32>) {
  ^bb0(%a: f32, %acc: f32):
    %r = arith.addf %a, %acc : f32
    linalg.yield %r : f32
  } -> tensor<4xf32>
  return %max, %sum : tensor<4xf32>, tensor<4xf32>
}

// -----

// A conversion read at one index (a row's target logit) is done on that
// element alone: nothing converted is stored.
#id = affine_map<(d0, d1) -> (d0, d1)>
#row = affine_map<(d0) -> (d0)>
// CHECK-LABEL: func.func @extract_of_conversion(
// CHECK-SAME:    %[[X:[a-zA-Z0-9_]+]]: tensor<4x64xf16>
// CHECK-NOT:     tensor<4x64xf32>
// CHECK:         linalg.generic
// CHECK:           %[[E:.*]] = tensor.extract %[[X]][%{{.*}}, %{{.*}}] : tensor<4x64xf16>
// CHECK-NEXT:      %[[W:.*]] = arith.extf %[[E]] : f16 to f32
// CHECK-NEXT:      linalg.yield %[[W]] : f32
func.func @extract_of_conversion(%x: tensor<4x64xf16>, %t: tensor<4xindex>) -> tensor<4xf32> {
  %e = tensor.empty() : tensor<4x64xf32>
  %w = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel"]}
      ins(%x : tensor<4x64xf16>) outs(%e : tensor<4x64xf32>) {
  ^bb0(%a: f16, %o: f32):
    %f = arith.extf %a : f16 to f32
    linalg.yield %f : f32
  } -> tensor<4x64xf32>
  %r0 = tensor.empty() : tensor<4xf32>
  %r = linalg.generic {indexing_maps = [#row, #row], iterator_types = ["parallel"]}
      ins(%t : tensor<4xindex>) outs(%r0 : tensor<4xf32>) {
  ^bb0(%j: index, %o: f32):
    %i = linalg.index 0 : index
    %v = tensor.extract %w[%i, %j] : tensor<4x64xf32>
    linalg.yield %v : f32
  } -> tensor<4xf32>
  return %r : tensor<4xf32>
}

// -----

// A producer that reads its init (here a generic of no loops adding to its
// fill) is not fused: upstream's fusion would keep its result as an output
// of the consumer and accumulate it once per element (1, 2, ..., 6).
// CHECK-LABEL: func.func @producer_reading_its_init(
// CHECK:         %[[KEPT:.*]] = linalg.generic {{.*}} iterator_types = []} outs(%{{.*}} : tensor<f64>)
// CHECK:           arith.addf
// CHECK:         %[[R:.*]] = linalg.generic {{.*}} iterator_types = ["parallel"]} ins(%{{.*}}, %[[KEPT]] : tensor<6xf32>, tensor<f64>) outs(%{{.*}} : tensor<6xf32>)
// CHECK:         return %[[R]]
func.func @producer_reading_its_init(%z: tensor<6xf32>) -> tensor<6xf32> {
  %c = arith.constant 1.0 : f64
  %zero = arith.constant 0.0 : f64
  %e = tensor.empty() : tensor<f64>
  %init = linalg.fill ins(%zero : f64) outs(%e : tensor<f64>) -> tensor<f64>
  %kept = linalg.generic {indexing_maps = [affine_map<() -> ()>], iterator_types = []} outs(%init : tensor<f64>) {
  ^bb0(%o: f64):
    %s = arith.addf %o, %c : f64
    linalg.yield %s : f64
  } -> tensor<f64>
  %e2 = tensor.empty() : tensor<6xf32>
  %r = linalg.generic {indexing_maps = [affine_map<(d0) -> (d0)>, affine_map<(d0) -> ()>, affine_map<(d0) -> (d0)>], iterator_types = ["parallel"]} ins(%z, %kept : tensor<6xf32>, tensor<f64>) outs(%e2 : tensor<6xf32>) {
  ^bb0(%a: f32, %k: f64, %o: f32):
    %kf = arith.truncf %k : f64 to f32
    %d = arith.divf %a, %kf : f32
    linalg.yield %d : f32
  } -> tensor<6xf32>
  return %r : tensor<6xf32>
}
