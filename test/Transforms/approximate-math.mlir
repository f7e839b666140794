// RUN: attn-opt %s --attn-approximate-math | FileCheck %s

// f32 exp and log become arithmetic (no libm call); f16 goes through f32;
// f64 is left to libm.
// CHECK-LABEL: func.func @approximated(
// CHECK-NOT:     math.{{exp|log}}
// CHECK:         arith.bitcast {{.*}} : i32 to f32
// CHECK-NOT:     math.{{exp|log}}
// CHECK:         arith.bitcast {{.*}} : vector<16xf32> to vector<16xi32>
// CHECK-NOT:     math.{{exp|log}}
// CHECK:         arith.extf %{{.*}} : f16 to f32
// CHECK-NOT:     math.{{exp|log}}
// CHECK:         arith.truncf %{{.*}} : f32 to f16
// CHECK-NEXT:    return
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

// The exp2 of a non-positive number (a softmax's s - max, in base 2):
// x < -126 ? 0 : 2^k p(x - k), k = round(x) by the 1.5 * 2^23 (+ bias 127)
// rounding trick, p of degree 5, 2^k from the exponent bits. No overflow
// handling. Without the mark, exp2 is left to LLVM.
// CHECK-LABEL: func.func @nonpositive_exp2(
// CHECK-SAME:    %[[X:[a-zA-Z0-9_]+]]: vector<16xf32>
// CHECK-DAG:     %[[LOW:.*]] = arith.constant dense<-1.260000e+02> : vector<16xf32>
// CHECK-DAG:     %[[MAGIC:.*]] = arith.constant dense<0x4B40007F> : vector<16xf32>
// CHECK-DAG:     %[[ZERO:.*]] = arith.constant dense<0.000000e+00> : vector<16xf32>
// CHECK-DAG:     %[[C23:.*]] = arith.constant dense<23> : vector<16xi32>
// CHECK:         %[[TINY:.*]] = arith.cmpf olt, %[[X]], %[[LOW]] : vector<16xf32>
// CHECK:         %[[CLAMPED:.*]] = arith.select %[[TINY]], %[[LOW]], %[[X]]
// CHECK:         %[[BIASED:.*]] = arith.addf %[[CLAMPED]], %[[MAGIC]]
// CHECK:         %[[K:.*]] = arith.subf %[[BIASED]], %[[MAGIC]]
// CHECK:         %[[R:.*]] = arith.subf %[[CLAMPED]], %[[K]]
// CHECK-COUNT-5: math.fma %{{.*}}, %[[R]], %{{.*}} : vector<16xf32>
// CHECK:         %[[BITS:.*]] = arith.bitcast %[[BIASED]] : vector<16xf32> to vector<16xi32>
// CHECK:         %[[SHIFTED:.*]] = arith.shli %[[BITS]], %[[C23]]
// CHECK:         %[[SCALE:.*]] = arith.bitcast %[[SHIFTED]] : vector<16xi32> to vector<16xf32>
// CHECK:         %[[Y:.*]] = arith.mulf %{{.*}}, %[[SCALE]]
// CHECK:         %[[E:.*]] = arith.select %[[TINY]], %[[ZERO]], %[[Y]]
// f16 is computed in f32.
// CHECK:         %[[H:.*]] = arith.extf %{{.*}} : f16 to f32
// CHECK:         arith.cmpf olt, %[[H]]
// CHECK:         arith.truncf %{{.*}} : f32 to f16
// CHECK:         %[[PLAIN:.*]] = math.exp2 %{{.*}} : f32
// CHECK:         return %[[E]], %{{.*}}, %[[PLAIN]]
func.func @nonpositive_exp2(%x: vector<16xf32>, %h: f16, %y: f32) -> (vector<16xf32>, f16, f32) {
  %0 = math.exp2 %x {attn.nonpositive} : vector<16xf32>
  %1 = math.exp2 %h {attn.nonpositive} : f16
  %2 = math.exp2 %y : f32
  return %0, %1, %2 : vector<16xf32>, f16, f32
}

// -----

// The exp of a non-positive number (a softmax's x - max): k = round(x
// log2(e)) by the same rounding trick (an FMA), r = x - k ln 2 in two FMAs
// (ln 2 split high and low), e^r by a degree-6 polynomial, 2^k from the
// exponent bits; below -126 ln 2 the result flushes to 0. Without the mark,
// exp takes upstream's general expansion (range checks for overflow: no
// shift into the exponent of this form).
// CHECK-LABEL: func.func @nonpositive_exp(
// CHECK-SAME:    %[[X:[a-zA-Z0-9_]+]]: vector<16xf32>
// CHECK-DAG:     %[[LOW:.*]] = arith.constant dense<-87.3365478> : vector<16xf32>
// CHECK-DAG:     %[[MAGIC:.*]] = arith.constant dense<0x4B40007F> : vector<16xf32>
// CHECK-DAG:     %[[LOG2E:.*]] = arith.constant dense<1.44269502> : vector<16xf32>
// CHECK:         %[[TINY:.*]] = arith.cmpf olt, %[[X]], %[[LOW]] : vector<16xf32>
// CHECK:         %[[CLAMPED:.*]] = arith.select %[[TINY]], %[[LOW]], %[[X]]
// CHECK:         %[[BIASED:.*]] = math.fma %[[CLAMPED]], %[[LOG2E]], %[[MAGIC]]
// CHECK:         %[[K:.*]] = arith.subf %[[BIASED]], %[[MAGIC]]
// CHECK:         %[[R1:.*]] = math.fma %[[K]], %{{.*}}, %[[CLAMPED]]
// CHECK:         %[[R:.*]] = math.fma %[[K]], %{{.*}}, %[[R1]]
// CHECK-COUNT-6: math.fma %{{.*}}, %[[R]], %{{.*}} : vector<16xf32>
// CHECK:         %[[BITS:.*]] = arith.bitcast %[[BIASED]] : vector<16xf32> to vector<16xi32>
// CHECK:         %[[SHIFTED:.*]] = arith.shli %[[BITS]]
// CHECK:         %[[SCALE:.*]] = arith.bitcast %[[SHIFTED]] : vector<16xi32> to vector<16xf32>
// CHECK:         %[[Y:.*]] = arith.mulf %{{.*}}, %[[SCALE]]
// CHECK:         %[[E:.*]] = arith.select %[[TINY]], %{{.*}}, %[[Y]]
// CHECK:         return %[[E]], %{{.*}}
func.func @nonpositive_exp(%x: vector<16xf32>, %y: f32) -> (vector<16xf32>, f32) {
  %0 = math.exp %x {attn.nonpositive} : vector<16xf32>
  %1 = math.exp %y : f32
  return %0, %1 : vector<16xf32>, f32
}
