// RUN: attn-opt %s --attn-lower-to-llvm=threads=2 --split-input-file | FileCheck %s

// Flash attention's 2 x 4 query blocks on 2 threads: handed out one at a
// time (a slower core takes fewer).
// CHECK-LABEL: llvm.func @attention(
// CHECK:         omp.parallel if(%{{.*}}) num_threads(%{{.*}} : i32) {
// CHECK:           omp.wsloop schedule(dynamic) {
// CHECK:             omp.loop_nest
func.func @attention(%q: tensor<1x2x256x64xf32>, %k: tensor<1x2x256x64xf32>, %v: tensor<1x2x256x64xf32>) -> tensor<1x2x256x64xf32> {
  %r = attn.attention %q, %k, %v causal : tensor<1x2x256x64xf32>, tensor<1x2x256x64xf32>, tensor<1x2x256x64xf32>
  return %r : tensor<1x2x256x64xf32>
}

// -----

// A softmax's rows in one chunk per thread: the static schedule.
// CHECK-LABEL: llvm.func @softmax(
// CHECK:         omp.parallel if(%{{.*}}) num_threads(%{{.*}} : i32) {
// CHECK:           omp.wsloop {
// CHECK:             omp.loop_nest
func.func @softmax(%x: tensor<64x256xf32>) -> tensor<64x256xf32> {
  %r = attn.softmax %x : tensor<64x256xf32>
  return %r : tensor<64x256xf32>
}
