// RUN: attn-opt %s --attn-lower-to-loops --split-input-file | FileCheck %s
// RUN: attn-opt %s --attn-lower-to-llvm --split-input-file | FileCheck %s --check-prefix=LLVM

// The inner loops of each op family at the loops level, so that the loop
// structure cannot regress on any host without a test failing: contiguous
// vector loads along the row (minor-identity transfers, no gathers, no
// permutation maps), each input read in one pass (its reads all in one row
// loop), vector arithmetic; and no libm call left in the LLVM dialect (the
// polynomial exp/log are inline). Timings are the benchmark's business.

// CHECK-LABEL: func.func @masked_max(
// CHECK-SAME:    %[[S:[a-zA-Z0-9_]+]]: memref<4x64x1024xf32>, %[[M:[a-zA-Z0-9_]+]]: memref<64x1024xf32>
// CHECK:           scf.for %[[I:.*]] = %{{.*}} to %c64 step %c1 {
// CHECK:             scf.for %[[J:.*]] = %{{.*}} to %c1024 step %c64 iter_args(%{{.*}}) -> (vector<1x1x64xf32>) {
// CHECK:               vector.transfer_read %[[S]][%[[B:.*]], %[[I]], %[[J]]], %{{.*}} {in_bounds = [true]} : memref<4x64x1024xf32>, vector<64xf32>
// CHECK:               vector.transfer_read %[[M]][%[[I]], %[[J]]], %{{.*}} {in_bounds = [true]} : memref<64x1024xf32>, vector<64xf32>
// CHECK:               arith.maximumf {{.*}} : vector<1x1x64xf32>
// CHECK-NOT:     vector.transfer_read %[[S]]
// CHECK-NOT:     vector.gather
// CHECK:         return
// LLVM-LABEL: llvm.func @masked_max(
// LLVM-NOT:     llvm.call @{{.*(exp|log|max)}}
// LLVM:         llvm.return
func.func @masked_max(%s: tensor<4x64x1024xf32>, %m: tensor<64x1024xf32>) -> tensor<4x64xf32> {
  %r = attn.masked_max %s, %m : tensor<4x64x1024xf32>, tensor<64x1024xf32>
  return %r : tensor<4x64xf32>
}

// -----

// CHECK-LABEL: func.func @sum_sq(
// CHECK-SAME:    %[[X:[a-zA-Z0-9_]+]]: memref<64x1024xf32>
// CHECK:         scf.for %[[I:.*]] = %{{.*}} to %c64 step %c1 {
// CHECK:           scf.for %[[J:.*]] = %{{.*}} to %c1024 step %c64 iter_args(%{{.*}}) -> (vector<1x64xf32>) {
// CHECK:             vector.transfer_read %[[X]][%[[I]], %[[J]]], %{{.*}} {in_bounds = [true]} : memref<64x1024xf32>, vector<64xf32>
// CHECK:             arith.mulf {{.*}} : vector<1x64xf32>
// CHECK:             arith.addf {{.*}} : vector<1x64xf32>
// CHECK-NOT:     vector.transfer_read %[[X]]
// CHECK:         return
func.func @sum_sq(%x: tensor<64x1024xf32>) -> tensor<64xf32> {
  %r = attn.sum_sq %x : tensor<64x1024xf32>
  return %r : tensor<64xf32>
}

// -----

// CHECK-LABEL: func.func @xent(
// CHECK-SAME:    %[[P:[a-zA-Z0-9_]+]]: memref<64x1024xf32>, %[[Q:[a-zA-Z0-9_]+]]: memref<64x1024xf32>
// CHECK:         scf.for %[[I:.*]] = %{{.*}} to %c64 step %c1 {
// CHECK:           scf.for %[[J:.*]] = %{{.*}} to %c1024 step %c64 iter_args(%{{.*}}) -> (vector<1x64xf32>) {
// CHECK-DAG:         vector.transfer_read %[[Q]][%[[I]], %[[J]]], %{{.*}} {in_bounds = [true]} : memref<64x1024xf32>, vector<64xf32>
// CHECK-DAG:         vector.transfer_read %[[P]][%[[I]], %[[J]]], %{{.*}} {in_bounds = [true]} : memref<64x1024xf32>, vector<64xf32>
// CHECK:             math.log %{{.*}} : vector<1x64xf32>
// CHECK-NOT:     vector.transfer_read %[[P]]
// CHECK:         return
// LLVM-LABEL: llvm.func @xent(
// LLVM-NOT:     llvm.call @{{.*log}}
// LLVM:         llvm.return
func.func @xent(%p: tensor<64x1024xf32>, %q: tensor<64x1024xf32>) -> tensor<64xf32> {
  %r = attn.xent %p, %q : tensor<64x1024xf32>, tensor<64x1024xf32>
  return %r : tensor<64xf32>
}

