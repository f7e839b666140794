// RUN: attn-opt %s --attn-fuse-online-softmax --split-input-file | FileCheck %s

// The pattern works on linalg written by hand: the two reductions of a
// stable softmax become one generic with a running max and a running sum.

#id = affine_map<(d0, d1) -> (d0, d1)>
#row = affine_map<(d0, d1) -> (d0)>

// CHECK-DAG: #[[$ID:.+]] = affine_map<(d0, d1) -> (d0, d1)>
// CHECK-DAG: #[[$ROW:.+]] = affine_map<(d0, d1) -> (d0)>
// CHECK-LABEL: func.func @plain_shift(
// CHECK-SAME:    %[[X:[a-zA-Z0-9_]+]]: tensor<8x128xf32>)
// CHECK-DAG:     %[[NINF:.*]] = arith.constant 0xFF800000 : f32
// CHECK-DAG:     %[[ZERO:.*]] = arith.constant 0.000000e+00 : f32
// CHECK:         %[[MINIT:.*]] = linalg.fill ins(%[[NINF]] : f32)
// CHECK:         %[[SINIT:.*]] = linalg.fill ins(%[[ZERO]] : f32)
// CHECK:         %[[R:.*]]:2 = linalg.generic {indexing_maps = [#[[$ID]], #[[$ROW]], #[[$ROW]]], iterator_types = ["parallel", "reduction"]}
// CHECK-SAME:        ins(%[[X]] : tensor<8x128xf32>) outs(%[[MINIT]], %[[SINIT]] : tensor<8xf32>, tensor<8xf32>)
// CHECK-NEXT:    ^bb0(%[[IN:.*]]: f32, %[[M:.*]]: f32, %[[S:.*]]: f32):
// m' = max(x, m); e = exp(min(x, m) - m')
// CHECK-NEXT:      %[[M1:.*]] = arith.maximumf %[[IN]], %[[M]] : f32
// CHECK-NEXT:      %[[LOW:.*]] = arith.minimumf %[[IN]], %[[M]] : f32
// CHECK-NEXT:      %[[D:.*]] = arith.subf %[[LOW]], %[[M1]] : f32
// CHECK-NEXT:      %[[E:.*]] = math.exp %[[D]] {attn.nonpositive} : f32
// kept: s + e (the max did not grow)
// CHECK-NEXT:      %[[KEPT:.*]] = arith.addf %[[S]], %[[E]] : f32
// grown: (m == -inf ? 0 : s * e) + (x == +inf ? NaN : 1)
// CHECK-NEXT:      %[[EMPTY:.*]] = arith.cmpf oeq, %[[M]], %[[NINF]] : f32
// CHECK-NEXT:      %[[SE:.*]] = arith.mulf %[[S]], %[[E]] : f32
// CHECK-NEXT:      %[[RESCALED:.*]] = arith.select %[[EMPTY]], %[[ZERO]], %[[SE]] : f32
// CHECK-NEXT:      %[[ISINF:.*]] = arith.cmpf oeq, %[[IN]], %{{.*}} : f32
// CHECK-NEXT:      %[[SELF:.*]] = arith.select %[[ISINF]], %{{.*}}, %{{.*}} : f32
// CHECK-NEXT:      %[[GROWN:.*]] = arith.addf %[[RESCALED]], %[[SELF]] : f32
// CHECK-NEXT:      %[[LE:.*]] = arith.cmpf ole, %[[IN]], %[[M]] : f32
// CHECK-NEXT:      %[[S1:.*]] = arith.select %[[LE]], %[[KEPT]], %[[GROWN]] : f32
// CHECK-NEXT:      linalg.yield %[[M1]], %[[S1]] : f32, f32
// CHECK-NOT:     linalg.generic
// CHECK:         return %[[R]]#0, %[[R]]#1
func.func @plain_shift(%x: tensor<8x128xf32>) -> (tensor<8xf32>, tensor<8xf32>) {
  %ninf = arith.constant 0xFF800000 : f32
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<8xf32>
  %minit = linalg.fill ins(%ninf : f32) outs(%e : tensor<8xf32>) -> tensor<8xf32>
  %sinit = linalg.fill ins(%zero : f32) outs(%e : tensor<8xf32>) -> tensor<8xf32>
  %m = linalg.generic {indexing_maps = [#id, #row], iterator_types = ["parallel", "reduction"]}
      ins(%x : tensor<8x128xf32>) outs(%minit : tensor<8xf32>) {
  ^bb0(%in: f32, %acc: f32):
    %0 = arith.maximumf %in, %acc : f32
    linalg.yield %0 : f32
  } -> tensor<8xf32>
  %s = linalg.generic {indexing_maps = [#id, #row, #row], iterator_types = ["parallel", "reduction"]}
      ins(%x, %m : tensor<8x128xf32>, tensor<8xf32>) outs(%sinit : tensor<8xf32>) {
  ^bb0(%in: f32, %max: f32, %acc: f32):
    %0 = arith.subf %in, %max : f32
    %1 = math.exp %0 : f32
    %2 = arith.addf %1, %acc : f32
    linalg.yield %2 : f32
  } -> tensor<8xf32>
  return %m, %s : tensor<8xf32>, tensor<8xf32>
}

// -----

// The safe shift (0 for a fully masked row), an elementwise prefix in both
// bodies (x + mask, the mask broadcast over the batch), and the max used
// after the sum: m stays available, s comes from the online generic.

#id3 = affine_map<(d0, d1, d2) -> (d0, d1, d2)>
#mask = affine_map<(d0, d1, d2) -> (d1, d2)>
#row3 = affine_map<(d0, d1, d2) -> (d0, d1)>
#id2 = affine_map<(d0, d1) -> (d0, d1)>

// CHECK-LABEL: func.func @safe_shift_with_mask(
// CHECK-SAME:    %[[X:[a-zA-Z0-9_]+]]: tensor<2x8x16xf32>, %[[MASK:[a-zA-Z0-9_]+]]: tensor<8x16xf32>)
// CHECK:         %[[R:.*]]:2 = linalg.generic {{.*}} iterator_types = ["parallel", "parallel", "reduction"]}
// CHECK-SAME:        ins(%[[X]], %[[MASK]] : tensor<2x8x16xf32>, tensor<8x16xf32>)
// CHECK-NEXT:    ^bb0(%[[IN:.*]]: f32, %[[IM:.*]]: f32, %[[M:.*]]: f32, %[[S:.*]]: f32):
// CHECK-NEXT:      %[[V:.*]] = arith.addf %[[IN]], %[[IM]] : f32
// CHECK-NEXT:      %[[M1:.*]] = arith.maximumf %[[V]], %[[M]] : f32
// CHECK-NEXT:      %[[ISNINF:.*]] = arith.cmpf oeq, %[[M1]], %{{.*}} : f32
// CHECK-NEXT:      %[[SHIFT:.*]] = arith.select %[[ISNINF]], %{{.*}}, %[[M1]] : f32
// CHECK-NEXT:      %[[LOW:.*]] = arith.minimumf %[[V]], %[[M]] : f32
// CHECK-NEXT:      %[[D:.*]] = arith.subf %[[LOW]], %[[SHIFT]] : f32
// CHECK-NEXT:      math.exp %[[D]] {attn.nonpositive} : f32
// CHECK:           linalg.yield %[[M1]], %{{.*}} : f32, f32
// CHECK:         %[[SAFE:.*]] = linalg.generic {{.*}} ins(%[[R]]#0 : tensor<2x8xf32>)
// CHECK-NOT:     linalg.generic
// CHECK:         return %[[SAFE]], %[[R]]#1
func.func @safe_shift_with_mask(%x: tensor<2x8x16xf32>, %mask: tensor<8x16xf32>) -> (tensor<2x8xf32>, tensor<2x8xf32>) {
  %ninf = arith.constant 0xFF800000 : f32
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<2x8xf32>
  %minit = linalg.fill ins(%ninf : f32) outs(%e : tensor<2x8xf32>) -> tensor<2x8xf32>
  %m = linalg.generic {indexing_maps = [#id3, #mask, #row3], iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%x, %mask : tensor<2x8x16xf32>, tensor<8x16xf32>) outs(%minit : tensor<2x8xf32>) {
  ^bb0(%in: f32, %im: f32, %acc: f32):
    %0 = arith.addf %in, %im : f32
    %1 = arith.maximumf %0, %acc : f32
    linalg.yield %1 : f32
  } -> tensor<2x8xf32>
  %ms = linalg.generic {indexing_maps = [#id2, #id2], iterator_types = ["parallel", "parallel"]}
      ins(%m : tensor<2x8xf32>) outs(%e : tensor<2x8xf32>) {
  ^bb0(%in: f32, %out: f32):
    %0 = arith.cmpf oeq, %in, %ninf : f32
    %1 = arith.select %0, %zero, %in : f32
    linalg.yield %1 : f32
  } -> tensor<2x8xf32>
  %sinit = linalg.fill ins(%zero : f32) outs(%e : tensor<2x8xf32>) -> tensor<2x8xf32>
  %s = linalg.generic {indexing_maps = [#mask, #id3, #row3, #row3], iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%mask, %x, %ms : tensor<8x16xf32>, tensor<2x8x16xf32>, tensor<2x8xf32>) outs(%sinit : tensor<2x8xf32>) {
  ^bb0(%im: f32, %in: f32, %shift: f32, %acc: f32):
    %0 = arith.addf %in, %im : f32
    %1 = arith.subf %0, %shift : f32
    %2 = math.exp %1 : f32
    %3 = arith.addf %acc, %2 : f32
    linalg.yield %3 : f32
  } -> tensor<2x8xf32>
  return %ms, %s : tensor<2x8xf32>, tensor<2x8xf32>
}

// -----

// Not a softmax: the sum exponentiates another x (x * 2) than the max's.
#id = affine_map<(d0, d1) -> (d0, d1)>
#row = affine_map<(d0, d1) -> (d0)>

// CHECK-LABEL: func.func @different_x(
// CHECK:         linalg.generic {{.*}} outs(%{{.*}} : tensor<8xf32>)
// CHECK:           arith.maximumf
// CHECK:         linalg.generic {{.*}} outs(%{{.*}} : tensor<8xf32>)
// CHECK:           math.exp
func.func @different_x(%x: tensor<8x128xf32>) -> tensor<8xf32> {
  %ninf = arith.constant 0xFF800000 : f32
  %zero = arith.constant 0.0 : f32
  %two = arith.constant 2.0 : f32
  %e = tensor.empty() : tensor<8xf32>
  %minit = linalg.fill ins(%ninf : f32) outs(%e : tensor<8xf32>) -> tensor<8xf32>
  %sinit = linalg.fill ins(%zero : f32) outs(%e : tensor<8xf32>) -> tensor<8xf32>
  %m = linalg.generic {indexing_maps = [#id, #row], iterator_types = ["parallel", "reduction"]}
      ins(%x : tensor<8x128xf32>) outs(%minit : tensor<8xf32>) {
  ^bb0(%in: f32, %acc: f32):
    %0 = arith.maximumf %in, %acc : f32
    linalg.yield %0 : f32
  } -> tensor<8xf32>
  %s = linalg.generic {indexing_maps = [#id, #row, #row], iterator_types = ["parallel", "reduction"]}
      ins(%x, %m : tensor<8x128xf32>, tensor<8xf32>) outs(%sinit : tensor<8xf32>) {
  ^bb0(%in: f32, %max: f32, %acc: f32):
    %0 = arith.mulf %in, %two : f32
    %1 = arith.subf %0, %max : f32
    %2 = math.exp %1 : f32
    %3 = arith.addf %2, %acc : f32
    linalg.yield %3 : f32
  } -> tensor<8xf32>
  return %s : tensor<8xf32>
}

// -----

// Not a softmax: the sum does not start from 0 (s0 would be rescaled).
#id = affine_map<(d0, d1) -> (d0, d1)>
#row = affine_map<(d0, d1) -> (d0)>

// CHECK-LABEL: func.func @sum_not_from_zero(
// CHECK:         arith.maximumf
// CHECK:         linalg.yield
// CHECK:         linalg.generic
// CHECK:           math.exp
func.func @sum_not_from_zero(%x: tensor<8x128xf32>, %sinit: tensor<8xf32>) -> tensor<8xf32> {
  %ninf = arith.constant 0xFF800000 : f32
  %e = tensor.empty() : tensor<8xf32>
  %minit = linalg.fill ins(%ninf : f32) outs(%e : tensor<8xf32>) -> tensor<8xf32>
  %m = linalg.generic {indexing_maps = [#id, #row], iterator_types = ["parallel", "reduction"]}
      ins(%x : tensor<8x128xf32>) outs(%minit : tensor<8xf32>) {
  ^bb0(%in: f32, %acc: f32):
    %0 = arith.maximumf %in, %acc : f32
    linalg.yield %0 : f32
  } -> tensor<8xf32>
  %s = linalg.generic {indexing_maps = [#id, #row, #row], iterator_types = ["parallel", "reduction"]}
      ins(%x, %m : tensor<8x128xf32>, tensor<8xf32>) outs(%sinit : tensor<8xf32>) {
  ^bb0(%in: f32, %max: f32, %acc: f32):
    %1 = arith.subf %in, %max : f32
    %2 = math.exp %1 : f32
    %3 = arith.addf %2, %acc : f32
    linalg.yield %3 : f32
  } -> tensor<8xf32>
  return %s : tensor<8xf32>
}

// -----

// Not a softmax: the two reductions read different tensors.
#id = affine_map<(d0, d1) -> (d0, d1)>
#row = affine_map<(d0, d1) -> (d0)>

// CHECK-LABEL: func.func @different_inputs(
// CHECK-COUNT-2: linalg.generic {{.*}}iterator_types = ["parallel", "reduction"]
func.func @different_inputs(%x: tensor<8x128xf32>, %y: tensor<8x128xf32>) -> tensor<8xf32> {
  %ninf = arith.constant 0xFF800000 : f32
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<8xf32>
  %minit = linalg.fill ins(%ninf : f32) outs(%e : tensor<8xf32>) -> tensor<8xf32>
  %sinit = linalg.fill ins(%zero : f32) outs(%e : tensor<8xf32>) -> tensor<8xf32>
  %m = linalg.generic {indexing_maps = [#id, #row], iterator_types = ["parallel", "reduction"]}
      ins(%x : tensor<8x128xf32>) outs(%minit : tensor<8xf32>) {
  ^bb0(%in: f32, %acc: f32):
    %0 = arith.maximumf %in, %acc : f32
    linalg.yield %0 : f32
  } -> tensor<8xf32>
  %s = linalg.generic {indexing_maps = [#id, #row, #row], iterator_types = ["parallel", "reduction"]}
      ins(%y, %m : tensor<8x128xf32>, tensor<8xf32>) outs(%sinit : tensor<8xf32>) {
  ^bb0(%in: f32, %max: f32, %acc: f32):
    %1 = arith.subf %in, %max : f32
    %2 = math.exp %1 : f32
    %3 = arith.addf %2, %acc : f32
    linalg.yield %3 : f32
  } -> tensor<8xf32>
  return %s : tensor<8xf32>
}
