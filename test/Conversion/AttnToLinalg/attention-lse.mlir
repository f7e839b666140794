// RUN: attn-opt %s --convert-attn-to-linalg --split-input-file | FileCheck %s
// RUN: attn-opt %s --convert-attn-to-linalg="attention=decomposed" --split-input-file | FileCheck %s --check-prefix=DECOMPOSED

// with_lse: each query block's state leaves lse = m + log(l), +inf where
// l == 0 (a row that saw no key), written beside the block's output rows.
// CHECK-LABEL: func.func @attention_lse(
// CHECK:         %[[LOOP:.*]]:2 = scf.for %{{.*}} iter_args(%[[OUT:.*]] = %{{.*}}, %[[LSE:.*]] = %{{.*}}) -> (tensor<1x2x64x16xf32>, tensor<1x2x64xf32>)
// CHECK:           %[[STATE:.*]]:3 = scf.for
// CHECK:           %[[MAX:.*]] = tensor.extract_slice %[[STATE]]#1[0, 0, 0] [1, 1, 64] [1, 1, 1] : tensor<1x1x64xf32> to tensor<64xf32>
// CHECK:           %[[ROWS:.*]] = linalg.generic {{.*}} ins(%[[MAX]], %[[SUM:.*]] : tensor<64xf32>, tensor<64xf32>)
// CHECK-NEXT:      ^bb0(%[[M:.*]]: f32, %[[L:.*]]: f32, %{{.*}}: f32):
// CHECK-NEXT:        %[[LOG:.*]] = math.log %[[L]] : f32
// CHECK-NEXT:        %[[V:.*]] = arith.addf %[[M]], %[[LOG]] : f32
// CHECK-NEXT:        %[[EMPTY:.*]] = arith.cmpf oeq, %[[L]], %{{.*}} : f32
// CHECK-NEXT:        %[[INF:.*]] = arith.constant 0x7F800000 : f32
// CHECK-NEXT:        %[[R:.*]] = arith.select %[[EMPTY]], %[[INF]], %[[V]] : f32
// CHECK:           tensor.insert_slice %{{.*}} into %[[OUT]]
// CHECK:           tensor.insert_slice %[[ROWS]] into %[[LSE]][%{{.*}}, %{{.*}}, %{{.*}}] [1, 1, 64] [1, 1, 1] : tensor<64xf32> into tensor<1x2x64xf32>
// CHECK:         return %[[LOOP]]#0, %[[LOOP]]#1

// The decomposed form: the logsumexp of all the scores, -inf -> +inf.
// DECOMPOSED-LABEL: func.func @attention_lse(
// DECOMPOSED:         linalg.reduce
// DECOMPOSED:           arith.maximumf
// DECOMPOSED:         math.log
// DECOMPOSED:         %[[LSE:.*]] = linalg.generic
// DECOMPOSED:           arith.constant 0x7F800000 : f32
// DECOMPOSED:           arith.select
// DECOMPOSED:         return %{{.*}}, %[[LSE]] : tensor<1x2x64x16xf32>, tensor<1x2x64xf32>
func.func @attention_lse(%q: tensor<1x2x64x16xf32>, %k: tensor<1x2x64x16xf32>, %v: tensor<1x2x64x16xf32>) -> (tensor<1x2x64x16xf32>, tensor<1x2x64xf32>) {
  %o, %l = attn.attention %q, %k, %v with_lse : tensor<1x2x64x16xf32>, tensor<1x2x64x16xf32>, tensor<1x2x64x16xf32>
  return %o, %l : tensor<1x2x64x16xf32>, tensor<1x2x64xf32>
}

// -----

// No key: the output is masked_rows' and every lse +inf.
// CHECK-LABEL: func.func @attention_lse_no_key(
// CHECK:           %[[INF:.*]] = arith.constant 0x7F800000 : f32
// CHECK:           arith.select %{{.*}}, %[[INF]]
// CHECK:         } -> tensor<1x1x4xf32>
// CHECK:         %[[ROWS:.*]] = tensor.collapse_shape %{{.*}} {{\[}}[0, 1, 2]] : tensor<1x1x4xf32> into tensor<4xf32>
// CHECK:         return %{{.*}}, %[[ROWS]]
func.func @attention_lse_no_key(%q: tensor<4x8xf32>, %k: tensor<0x8xf32>, %v: tensor<0x8xf32>) -> (tensor<4x8xf32>, tensor<4xf32>) {
  %o, %l = attn.attention %q, %k, %v with_lse : tensor<4x8xf32>, tensor<0x8xf32>, tensor<0x8xf32>
  return %o, %l : tensor<4x8xf32>, tensor<4xf32>
}

// -----

// f16 operands: the attention is computed in f32; its lse stays f32.
// CHECK-LABEL: func.func @attention_lse_f16(
// CHECK:         %[[LOOP:.*]]:2 = scf.for
// CHECK:         %[[OUT:.*]] = linalg.generic {{.*}} ins(%{{.*}} : tensor<16x8xf32>) outs(%{{.*}} : tensor<16x8xf16>)
// CHECK:           arith.truncf
// CHECK:         return %[[OUT]], %{{.*}} : tensor<16x8xf16>, tensor<16xf32>
func.func @attention_lse_f16(%q: tensor<16x8xf16>, %k: tensor<16x8xf16>, %v: tensor<16x8xf16>) -> (tensor<16x8xf16>, tensor<16xf32>) {
  %o, %l = attn.attention %q, %k, %v with_lse : tensor<16x8xf16>, tensor<16x8xf16>, tensor<16x8xf16>
  return %o, %l : tensor<16x8xf16>, tensor<16xf32>
}
