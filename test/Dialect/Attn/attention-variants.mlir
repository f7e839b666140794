// RUN: attn-opt %s --split-input-file | attn-opt --split-input-file | FileCheck %s
// Round trip of attention's score options (sliding window, softcap, ALiBi
// slopes, boolean mask): custom form back to custom form, and through the
// generic form.
// RUN: attn-opt %s --split-input-file --mlir-print-op-generic | attn-opt --split-input-file | FileCheck %s

// A sliding window alone: `left` keys before the diagonal, `right` after.
// CHECK-LABEL: func.func @attention_window(
// CHECK-SAME:    %[[Q:[a-zA-Z0-9_]+]]: tensor<1x8x64x16xf32>, %[[K:[a-zA-Z0-9_]+]]: tensor<1x2x64x16xf32>, %[[V:[a-zA-Z0-9_]+]]: tensor<1x2x64x16xf32>)
// CHECK:         %[[R:.*]] = attn.attention %[[Q]], %[[K]], %[[V]] window = [256, 0] : tensor<1x8x64x16xf32>, tensor<1x2x64x16xf32>, tensor<1x2x64x16xf32>
// CHECK:         return %[[R]] : tensor<1x8x64x16xf32>
func.func @attention_window(%q: tensor<1x8x64x16xf32>, %k: tensor<1x2x64x16xf32>, %v: tensor<1x2x64x16xf32>) -> tensor<1x8x64x16xf32> {
  %r = attn.attention %q, %k, %v window = [256, 0] : tensor<1x8x64x16xf32>, tensor<1x2x64x16xf32>, tensor<1x2x64x16xf32>
  return %r : tensor<1x8x64x16xf32>
}

// -----

// -1 is an unbounded side; 0 is a window of the diagonal alone.
// CHECK-LABEL: func.func @attention_window_unbounded(
// CHECK:         attn.attention %{{.*}}, %{{.*}}, %{{.*}} window = [-1, 8] : tensor<4x32x16xbf16>, tensor<4x32x16xbf16>, tensor<4x32x16xbf16>
// CHECK:         attn.attention %{{.*}}, %{{.*}}, %{{.*}} causal window = [0, -1] : tensor<4x32x16xbf16>, tensor<4x32x16xbf16>, tensor<4x32x16xbf16>
func.func @attention_window_unbounded(%x: tensor<4x32x16xbf16>) -> (tensor<4x32x16xbf16>, tensor<4x32x16xbf16>) {
  %0 = attn.attention %x, %x, %x window = [-1, 8] : tensor<4x32x16xbf16>, tensor<4x32x16xbf16>, tensor<4x32x16xbf16>
  %1 = attn.attention %x, %x, %x causal window = [0, -1] : tensor<4x32x16xbf16>, tensor<4x32x16xbf16>, tensor<4x32x16xbf16>
  return %0, %1 : tensor<4x32x16xbf16>, tensor<4x32x16xbf16>
}

// -----

// The softcap prints as an f64 in exponent form.
// CHECK-LABEL: func.func @attention_softcap(
// CHECK:         attn.attention %{{.*}}, %{{.*}}, %{{.*}} softcap = 3.000000e+01 : tensor<16x64xf16>, tensor<32x64xf16>, tensor<32x64xf16>
// CHECK:         attn.attention %{{.*}}, %{{.*}}, %{{.*}} scale = 1.250000e-01 softcap = 5.000000e-01 : tensor<16x64xf16>, tensor<32x64xf16>, tensor<32x64xf16>
func.func @attention_softcap(%q: tensor<16x64xf16>, %k: tensor<32x64xf16>) -> (tensor<16x64xf16>, tensor<16x64xf16>) {
  %0 = attn.attention %q, %k, %k softcap = 30.0 : tensor<16x64xf16>, tensor<32x64xf16>, tensor<32x64xf16>
  %1 = attn.attention %q, %k, %k scale = 0.125 softcap = 0.5 : tensor<16x64xf16>, tensor<32x64xf16>, tensor<32x64xf16>
  return %0, %1 : tensor<16x64xf16>, tensor<16x64xf16>
}

// -----

