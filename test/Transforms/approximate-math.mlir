// RUN: attn-opt %s --attn-approximate-math | FileCheck %s

// f32 exp and log become arithmetic (no libm call); f16 goes through f32;
// f64 is left to libm.
// CHECK-LABEL: func.func @approximated(
// CHECK-NOT:     math.exp
// CHECK-NOT:     math.log
// CHECK:         arith.bitcast
// CHECK:         return
func.func @approximated(%x: f32, %v: vector<16xf32>, %h: f16) -> (f32, vector<16xf32>, f16) {
  %0 = math.exp %x : f32
  %1 = math.log %v : vector<16xf32>
  %2 = math.exp %h : f16
  return %0, %1, %2 : f32, vector<16xf32>, f16
}

// CHECK-LABEL: func.func @kept(
// CHECK:         math.exp %{{.*}} : f64
// CHECK:         math.sin %{{.*}} : f32
func.func @kept(%x: f64, %y: f32) -> (f64, f32) {
  %0 = math.exp %x : f64
  %1 = math.sin %y : f32
  return %0, %1 : f64, f32
}
