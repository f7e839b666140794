// RUN: attn-opt %s --attn-share-exponentials --split-input-file | FileCheck %s

#id = affine_map<(d0, d1) -> (d0, d1)>
#row = affine_map<(d0, d1) -> (d0)>

// The sum of exp(x - m) and the output exp(x - m) * r, as --attn-fuse-rows
// leaves a softmax row: the exps are computed once, into a buffer of their
// own; the sum and the output op read them.
// CHECK-DAG:   #[[$ID:.+]] = affine_map<(d0, d1) -> (d0, d1)>
// CHECK-DAG:   #[[$ROW:.+]] = affine_map<(d0, d1) -> (d0)>
// CHECK-LABEL: func.func @softmax_rows(
// CHECK-SAME:    %[[X:[a-zA-Z0-9_]+]]: tensor<4x64xf32>, %[[M:[a-zA-Z0-9_]+]]: tensor<4xf32>, %[[ZERO:[a-zA-Z0-9_]+]]: tensor<4xf32>, %[[OUT:[a-zA-Z0-9_]+]]: tensor<4x64xf32>)
// CHECK:         %[[BUF:.*]] = tensor.empty() : tensor<4x64xf32>
// CHECK:         %[[E:.*]] = linalg.generic {indexing_maps = [#[[$ID]], #[[$ROW]], #[[$ID]]], iterator_types = ["parallel", "parallel"]} ins(%[[X]], %[[M]] : tensor<4x64xf32>, tensor<4xf32>) outs(%[[BUF]] : tensor<4x64xf32>)
// CHECK:           %[[D:.*]] = arith.subf
// CHECK:           %[[EXP:.*]] = math.exp %[[D]] : f32
// CHECK:           linalg.yield %[[EXP]]
// CHECK:         %[[S:.*]] = linalg.generic {indexing_maps = [#[[$ID]], #[[$ROW]]], iterator_types = ["parallel", "reduction"]} ins(%[[E]] : tensor<4x64xf32>) outs(%[[ZERO]] : tensor<4xf32>)
// CHECK:           ^bb0(%[[IN:.*]]: f32, %[[ACC:.*]]: f32):
// CHECK:             %[[ADD:.*]] = arith.addf %[[IN]], %[[ACC]] : f32
// CHECK:             linalg.yield %[[ADD]]
// CHECK:         %[[O:.*]] = linalg.generic {indexing_maps = [#[[$ID]], #[[$ROW]], #[[$ROW]], #[[$ID]], #[[$ID]]], {{.*}} ins(%[[X]], %[[M]], %[[S]], %[[E]] : tensor<4x64xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4x64xf32>) outs(%[[OUT]] : tensor<4x64xf32>)
// CHECK:           ^bb0(%{{.*}}: f32, %{{.*}}: f32, %[[SUM:.*]]: f32, %[[EV:.*]]: f32, %{{.*}}: f32):
// CHECK-NOT:         math.exp
// CHECK-NOT:         arith.subf
// CHECK:             %[[R:.*]] = arith.divf %{{.*}}, %[[SUM]]
// CHECK:             %[[P:.*]] = arith.mulf %[[EV]], %[[R]]
// CHECK:             linalg.yield %[[P]]
// CHECK:         return %[[O]], %[[S]]
func.func @softmax_rows(%x: tensor<4x64xf32>, %m: tensor<4xf32>, %zero: tensor<4xf32>, %out: tensor<4x64xf32>) -> (tensor<4x64xf32>, tensor<4xf32>) {
  %s = linalg.generic {indexing_maps = [#id, #row, #row], iterator_types = ["parallel", "reduction"]}
      ins(%x, %m : tensor<4x64xf32>, tensor<4xf32>) outs(%zero : tensor<4xf32>) {
  ^bb0(%a: f32, %b: f32, %acc: f32):
    %d = arith.subf %a, %b : f32
    %e = math.exp %d : f32
    %r = arith.addf %e, %acc : f32
    linalg.yield %r : f32
  } -> tensor<4xf32>
  %o = linalg.generic {indexing_maps = [#id, #row, #row, #id], iterator_types = ["parallel", "parallel"]}
      ins(%x, %m, %s : tensor<4x64xf32>, tensor<4xf32>, tensor<4xf32>) outs(%out : tensor<4x64xf32>) {
  ^bb0(%a: f32, %b: f32, %sum: f32, %unused: f32):
    %one = arith.constant 1.0 : f32
    %r = arith.divf %one, %sum : f32
    %d = arith.subf %a, %b : f32
    %e = math.exp %d : f32
    %p = arith.mulf %e, %r : f32
    linalg.yield %p : f32
  } -> tensor<4x64xf32>
  return %o, %s : tensor<4x64xf32>, tensor<4xf32>
}

// -----

#id = affine_map<(d0, d1) -> (d0, d1)>
#row = affine_map<(d0, d1) -> (d0)>

// Left alone: the output's exp has other operands (x - m2), or the operands
// swapped (m - x).
// CHECK-LABEL: func.func @different_exps(
// CHECK-COUNT-3: math.exp
// CHECK-NOT:     math.exp
func.func @different_exps(%x: tensor<4x64xf32>, %m: tensor<4xf32>, %m2: tensor<4xf32>, %zero: tensor<4xf32>, %out: tensor<4x64xf32>) -> (tensor<4x64xf32>, tensor<4x64xf32>) {
  %s = linalg.generic {indexing_maps = [#id, #row, #row], iterator_types = ["parallel", "reduction"]}
      ins(%x, %m : tensor<4x64xf32>, tensor<4xf32>) outs(%zero : tensor<4xf32>) {
  ^bb0(%a: f32, %b: f32, %acc: f32):
    %d = arith.subf %a, %b : f32
    %e = math.exp %d : f32
    %r = arith.addf %e, %acc : f32
    linalg.yield %r : f32
  } -> tensor<4xf32>
  %o = linalg.generic {indexing_maps = [#id, #row, #row, #id], iterator_types = ["parallel", "parallel"]}
      ins(%x, %m2, %s : tensor<4x64xf32>, tensor<4xf32>, tensor<4xf32>) outs(%out : tensor<4x64xf32>) {
  ^bb0(%a: f32, %b: f32, %sum: f32, %unused: f32):
    %d = arith.subf %a, %b : f32
    %e = math.exp %d : f32
    %p = arith.divf %e, %sum : f32
    linalg.yield %p : f32
  } -> tensor<4x64xf32>
  %o2 = linalg.generic {indexing_maps = [#id, #row, #row, #id], iterator_types = ["parallel", "parallel"]}
      ins(%x, %m, %s : tensor<4x64xf32>, tensor<4xf32>, tensor<4xf32>) outs(%out : tensor<4x64xf32>) {
  ^bb0(%a: f32, %b: f32, %sum: f32, %unused: f32):
    %d = arith.subf %b, %a : f32
    %e = math.exp %d : f32
    %p = arith.divf %e, %sum : f32
    linalg.yield %p : f32
  } -> tensor<4x64xf32>
  return %o, %o2 : tensor<4x64xf32>, tensor<4x64xf32>
}

// -----

// An f16 softmax computed in f32: the shared exps are kept in f32, the
// output op rounds them.
#id = affine_map<(d0, d1) -> (d0, d1)>
#row = affine_map<(d0, d1) -> (d0)>
// CHECK-LABEL: func.func @half_output(
// CHECK:         %[[E:.*]] = linalg.generic {{.*}} outs(%{{.*}} : tensor<4x64xf32>)
// CHECK:           math.exp
// CHECK:         %[[S:.*]] = linalg.generic {{.*}} ins(%[[E]] : tensor<4x64xf32>)
// CHECK:         linalg.generic {{.*}} ins(%{{.*}}, %{{.*}}, %[[S]], %[[E]] : tensor<4x64xf16>, tensor<4xf32>, tensor<4xf32>, tensor<4x64xf32>) outs(%{{.*}} : tensor<4x64xf16>)
// CHECK-NOT:       math.exp
// CHECK:           arith.truncf %{{.*}} : f32 to f16
func.func @half_output(%x: tensor<4x64xf16>, %m: tensor<4xf32>, %zero: tensor<4xf32>, %out: tensor<4x64xf16>) -> tensor<4x64xf16> {
  %s = linalg.generic {indexing_maps = [#id, #row, #row], iterator_types = ["parallel", "reduction"]}
      ins(%x, %m : tensor<4x64xf16>, tensor<4xf32>) outs(%zero : tensor<4xf32>) {
  ^bb0(%a: f16, %b: f32, %acc: f32):
    %w = arith.extf %a : f16 to f32
    %d = arith.subf %w, %b : f32
    %e = math.exp %d : f32
    %r = arith.addf %e, %acc : f32
    linalg.yield %r : f32
  } -> tensor<4xf32>
  %o = linalg.generic {indexing_maps = [#id, #row, #row, #id], iterator_types = ["parallel", "parallel"]}
      ins(%x, %m, %s : tensor<4x64xf16>, tensor<4xf32>, tensor<4xf32>) outs(%out : tensor<4x64xf16>) {
  ^bb0(%a: f16, %b: f32, %sum: f32, %unused: f16):
    %w = arith.extf %a : f16 to f32
    %d = arith.subf %w, %b : f32
    %e = math.exp %d : f32
    %p = arith.divf %e, %sum : f32
    %h = arith.truncf %p : f32 to f16
    linalg.yield %h : f16
  } -> tensor<4x64xf16>
  return %o : tensor<4x64xf16>
}

// -----

// Dynamic sizes: the exps read x, which spans both loops in the sum and in
// the output op, so the two iterate over the same sizes; the buffer of exps
// takes them from x.
#id = affine_map<(d0, d1) -> (d0, d1)>
#row = affine_map<(d0, d1) -> (d0)>
// CHECK-LABEL: func.func @dynamic_rows(
// CHECK-SAME:    %[[X:[a-zA-Z0-9_]+]]: tensor<?x?xf32>
// CHECK-DAG:     %[[R:.*]] = tensor.dim %[[X]], %c0
// CHECK-DAG:     %[[C:.*]] = tensor.dim %[[X]], %c1
// CHECK:         %[[BUF:.*]] = tensor.empty(%[[R]], %[[C]]) : tensor<?x?xf32>
// CHECK:         %[[E:.*]] = linalg.generic {{.*}} outs(%[[BUF]] : tensor<?x?xf32>)
// CHECK:           math.exp
// CHECK:         %[[S:.*]] = linalg.generic {{.*}} ins(%[[E]] : tensor<?x?xf32>)
// CHECK:         linalg.generic {{.*}} ins(%[[X]], %{{.*}}, %[[S]], %[[E]] : tensor<?x?xf32>, tensor<?xf32>, tensor<?xf32>, tensor<?x?xf32>)
// CHECK-NOT:       math.exp
func.func @dynamic_rows(%x: tensor<?x?xf32>, %m: tensor<?xf32>, %zero: tensor<?xf32>, %out: tensor<?x?xf32>) -> tensor<?x?xf32> {
  %s = linalg.generic {indexing_maps = [#id, #row, #row], iterator_types = ["parallel", "reduction"]}
      ins(%x, %m : tensor<?x?xf32>, tensor<?xf32>) outs(%zero : tensor<?xf32>) {
  ^bb0(%a: f32, %b: f32, %acc: f32):
    %d = arith.subf %a, %b : f32
    %e = math.exp %d : f32
    %r = arith.addf %e, %acc : f32
    linalg.yield %r : f32
  } -> tensor<?xf32>
  %o = linalg.generic {indexing_maps = [#id, #row, #row, #id], iterator_types = ["parallel", "parallel"]}
      ins(%x, %m, %s : tensor<?x?xf32>, tensor<?xf32>, tensor<?xf32>) outs(%out : tensor<?x?xf32>) {
  ^bb0(%a: f32, %b: f32, %sum: f32, %unused: f32):
    %d = arith.subf %a, %b : f32
    %e = math.exp %d : f32
    %p = arith.divf %e, %sum : f32
    linalg.yield %p : f32
  } -> tensor<?x?xf32>
  return %o : tensor<?x?xf32>
}

// -----

// Left alone: the exps read only m, which does not span the dynamic
// innermost loop, and the sum and the output op read different tensors
// there (y, z): nothing ties their sizes together.
#id = affine_map<(d0, d1) -> (d0, d1)>
#row = affine_map<(d0, d1) -> (d0)>
// CHECK-LABEL: func.func @dynamic_unrelated(
// CHECK-COUNT-2: math.exp
// CHECK-NOT:     math.exp
func.func @dynamic_unrelated(%y: tensor<?x?xf32>, %z: tensor<?x?xf32>, %m: tensor<?xf32>, %zero: tensor<?xf32>, %out: tensor<?x?xf32>) -> tensor<?x?xf32> {
  %s = linalg.generic {indexing_maps = [#id, #row, #row], iterator_types = ["parallel", "reduction"]}
      ins(%y, %m : tensor<?x?xf32>, tensor<?xf32>) outs(%zero : tensor<?xf32>) {
  ^bb0(%a: f32, %b: f32, %acc: f32):
    %e = math.exp %b : f32
    %r = arith.addf %e, %acc : f32
    linalg.yield %r : f32
  } -> tensor<?xf32>
  %o = linalg.generic {indexing_maps = [#id, #row, #row, #id], iterator_types = ["parallel", "parallel"]}
      ins(%z, %m, %s : tensor<?x?xf32>, tensor<?xf32>, tensor<?xf32>) outs(%out : tensor<?x?xf32>) {
  ^bb0(%a: f32, %b: f32, %sum: f32, %unused: f32):
    %e = math.exp %b : f32
    %p = arith.divf %e, %sum : f32
    linalg.yield %p : f32
  } -> tensor<?x?xf32>
  return %o : tensor<?x?xf32>
}