// ALiBi slopes, one per query head (not per key/value head): their type
// closes the type list after the mask's. Rank 2 is one head: one slope.
// CHECK-LABEL: func.func @attention_alibi(
// CHECK-SAME:    %[[Q:[a-zA-Z0-9_]+]]: tensor<2x8x64x16xf32>, %[[K:[a-zA-Z0-9_]+]]: tensor<2x2x64x16xf32>, %[[S:[a-zA-Z0-9_]+]]: tensor<8xf32>, %[[M:[a-zA-Z0-9_]+]]: tensor<64x64xf32>, %[[X:[a-zA-Z0-9_]+]]: tensor<?x32x16xf64>, %[[SD:[a-zA-Z0-9_]+]]: tensor<?xf64>, %[[Q2:[a-zA-Z0-9_]+]]: tensor<8x16xf32>, %[[S1:[a-zA-Z0-9_]+]]: tensor<1xf32>)
// CHECK:         attn.attention %[[Q]], %[[K]], %[[K]] alibi %[[S]] : tensor<2x8x64x16xf32>, tensor<2x2x64x16xf32>, tensor<2x2x64x16xf32> alibi tensor<8xf32>
// CHECK:         attn.attention %[[Q]], %[[K]], %[[K]] mask %[[M]] alibi %[[S]] causal : tensor<2x8x64x16xf32>, tensor<2x2x64x16xf32>, tensor<2x2x64x16xf32>, tensor<64x64xf32> alibi tensor<8xf32>
// CHECK:         attn.attention %[[X]], %[[X]], %[[X]] alibi %[[SD]] : tensor<?x32x16xf64>, tensor<?x32x16xf64>, tensor<?x32x16xf64> alibi tensor<?xf64>
// CHECK:         attn.attention %[[Q2]], %[[Q2]], %[[Q2]] alibi %[[S1]] : tensor<8x16xf32>, tensor<8x16xf32>, tensor<8x16xf32> alibi tensor<1xf32>
func.func @attention_alibi(%q: tensor<2x8x64x16xf32>, %k: tensor<2x2x64x16xf32>, %s: tensor<8xf32>, %m: tensor<64x64xf32>,
                           %x: tensor<?x32x16xf64>, %sd: tensor<?xf64>, %q2: tensor<8x16xf32>, %s1: tensor<1xf32>) {
  %0 = attn.attention %q, %k, %k alibi %s : tensor<2x8x64x16xf32>, tensor<2x2x64x16xf32>, tensor<2x2x64x16xf32> alibi tensor<8xf32>
  %1 = attn.attention %q, %k, %k mask %m alibi %s causal : tensor<2x8x64x16xf32>, tensor<2x2x64x16xf32>, tensor<2x2x64x16xf32>, tensor<64x64xf32> alibi tensor<8xf32>
  %2 = attn.attention %x, %x, %x alibi %sd : tensor<?x32x16xf64>, tensor<?x32x16xf64>, tensor<?x32x16xf64> alibi tensor<?xf64>
  %3 = attn.attention %q2, %q2, %q2 alibi %s1 : tensor<8x16xf32>, tensor<8x16xf32>, tensor<8x16xf32> alibi tensor<1xf32>
  return
}

// -----

// A boolean mask (true keeps), broadcast like an additive one; its element
// type is i1 whatever the query's.
// CHECK-LABEL: func.func @attention_bool_mask(
// CHECK-SAME:    %[[Q:[a-zA-Z0-9_]+]]: tensor<1x4x64x16xbf16>, %[[M:[a-zA-Z0-9_]+]]: tensor<1x1x64x64xi1>, %[[MK:[a-zA-Z0-9_]+]]: tensor<64xi1>)
// CHECK:         attn.attention %[[Q]], %[[Q]], %[[Q]] mask %[[M]] : tensor<1x4x64x16xbf16>, tensor<1x4x64x16xbf16>, tensor<1x4x64x16xbf16>, tensor<1x1x64x64xi1>
// CHECK:         attn.attention %[[Q]], %[[Q]], %[[Q]] mask %[[MK]] causal : tensor<1x4x64x16xbf16>, tensor<1x4x64x16xbf16>, tensor<1x4x64x16xbf16>, tensor<64xi1>
func.func @attention_bool_mask(%q: tensor<1x4x64x16xbf16>, %m: tensor<1x1x64x64xi1>, %mk: tensor<64xi1>) {
  %0 = attn.attention %q, %q, %q mask %m : tensor<1x4x64x16xbf16>, tensor<1x4x64x16xbf16>, tensor<1x4x64x16xbf16>, tensor<1x1x64x64xi1>
  %1 = attn.attention %q, %q, %q mask %mk causal : tensor<1x4x64x16xbf16>, tensor<1x4x64x16xbf16>, tensor<1x4x64x16xbf16>, tensor<64xi1>
  return
}

