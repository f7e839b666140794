// RUN: attn-opt %s --convert-attn-to-linalg --canonicalize --cse --split-input-file | FileCheck %s

// One online-attention step in linalg (the op's AggregatedOpInterface):
//   m' = max(m, rowmax s), alpha = exp(m - shift), p = exp(s - shift),
//   l' = alpha l + rowsum p, acc' = alpha acc + p v, shift = m' (0 if -inf).

// CHECK-DAG:   #[[ID4:.*]] = affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>
// CHECK-DAG:   #[[ROW4:.*]] = affine_map<(d0, d1, d2, d3) -> (d0, d1, d2)>
// CHECK-DAG:   #[[ID3:.*]] = affine_map<(d0, d1, d2) -> (d0, d1, d2)>
// CHECK-LABEL: func.func @online_attention(
// CHECK-SAME:      %[[Q:[^:]*]]: tensor<16x8xf32>, %[[K:[^:]*]]: tensor<32x8xf32>, %[[V:[^:]*]]: tensor<32x4xf32>, %[[ACC:[^:]*]]: tensor<16x4xf32>, %[[MAX:[^:]*]]: tensor<16xf32>, %[[SUM:[^:]*]]: tensor<16xf32>
// CHECK-DAG:     %[[NEGINF:.*]] = arith.constant 0xFF800000 : f32
// CHECK-DAG:     %[[ZERO:.*]] = arith.constant 0.000000e+00 : f32
// CHECK-DAG:     %[[SCALE:.*]] = arith.constant 0.353553385 : f32
// CHECK:         %[[QK:.*]] = linalg.generic {{.*}} iterator_types = ["parallel", "parallel", "parallel", "parallel", "reduction"]}
// CHECK:         %[[S:.*]] = linalg.generic {{.*}} ins(%[[QK]] : tensor<1x1x16x32xf32>)
// CHECK:           arith.mulf %{{.*}}, %[[SCALE]]
// CHECK:         %[[ACC4:.*]] = tensor.expand_shape %[[ACC]]
// CHECK:         %[[MAX3:.*]] = tensor.expand_shape %[[MAX]]
// CHECK:         %[[SUM3:.*]] = tensor.expand_shape %[[SUM]]
// CHECK:         %[[NEWMAX:.*]] = linalg.generic {indexing_maps = [#[[ID4]], #[[ROW4]]], iterator_types = ["parallel", "parallel", "parallel", "reduction"]} ins(%[[S]] : tensor<1x1x16x32xf32>) outs(%[[MAX3]] : tensor<1x1x16xf32>)
// CHECK:           arith.maximumf
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
// CHECK:         %[[NEWSUM:.*]] = linalg.generic {{.*}} iterator_types = ["parallel", "parallel", "parallel", "reduction"]} ins(%[[P]] : tensor<1x1x16x32xf32>) outs(%[[SCALEDSUM]] : tensor<1x1x16xf32>)
// CHECK:           arith.addf
// CHECK:         %[[SCALEDACC:.*]] = linalg.generic {{.*}} ins(%[[ACC4]], %[[ALPHA]] :
// CHECK:         %[[NEWACC:.*]] = linalg.generic {{.*}} iterator_types = ["parallel", "parallel", "parallel", "parallel", "reduction"]} ins(%[[P]], %{{.*}} : tensor<1x1x16x32xf32>, tensor<1x1x32x4xf32>) outs(%[[SCALEDACC]] : tensor<1x1x16x4xf32>)
// CHECK:         %[[A:.*]] = tensor.collapse_shape %[[NEWACC]]
// CHECK:         %[[M:.*]] = tensor.collapse_shape %[[NEWMAX]]
// CHECK:         %[[L:.*]] = tensor.collapse_shape %[[NEWSUM]]
// CHECK:         return %[[A]], %[[M]], %[[L]]
func.func @online_attention(%q: tensor<16x8xf32>, %k: tensor<32x8xf32>, %v: tensor<32x4xf32>, %acc: tensor<16x4xf32>, %m: tensor<16xf32>, %l: tensor<16xf32>) -> (tensor<16x4xf32>, tensor<16xf32>, tensor<16xf32>) {
  %r:3 = attn.online_attention %q, %k, %v into %acc, %m, %l : tensor<16x8xf32>, tensor<32x8xf32>, tensor<32x4xf32> -> tensor<16x4xf32>, tensor<16xf32>, tensor<16xf32>
  return %r#0, %r#1, %r#2 : tensor<16x4xf32>, tensor<16xf32>, tensor<16xf32>
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
