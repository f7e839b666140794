// RUN: attn-opt %s --convert-attn-to-linalg --canonicalize --cse --split-input-file | FileCheck %s

// One head (a flash-attention block): the step key-major,
//   S = k (q * scale)^T, m' = max(m, colmax S), a = exp2((m - m') log2 e),
//   P = exp2((S - shift(m')) log2 e) summed in the same pass,
//   acc' = acc a + P^T v; the state updated in place. Each difference is
//   taken in natural units, then scaled to base 2.

// CHECK-DAG:   #[[TR:.*]] = affine_map<(d0, d1) -> (d1, d0)>
// CHECK-DAG:   #[[ID2:.*]] = affine_map<(d0, d1) -> (d0, d1)>
// CHECK-DAG:   #[[MA:.*]] = affine_map<(d0, d1, d2) -> (d0, d2)>
// CHECK-DAG:   #[[MB:.*]] = affine_map<(d0, d1, d2) -> (d2, d1)>
// CHECK-DAG:   #[[MC:.*]] = affine_map<(d0, d1, d2) -> (d0, d1)>
// CHECK-DAG:   #[[MAT:.*]] = affine_map<(d0, d1, d2) -> (d2, d0)>
// CHECK-DAG:   #[[ID1:.*]] = affine_map<(d0) -> (d0)>
// CHECK-DAG:   #[[COL:.*]] = affine_map<(d0, d1) -> (d1)>
// CHECK-DAG:   #[[ROW:.*]] = affine_map<(d0, d1) -> (d0)>
// CHECK-LABEL: func.func @online_attention(
// CHECK-SAME:      %[[Q:[^:]*]]: tensor<16x8xf32>, %[[K:[^:]*]]: tensor<32x8xf32>, %[[V:[^:]*]]: tensor<32x4xf32>, %[[ACC:[^:]*]]: tensor<16x4xf32>, %[[MAX:[^:]*]]: tensor<16xf32>, %[[SUM:[^:]*]]: tensor<16xf32>
// CHECK-DAG:     %[[SCALE:.*]] = arith.constant 0.353553385 : f32
// CHECK-DAG:     %[[NEGINF:.*]] = arith.constant 0xFF800000 : f32
// CHECK-DAG:     %[[LOG2E:.*]] = arith.constant 1.44269502 : f32
// CHECK-DAG:     %[[ZERO:.*]] = arith.constant 0.000000e+00 : f32
// CHECK:         %[[QT:.*]] = linalg.generic {indexing_maps = [#[[TR]], #[[ID2]]], iterator_types = ["parallel", "parallel"]} ins(%{{.*}} : tensor<16x8xf32>) outs(%{{.*}} : tensor<8x16xf32>)
// CHECK:           arith.mulf %{{.*}}, %[[SCALE]]
// CHECK:         %[[S:.*]] = linalg.generic {indexing_maps = [#[[MA]], #[[MB]], #[[MC]]], iterator_types = ["parallel", "parallel", "reduction"]} ins(%{{.*}}, %[[QT]] : tensor<32x8xf32>, tensor<8x16xf32>) outs(%{{.*}} : tensor<32x16xf32>)
// CHECK:         %[[COLMAX:.*]] = linalg.generic {indexing_maps = [#[[ID2]], #[[COL]]], iterator_types = ["reduction", "parallel"]} ins(%[[S]] : tensor<32x16xf32>)
// CHECK:           arith.maxnumf
// CHECK:         %[[A:.*]] = linalg.generic {{.*}} ins(%[[MAXS:[^ ]+]], %[[COLMAX]] :
// CHECK:         ^bb0(%[[OLD:.*]]: f32, %[[CM:.*]]: f32, %{{.*}}: f32):
// CHECK:           %[[NEW:.*]] = arith.maxnumf %[[OLD]], %[[CM]]
// CHECK:           %[[NONE:.*]] = arith.cmpf oeq, %[[OLD]], %[[NEGINF]]
// CHECK:           %[[D:.*]] = arith.subf %[[OLD]], %[[NEW]]
// CHECK:           %[[D2:.*]] = arith.mulf %[[D]], %[[LOG2E]]
// CHECK:           %[[E:.*]] = math.exp2 %[[D2]] {attn.nonpositive}
// CHECK:           arith.select %[[NONE]], %[[ZERO]], %[[E]]
// CHECK:         %[[NEWMAX:.*]] = linalg.generic {{.*}} ins(%[[COLMAX]] : tensor<16xf32>) outs(%[[MAXS]] : tensor<16xf32>)
// CHECK:           arith.maxnumf
// CHECK:         %[[LA:.*]] = linalg.generic {{.*}} ins(%[[A]] : tensor<16xf32>) outs(%[[SUMS:[^ ]+]] : tensor<16xf32>)
// CHECK:         %[[PL:.*]]:2 = linalg.generic {indexing_maps = [#[[ID2]], #[[COL]], #[[ID2]], #[[COL]]], iterator_types = ["reduction", "parallel"]} ins(%[[S]], %[[NEWMAX]] : {{.*}}) outs(%{{.*}}, %[[LA]] :
// CHECK:         ^bb0(%[[SV:.*]]: f32, %[[MV:.*]]: f32, %{{.*}}: f32, %[[LV:.*]]: f32):
// CHECK:           %[[SHIFT:.*]] = arith.select %{{.*}}, %[[ZERO]], %[[MV]]
// CHECK:           %[[PD:.*]] = arith.subf %[[SV]], %[[SHIFT]]
// CHECK:           %[[PD2:.*]] = arith.mulf %[[PD]], %[[LOG2E]]
// CHECK:           %[[P:.*]] = math.exp2 %[[PD2]] {attn.nonpositive}
// CHECK:           %[[T:.*]] = arith.addf %[[LV]], %[[P]]
// CHECK:           linalg.yield %[[P]], %[[T]]
// CHECK:         %[[ACCA:.*]] = linalg.generic {indexing_maps = [#[[ROW]], #[[ID2]]], {{.*}} ins(%[[A]] : tensor<16xf32>) outs(%[[ACCS:[^ ]+]] : tensor<16x4xf32>)
// CHECK:         %[[NEWACC:.*]] = linalg.generic {indexing_maps = [#[[MAT]], #[[MB]], #[[MC]]], iterator_types = ["parallel", "parallel", "reduction"]} ins(%[[PL]]#0, %{{.*}} : tensor<32x16xf32>, tensor<32x4xf32>) outs(%[[ACCA]] : tensor<16x4xf32>)
// CHECK:         %[[ACCI:.*]] = tensor.insert_slice %[[NEWACC]]
// CHECK:         %[[RA:.*]] = tensor.collapse_shape %[[ACCI]]
// CHECK:         %[[MAXI:.*]] = tensor.insert_slice %[[NEWMAX]]
// CHECK:         %[[RM:.*]] = tensor.collapse_shape %[[MAXI]]
// CHECK:         %[[SUMI:.*]] = tensor.insert_slice %[[PL]]#1
// CHECK:         %[[RL:.*]] = tensor.collapse_shape %[[SUMI]]
// CHECK:         return %[[RA]], %[[RM]], %[[RL]]
func.func @online_attention(%q: tensor<16x8xf32>, %k: tensor<32x8xf32>, %v: tensor<32x4xf32>, %acc: tensor<16x4xf32>, %m: tensor<16xf32>, %l: tensor<16xf32>) -> (tensor<16x4xf32>, tensor<16xf32>, tensor<16xf32>) {
  %r:3 = attn.online_attention %q, %k, %v into %acc, %m, %l : tensor<16x8xf32>, tensor<32x8xf32>, tensor<32x4xf32> -> tensor<16x4xf32>, tensor<16xf32>, tensor<16xf32>
  return %r#0, %r#1, %r#2 : tensor<16x4xf32>, tensor<16xf32>, tensor<16xf32>
}