// -----

// A diagonal places the window and the ALiBi distances without causal.
// CHECK-LABEL: func.func @attention_diagonal(
// CHECK-SAME:    %[[Q:[a-zA-Z0-9_]+]]: tensor<4x32x16xf32>, %[[S:[a-zA-Z0-9_]+]]: tensor<4xf32>, %[[D:[a-zA-Z0-9_]+]]: index)
// CHECK:         attn.attention %[[Q]], %[[Q]], %[[Q]] window = [4, 4] diagonal %[[D]] : tensor<4x32x16xf32>, tensor<4x32x16xf32>, tensor<4x32x16xf32>
// CHECK:         attn.attention %[[Q]], %[[Q]], %[[Q]] alibi %[[S]] diagonal %[[D]] : tensor<4x32x16xf32>, tensor<4x32x16xf32>, tensor<4x32x16xf32> alibi tensor<4xf32>
// CHECK:         attn.attention %[[Q]], %[[Q]], %[[Q]] causal window = [4, 0] diagonal %[[D]] : tensor<4x32x16xf32>, tensor<4x32x16xf32>, tensor<4x32x16xf32>
func.func @attention_diagonal(%q: tensor<4x32x16xf32>, %s: tensor<4xf32>, %d: index) {
  %0 = attn.attention %q, %q, %q window = [4, 4] diagonal %d : tensor<4x32x16xf32>, tensor<4x32x16xf32>, tensor<4x32x16xf32>
  %1 = attn.attention %q, %q, %q alibi %s diagonal %d : tensor<4x32x16xf32>, tensor<4x32x16xf32>, tensor<4x32x16xf32> alibi tensor<4xf32>
  %2 = attn.attention %q, %q, %q causal window = [4, 0] diagonal %d : tensor<4x32x16xf32>, tensor<4x32x16xf32>, tensor<4x32x16xf32>
  return
}

// -----

// Every option at once, printed in the order mask, alibi, scale, causal,
// window, softcap, diagonal, masked_rows, dropout, rng, with_lse.
// CHECK-LABEL: func.func @attention_all(
// CHECK-SAME:    %[[Q:[a-zA-Z0-9_]+]]: tensor<1x8x64x16xf32>, %[[K:[a-zA-Z0-9_]+]]: tensor<1x2x64x16xf32>, %[[M:[a-zA-Z0-9_]+]]: tensor<1x1x64x64xi1>, %[[S:[a-zA-Z0-9_]+]]: tensor<8xf32>, %[[D:[a-zA-Z0-9_]+]]: index, %[[R:[a-zA-Z0-9_]+]]: tensor<2xi64>)
// CHECK:         %[[O:.*]], %[[L:.*]] = attn.attention %[[Q]], %[[K]], %[[K]] mask %[[M]] alibi %[[S]] scale = 2.500000e-01 causal window = [256, 0] softcap = 3.000000e+01 diagonal %[[D]] masked_rows = nan dropout = 1.000000e-01 rng %[[R]] with_lse : tensor<1x8x64x16xf32>, tensor<1x2x64x16xf32>, tensor<1x2x64x16xf32>, tensor<1x1x64x64xi1> alibi tensor<8xf32>
// CHECK:         return %[[O]], %[[L]] : tensor<1x8x64x16xf32>, tensor<1x8x64xf32>
func.func @attention_all(%q: tensor<1x8x64x16xf32>, %k: tensor<1x2x64x16xf32>, %m: tensor<1x1x64x64xi1>, %s: tensor<8xf32>, %d: index, %r: tensor<2xi64>) -> (tensor<1x8x64x16xf32>, tensor<1x8x64xf32>) {
  %o, %lse = attn.attention %q, %k, %k mask %m alibi %s scale = 0.25 causal window = [256, 0] softcap = 30.0 diagonal %d masked_rows = nan dropout = 0.1 rng %r with_lse
      : tensor<1x8x64x16xf32>, tensor<1x2x64x16xf32>, tensor<1x2x64x16xf32>, tensor<1x1x64x64xi1> alibi tensor<8xf32>
  return %o, %lse : tensor<1x8x64x16xf32>, tensor<1x8x64xf32>
}

// -----