// -----

// A softmax row is read from memory by its first chunk loop (max), and
// re-read from cache by the later ones, all inside one row loop.
// CHECK-LABEL: func.func @softmax(
// CHECK-SAME:    %[[X:[a-zA-Z0-9_]+]]: memref<4x64x1024xf32>, %[[M:[a-zA-Z0-9_]+]]: memref<64x1024xf32>
// CHECK:           scf.for %[[I:.*]] = %{{.*}} to %c64 step %c1 {
// CHECK:             scf.for %[[J:.*]] = %{{.*}} to %c1024 step %c64 iter_args(%{{.*}}) -> (vector<1x1x64xf32>) {
// CHECK:               vector.transfer_read %[[X]][%[[B:.*]], %[[I]], %[[J]]], %{{.*}} {in_bounds = [true]} : memref<4x64x1024xf32>, vector<64xf32>
// CHECK:               vector.transfer_read %[[M]][%[[I]], %[[J]]], %{{.*}} {in_bounds = [true]} : memref<64x1024xf32>, vector<64xf32>
// CHECK:             math.exp %{{.*}} : vector<{{.*}}xf32>
// CHECK:         return
// LLVM-LABEL: llvm.func @softmax(
// LLVM-NOT:     llvm.call @{{.*exp}}
// LLVM:         llvm.return
func.func @softmax(%x: tensor<4x64x1024xf32>, %m: tensor<64x1024xf32>) -> tensor<4x64x1024xf32> {
  %r = attn.softmax %x mask %m : tensor<4x64x1024xf32>, tensor<64x1024xf32>
  return %r : tensor<4x64x1024xf32>
}

// -----

// CHECK-LABEL: func.func @logsumexp(
// CHECK-SAME:    %[[X:[a-zA-Z0-9_]+]]: memref<64x1024xf32>
// CHECK:         scf.for %[[I:.*]] = %{{.*}} to %c64 step %c1 {
// CHECK:           scf.for %[[J:.*]] = %{{.*}} to %c1024 step %c64 iter_args(%{{.*}}) -> (vector<1x64xf32>) {
// CHECK:             vector.transfer_read %[[X]][%[[I]], %[[J]]], %{{.*}} {in_bounds = [true]} : memref<64x1024xf32>, vector<64xf32>
// CHECK:         return
// LLVM-LABEL: llvm.func @logsumexp(
// LLVM-NOT:     llvm.call @{{.*(exp|log)}}
// LLVM:         llvm.return
func.func @logsumexp(%x: tensor<64x1024xf32>) -> tensor<64xf32> {
  %r = attn.logsumexp %x : tensor<64x1024xf32>
  return %r : tensor<64xf32>
}

// -----

// Flash attention: the block's contraction is a register tile of FMAs on
// rows of contiguous vectors, with no scalar math left.
// CHECK-LABEL: func.func @attention(
// CHECK:         scf.for {{.*}} iter_args({{.*}}) -> (vector<32xf32>, vector<32xf32>, vector<32xf32>, vector<32xf32>, vector<32xf32>, vector<32xf32>, vector<32xf32>, vector<32xf32>) {
// CHECK:           vector.transfer_read %{{.*}} {in_bounds = [true]} : memref<64x64xf32>, vector<32xf32>
// CHECK-COUNT-8:   vector.fma %{{.*}} : vector<32xf32>
// CHECK:         return
// LLVM-LABEL: llvm.func @attention(
// LLVM-NOT:     llvm.call @{{.*exp}}
// LLVM:         llvm.return
func.func @attention(%q: tensor<1x2x128x64xf32>, %k: tensor<1x2x128x64xf32>, %v: tensor<1x2x128x64xf32>) -> tensor<1x2x128x64xf32> {
  %r = attn.attention %q, %k, %v causal : tensor<1x2x128x64xf32>, tensor<1x2x128x64xf32>, tensor<1x2x128x64xf32>
  return %r : tensor<1x2x128x64xf32>
}