// -----

// Several heads: one online-attention step in linalg, queries first:
//   m' = max(m, rowmax s), alpha = exp(m - shift), p = exp(s - shift),
//   l' = alpha l + rowsum p, acc' = alpha acc + p v, shift = m' (0 if -inf).

// CHECK-DAG:   #[[ID4:.*]] = affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>
// CHECK-DAG:   #[[ROW4:.*]] = affine_map<(d0, d1, d2, d3) -> (d0, d1, d2)>
// CHECK-DAG:   #[[ID3:.*]] = affine_map<(d0, d1, d2) -> (d0, d1, d2)>
// CHECK-LABEL: func.func @online_attention_heads(
// CHECK-SAME:      %[[Q:[^:]*]]: tensor<2x16x8xf32>, %[[K:[^:]*]]: tensor<2x32x8xf32>, %[[V:[^:]*]]: tensor<2x32x4xf32>, %[[ACC:[^:]*]]: tensor<2x16x4xf32>, %[[MAX:[^:]*]]: tensor<2x16xf32>, %[[SUM:[^:]*]]: tensor<2x16xf32>
// CHECK-DAG:     %[[NEGINF:.*]] = arith.constant 0xFF800000 : f32
// CHECK-DAG:     %[[ZERO:.*]] = arith.constant 0.000000e+00 : f32
// CHECK-DAG:     %[[SCALE:.*]] = arith.constant 0.353553385 : f32
// CHECK:         %[[QK:.*]] = linalg.generic {{.*}} iterator_types = ["parallel", "parallel", "parallel", "parallel", "reduction"]}
// CHECK:         %[[S:.*]] = linalg.generic {{.*}} ins(%[[QK]] : tensor<1x2x16x32xf32>)
// CHECK:           arith.mulf %{{.*}}, %[[SCALE]]
// CHECK:         %[[ACC4:.*]] = tensor.expand_shape %[[ACC]]
// CHECK:         %[[MAX3:.*]] = tensor.expand_shape %[[MAX]]
// CHECK:         %[[SUM3:.*]] = tensor.expand_shape %[[SUM]]
// CHECK:         %[[NEWMAX:.*]] = linalg.generic {indexing_maps = [#[[ID4]], #[[ROW4]]], iterator_types = ["parallel", "parallel", "parallel", "reduction"]} ins(%[[S]] : tensor<1x2x16x32xf32>) outs(%[[MAX3]] : tensor<1x2x16xf32>)
// CHECK:           arith.maxnumf
// CHECK:         %[[ALPHA:.*]] = linalg.generic {indexing_maps = [#[[ID3]], #[[ID3]], #[[ID3]]], {{.*}} ins(%[[MAX3]], %[[NEWMAX]] :
// CHECK:         ^bb0(%[[OLD:.*]]: f32, %[[NEW:.*]]: f32, %{{.*}}: f32):
// CHECK:           %[[NONE:.*]] = arith.cmpf oeq, %[[NEW]], %[[NEGINF]]
// CHECK:           %[[SHIFT:.*]] = arith.select %[[NONE]], %[[ZERO]], %[[NEW]]
// CHECK:           %[[D:.*]] = arith.subf %[[OLD]], %[[SHIFT]]
// CHECK:           math.exp %[[D]]
// CHECK:         %[[P:.*]] = linalg.generic {indexing_maps = [#[[ID4]], #[[ROW4]], #[[ID4]]], {{.*}} ins(%[[S]], %[[NEWMAX]] :
// CHECK:           math.exp
// CHECK:         %[[SCALEDSUM:.*]] = linalg.generic {{.*}} ins(%[[SUM3]], %[[ALPHA]] :
// CHECK:           arith.mulf
// CHECK:         %[[NEWSUM:.*]] = linalg.generic {{.*}} iterator_types = ["parallel", "parallel", "parallel", "reduction"]} ins(%[[P]] : tensor<1x2x16x32xf32>) outs(%[[SCALEDSUM]] : tensor<1x2x16xf32>)
// CHECK:           arith.addf
// CHECK:         %[[SCALEDACC:.*]] = linalg.generic {{.*}} ins(%[[ACC4]], %[[ALPHA]] :
// CHECK:         %[[NEWACC:.*]] = linalg.generic {{.*}} iterator_types = ["parallel", "parallel", "parallel", "parallel", "reduction"]} ins(%[[P]], %{{.*}} : tensor<1x2x16x32xf32>, tensor<1x2x32x4xf32>) outs(%[[SCALEDACC]] : tensor<1x2x16x4xf32>)
// CHECK:         %[[A:.*]] = tensor.collapse_shape %[[NEWACC]]
// CHECK:         %[[M:.*]] = tensor.collapse_shape %[[NEWMAX]]
// CHECK:         %[[L:.*]] = tensor.collapse_shape %[[NEWSUM]]
// CHECK:         return %[[A]], %[[M]], %[[L]]
func.func @online_attention_heads(%q: tensor<2x16x8xf32>, %k: tensor<2x32x8xf32>, %v: tensor<2x32x4xf32>, %acc: tensor<2x16x4xf32>, %m: tensor<2x16xf32>, %l: tensor<2x16xf32>) -> (tensor<2x16x4xf32>, tensor<2x16xf32>, tensor<2x16xf32>) {
  %r:3 = attn.online_attention %q, %k, %v into %acc, %m, %l : tensor<2x16x8xf32>, tensor<2x32x8xf32>, tensor<2x32x4xf32> -> tensor<2x16x4xf32>, tensor<2x16xf32>, tensor<2x16xf32>
  return %r#0, %r#1, %r#2 : tensor<2x16x4xf32>, tensor<2x16xf32>, tensor<2x16xf32>
}