// The online form takes the same options; the alibi type comes before `->`.
// CHECK-LABEL: func.func @online_attention(
// CHECK-SAME:    %[[Q:[a-zA-Z0-9_]+]]: tensor<8x64x32xf32>, %[[K:[a-zA-Z0-9_]+]]: tensor<2x16x32xf32>, %[[V:[a-zA-Z0-9_]+]]: tensor<2x16x8xf32>, %[[ACC:[a-zA-Z0-9_]+]]: tensor<8x64x8xf32>, %[[MAX:[a-zA-Z0-9_]+]]: tensor<8x64xf32>, %[[SUM:[a-zA-Z0-9_]+]]: tensor<8x64xf32>, %[[S:[a-zA-Z0-9_]+]]: tensor<8xf32>, %[[M:[a-zA-Z0-9_]+]]: tensor<64x16xi1>, %[[D:[a-zA-Z0-9_]+]]: index)
// CHECK:         attn.online_attention %[[Q]], %[[K]], %[[V]] window = [32, 0] into %[[ACC]], %[[MAX]], %[[SUM]] : tensor<8x64x32xf32>, tensor<2x16x32xf32>, tensor<2x16x8xf32> -> tensor<8x64x8xf32>, tensor<8x64xf32>, tensor<8x64xf32>
// CHECK:         attn.online_attention %[[Q]], %[[K]], %[[V]] alibi %[[S]] softcap = 5.000000e+01 into %[[ACC]], %[[MAX]], %[[SUM]] : tensor<8x64x32xf32>, tensor<2x16x32xf32>, tensor<2x16x8xf32> alibi tensor<8xf32> -> tensor<8x64x8xf32>, tensor<8x64xf32>, tensor<8x64xf32>
// CHECK:         attn.online_attention %[[Q]], %[[K]], %[[V]] mask %[[M]] alibi %[[S]] scale = 5.000000e-01 causal window = [8, 0] softcap = 3.000000e+01 diagonal %[[D]] into %[[ACC]], %[[MAX]], %[[SUM]] : tensor<8x64x32xf32>, tensor<2x16x32xf32>, tensor<2x16x8xf32>, tensor<64x16xi1> alibi tensor<8xf32> -> tensor<8x64x8xf32>, tensor<8x64xf32>, tensor<8x64xf32>
func.func @online_attention(%q: tensor<8x64x32xf32>, %k: tensor<2x16x32xf32>, %v: tensor<2x16x8xf32>,
                            %acc: tensor<8x64x8xf32>, %max: tensor<8x64xf32>, %sum: tensor<8x64xf32>,
                            %s: tensor<8xf32>, %m: tensor<64x16xi1>, %d: index) {
  %0:3 = attn.online_attention %q, %k, %v window = [32, 0] into %acc, %max, %sum
      : tensor<8x64x32xf32>, tensor<2x16x32xf32>, tensor<2x16x8xf32> -> tensor<8x64x8xf32>, tensor<8x64xf32>, tensor<8x64xf32>
  %1:3 = attn.online_attention %q, %k, %v alibi %s softcap = 50.0 into %acc, %max, %sum
      : tensor<8x64x32xf32>, tensor<2x16x32xf32>, tensor<2x16x8xf32> alibi tensor<8xf32> -> tensor<8x64x8xf32>, tensor<8x64xf32>, tensor<8x64xf32>
  %2:3 = attn.online_attention %q, %k, %v mask %m alibi %s scale = 0.5 causal window = [8, 0] softcap = 30.0 diagonal %d into %acc, %max, %sum
      : tensor<8x64x32xf32>, tensor<2x16x32xf32>, tensor<2x16x8xf32>, tensor<64x16xi1> alibi tensor<8xf32> -> tensor<8x64x8xf32>, tensor<8x64xf32>, tensor<8x64xf32>
  return
}

// -----

