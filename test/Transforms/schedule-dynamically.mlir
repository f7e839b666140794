// RUN: attn-opt %s --attn-schedule-dynamically --split-input-file | FileCheck %s

// 128 query blocks on 2 threads: handed out 8 at a time (an eighth of a
// thread's share).
// CHECK-LABEL: func.func @more_iterations_than_threads(
// CHECK:         %[[CHUNK:.*]] = arith.constant 8 : index
// CHECK:         omp.parallel
// CHECK:           omp.wsloop schedule(dynamic = %[[CHUNK]] : index) {
// CHECK:             omp.loop_nest
func.func @more_iterations_than_threads() {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c128 = arith.constant 128 : index
  %threads = llvm.mlir.constant(2 : i32) : i32
  omp.parallel num_threads(%threads : i32) {
    omp.wsloop {
      omp.loop_nest (%i) : index = (%c0) to (%c128) step (%c1) {
        omp.yield
      }
    }
    omp.terminator
  }
  return
}

// -----

// One chunk of rows per thread (4 rows, step 2, 2 threads), or no
// iteration at all (an upper bound below the lower): static.
// CHECK-LABEL: func.func @one_iteration_per_thread(
// CHECK:         omp.wsloop {
// CHECK:         omp.wsloop {
func.func @one_iteration_per_thread() {
  %c0 = arith.constant 0 : index
  %c2 = arith.constant 2 : index
  %c4 = arith.constant 4 : index
  %threads = llvm.mlir.constant(2 : i32) : i32
  omp.parallel num_threads(%threads : i32) {
    omp.wsloop {
      omp.loop_nest (%i) : index = (%c0) to (%c4) step (%c2) {
        omp.yield
      }
    }
    omp.terminator
  }
  omp.parallel num_threads(%threads : i32) {
    omp.wsloop {
      omp.loop_nest (%i) : index = (%c4) to (%c0) step (%c2) {
        omp.yield
      }
    }
    omp.terminator
  }
  return
}

// -----

// Iterations unknown until run time (dynamic shapes), or threads unknown
// (OpenMP's default), or fewer than 16 per thread: dynamic, one at a time.
// A 2-d nest counts all its iterations (2 x 2 = 4 > 2 threads).
// CHECK-LABEL: func.func @unknown_counts(
// CHECK:         omp.wsloop schedule(dynamic) {
// CHECK:         omp.wsloop schedule(dynamic) {
// CHECK:         omp.wsloop schedule(dynamic) {
func.func @unknown_counts(%n: index) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c2 = arith.constant 2 : index
  %threads = llvm.mlir.constant(2 : i32) : i32
  omp.parallel num_threads(%threads : i32) {
    omp.wsloop {
      omp.loop_nest (%i) : index = (%c0) to (%n) step (%c1) {
        omp.yield
      }
    }
    omp.terminator
  }
  omp.parallel {
    omp.wsloop {
      omp.loop_nest (%i) : index = (%c0) to (%c2) step (%c1) {
        omp.yield
      }
    }
    omp.terminator
  }
  omp.parallel num_threads(%threads : i32) {
    omp.wsloop {
      omp.loop_nest (%i, %j) : index = (%c0, %c0) to (%c2, %c2) step (%c1, %c1) {
        omp.yield
      }
    }
    omp.terminator
  }
  return
}

// -----

// A schedule already chosen stays.
// CHECK-LABEL: func.func @chosen_schedule(
// CHECK:         omp.wsloop schedule(static) {
func.func @chosen_schedule() {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c128 = arith.constant 128 : index
  %threads = llvm.mlir.constant(2 : i32) : i32
  omp.parallel num_threads(%threads : i32) {
    omp.wsloop schedule(static) {
      omp.loop_nest (%i) : index = (%c0) to (%c128) step (%c1) {
        omp.yield
      }
    }
    omp.terminator
  }
  return
}