// -----

// No key: the state as it is.
// CHECK-LABEL: func.func @online_attention_no_key(
// CHECK-SAME:      %{{[^:]*}}: tensor<16x8xf32>, %{{[^:]*}}: tensor<0x8xf32>, %{{[^:]*}}: tensor<0x4xf32>, %[[ACC:[^:]*]]: tensor<16x4xf32>, %[[MAX:[^:]*]]: tensor<16xf32>, %[[SUM:[^:]*]]: tensor<16xf32>
// CHECK-NEXT:    return %[[ACC]], %[[MAX]], %[[SUM]]
func.func @online_attention_no_key(%q: tensor<16x8xf32>, %k: tensor<0x8xf32>, %v: tensor<0x4xf32>, %acc: tensor<16x4xf32>, %m: tensor<16xf32>, %l: tensor<16xf32>) -> (tensor<16x4xf32>, tensor<16xf32>, tensor<16xf32>) {
  %r:3 = attn.online_attention %q, %k, %v causal into %acc, %m, %l : tensor<16x8xf32>, tensor<0x8xf32>, tensor<0x4xf32> -> tensor<16x4xf32>, tensor<16xf32>, tensor<16xf32>
  return %r#0, %r#1, %r#2 : tensor<16x4xf32>, tensor<16xf32>, tensor<16xf32>
}
