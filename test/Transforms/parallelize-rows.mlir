// RUN: attn-opt %s --attn-lower-to-fused-linalg --attn-parallelize-rows=threads=2 --split-input-file | FileCheck %s
// RUN: attn-opt %s --attn-lower-to-loops=threads=2 --split-input-file | FileCheck %s --check-prefix=OMP

// The rows of a reduction split into 2 chunks of an scf.forall, lowered to
// an OpenMP parallel loop.
// CHECK-LABEL: func.func @sum_sq(
// CHECK:         scf.forall (%[[T:.*]]) in (2) shared_outs(%{{.*}} = %{{.*}}) -> (tensor<64xf32>)
// CHECK:           linalg.generic {{.*}} iterator_types = ["parallel", "reduction"]} ins(%{{.*}} : tensor<32x1024xf32>)
// CHECK:           scf.forall.in_parallel
// OMP-LABEL: func.func @sum_sq(
// OMP:         omp.parallel
// OMP:           omp.wsloop
// OMP:             arith.addf %{{.*}}, %{{.*}} : vector<32xf32>
func.func @sum_sq(%x: tensor<64x1024xf32>) -> tensor<64xf32> {
  %r = attn.sum_sq %x : tensor<64x1024xf32>
  return %r : tensor<64xf32>
}

// -----

// A softmax chain: its producers are fused into each thread's chunk, then
// computed one row at a time inside it.
// CHECK-LABEL: func.func @softmax(
// CHECK:         scf.forall (%{{.*}}) in (2)
// CHECK-COUNT-2:   linalg.generic {{.*}} iterator_types = ["parallel", "parallel", "reduction"]
// CHECK:           linalg.generic {{.*}} iterator_types = ["parallel", "parallel", "parallel"]
// OMP-LABEL: func.func @softmax(
// OMP:         omp.wsloop
// OMP:           scf.for
func.func @softmax(%x: tensor<4x8x64xf32>) -> tensor<4x8x64xf32> {
  %r = attn.softmax %x : tensor<4x8x64xf32>
  return %r : tensor<4x8x64xf32>
}

// -----

// Rows of unknown length get the online softmax: one generic with two
// results (the max and the sum), both taken from the threads' chunks.
// CHECK-LABEL: func.func @logsumexp_online(
// CHECK:         %[[R:.*]]:2 = scf.forall (%{{.*}}) in (2) shared_outs(%[[MAX:.*]] = %{{.*}}, %[[SUM:.*]] = %{{.*}}) -> (tensor<4xf32>, tensor<4xf32>)
// CHECK:           %[[ROWS:.*]]:2 = linalg.generic {{.*}} iterator_types = ["parallel", "reduction"]} ins(%{{.*}} : tensor<2x?xf32>)
// CHECK:           scf.forall.in_parallel
// CHECK-NEXT:        tensor.parallel_insert_slice %[[ROWS]]#0 into %[[MAX]]
// CHECK-NEXT:        tensor.parallel_insert_slice %[[ROWS]]#1 into %[[SUM]]
// CHECK:         linalg.generic {{.*}} ins(%[[R]]#0 : tensor<4xf32>)
// CHECK:         linalg.generic {{.*}} ins(%{{.*}}, %[[R]]#1 : tensor<4xf32>, tensor<4xf32>)
func.func @logsumexp_online(%x: tensor<4x?xf32>) -> tensor<4xf32> {
  %r = attn.logsumexp %x : tensor<4x?xf32>
  return %r : tensor<4xf32>
}

// -----

// Rows of no element (found by scripts/difftest): the empty reductions stay
// whole between the forall loops of their consumers (fusing them crashed in
// upstream's tile-size computation).
// CHECK-LABEL: func.func @logsumexp_empty_rows(
// CHECK:         scf.forall (%{{.*}}) in (2)
// CHECK:         %[[MAX:.*]] = linalg.generic {{.*}} iterator_types = ["parallel", "parallel", "parallel", "reduction"]} ins(%{{.*}} : tensor<31x13x16x0xf64>)
// CHECK:         %[[SHIFT:.*]] = scf.forall (%{{.*}}) in (2)
// CHECK:           linalg.generic {{.*}} ins(%{{.*}} : tensor<?x13x16xf64>)
// CHECK:         linalg.generic {{.*}} iterator_types = ["parallel", "parallel", "parallel", "reduction"]} ins(%{{.*}}, %[[SHIFT]] : tensor<31x13x16x0xf64>, tensor<31x13x16xf64>)
// OMP-LABEL:   func.func @logsumexp_empty_rows(
// OMP:           omp.parallel
func.func @logsumexp_empty_rows(%x: tensor<31x13x16x0xf64>) -> tensor<31x13x16xf64> {
  %d = arith.constant -16 : index
  %r = attn.logsumexp %x causal diagonal %d : tensor<31x13x16x0xf64>
  return %r : tensor<31x13x16xf64>
}