// The gradient takes the forward's options, a boolean mask included.
// CHECK-LABEL: func.func @attention_backward(
// CHECK-SAME:    %[[DO:[a-zA-Z0-9_]+]]: tensor<1x8x128x32xf32>, %[[Q:[a-zA-Z0-9_]+]]: tensor<1x8x128x64xf32>, %[[K:[a-zA-Z0-9_]+]]: tensor<1x2x256x64xf32>, %[[V:[a-zA-Z0-9_]+]]: tensor<1x2x256x32xf32>, %[[O:[a-zA-Z0-9_]+]]: tensor<1x8x128x32xf32>, %[[L:[a-zA-Z0-9_]+]]: tensor<1x8x128xf32>, %[[M:[a-zA-Z0-9_]+]]: tensor<128x256xi1>, %[[S:[a-zA-Z0-9_]+]]: tensor<8xf32>, %[[D:[a-zA-Z0-9_]+]]: index)
// CHECK:         attn.attention_backward %[[DO]], %[[Q]], %[[K]], %[[V]], %[[O]], %[[L]] mask %[[M]] : tensor<1x8x128x32xf32>, tensor<1x8x128x64xf32>, tensor<1x2x256x64xf32>, tensor<1x2x256x32xf32>, tensor<1x8x128x32xf32>, tensor<1x8x128xf32>, tensor<128x256xi1>
// CHECK:         attn.attention_backward %[[DO]], %[[Q]], %[[K]], %[[V]], %[[O]], %[[L]] window = [64, 64] softcap = 2.000000e+01 : tensor<1x8x128x32xf32>, tensor<1x8x128x64xf32>, tensor<1x2x256x64xf32>, tensor<1x2x256x32xf32>, tensor<1x8x128x32xf32>, tensor<1x8x128xf32>
// CHECK:         attn.attention_backward %[[DO]], %[[Q]], %[[K]], %[[V]], %[[O]], %[[L]] alibi %[[S]] diagonal %[[D]] : tensor<1x8x128x32xf32>, tensor<1x8x128x64xf32>, tensor<1x2x256x64xf32>, tensor<1x2x256x32xf32>, tensor<1x8x128x32xf32>, tensor<1x8x128xf32> alibi tensor<8xf32>
// CHECK:         %[[DQ:.*]], %[[DK:.*]], %[[DV:.*]] = attn.attention_backward %[[DO]], %[[Q]], %[[K]], %[[V]], %[[O]], %[[L]] mask %[[M]] alibi %[[S]] scale = 1.250000e-01 causal window = [64, 0] softcap = 3.000000e+01 diagonal %[[D]] : tensor<1x8x128x32xf32>, tensor<1x8x128x64xf32>, tensor<1x2x256x64xf32>, tensor<1x2x256x32xf32>, tensor<1x8x128x32xf32>, tensor<1x8x128xf32>, tensor<128x256xi1> alibi tensor<8xf32>
// CHECK:         return %[[DQ]], %[[DK]], %[[DV]] : tensor<1x8x128x64xf32>, tensor<1x2x256x64xf32>, tensor<1x2x256x32xf32>
func.func @attention_backward(%do: tensor<1x8x128x32xf32>, %q: tensor<1x8x128x64xf32>, %k: tensor<1x2x256x64xf32>, %v: tensor<1x2x256x32xf32>,
                              %o: tensor<1x8x128x32xf32>, %lse: tensor<1x8x128xf32>, %m: tensor<128x256xi1>, %s: tensor<8xf32>, %d: index)
    -> (tensor<1x8x128x64xf32>, tensor<1x2x256x64xf32>, tensor<1x2x256x32xf32>) {
  %0:3 = attn.attention_backward %do, %q, %k, %v, %o, %lse mask %m
      : tensor<1x8x128x32xf32>, tensor<1x8x128x64xf32>, tensor<1x2x256x64xf32>, tensor<1x2x256x32xf32>, tensor<1x8x128x32xf32>, tensor<1x8x128xf32>, tensor<128x256xi1>
  %1:3 = attn.attention_backward %do, %q, %k, %v, %o, %lse window = [64, 64] softcap = 20.0
      : tensor<1x8x128x32xf32>, tensor<1x8x128x64xf32>, tensor<1x2x256x64xf32>, tensor<1x2x256x32xf32>, tensor<1x8x128x32xf32>, tensor<1x8x128xf32>
  %2:3 = attn.attention_backward %do, %q, %k, %v, %o, %lse alibi %s diagonal %d
      : tensor<1x8x128x32xf32>, tensor<1x8x128x64xf32>, tensor<1x2x256x64xf32>, tensor<1x2x256x32xf32>, tensor<1x8x128x32xf32>, tensor<1x8x128xf32> alibi tensor<8xf32>
  %dq, %dk, %dv = attn.attention_backward %do, %q, %k, %v, %o, %lse mask %m alibi %s scale = 0.125 causal window = [64, 0] softcap = 30.0 diagonal %d
      : tensor<1x8x128x32xf32>, tensor<1x8x128x64xf32>, tensor<1x2x256x64xf32>, tensor<1x2x256x32xf32>, tensor<1x8x128x32xf32>, tensor<1x8x128xf32>, tensor<128x256xi1> alibi tensor<8xf32>
  return %dq, %dk, %dv : tensor<1x8x128x64xf32>, tensor<1x2x256x64xf32>, tensor<1x2x256x32xf32>
}
