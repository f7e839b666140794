// RUN: attn-opt %s -split-input-file --attn-shard-to-mpi | FileCheck %s
// RUN: attn-opt %s -split-input-file --attn-shard-to-mpi="implementation=OpenMPI" | FileCheck %s --check-prefix=OPENMPI

// A module with a grid: one process's part, its collectives MPI calls on
// the world communicator (no split), the implementation named, the grid
// dropped.

// CHECK: module attributes {dlti.map = #dlti.map<"MPI:Implementation" = "MPICH">}
// OPENMPI: module attributes {dlti.map = #dlti.map<"MPI:Implementation" = "OpenMPI">}
// CHECK-NOT: shard.grid
// CHECK-DAG: llvm.func @MPI_Allreduce
// CHECK-NOT: MPI_Comm_split
// CHECK-LABEL: func.func @row_max
// CHECK-SAME: (%[[X:.*]]: tensor<8x32xf32>) -> tensor<8xf32>
// CHECK: attn.masked_max %[[X]], %[[X]] : tensor<8x32xf32>, tensor<8x32xf32>
// CHECK: llvm.call @MPI_Allreduce
// CHECK-NOT: shard.
module {
  shard.grid @procs(shape = 2)
  func.func @row_max(%x: tensor<8x64xf32>) -> tensor<8xf32> {
    %s = shard.sharding @procs split_axes = [[], [0]] : !shard.sharding
    %xs = shard.shard %x to %s : tensor<8x64xf32>
    %r = attn.masked_max %xs, %xs : tensor<8x64xf32>, tensor<8x64xf32>
    return %r : tensor<8xf32>
  }
}

// -----

// Without a grid the module is left as it is (declarations and calls,
// which upstream's partition refuses, included).

// CHECK-LABEL: module {
// CHECK-NOT: dlti.map
// CHECK: func.func private @print(tensor<4xf32>)
// CHECK: func.func @unsharded
// CHECK: attn.sum_sq
// CHECK: call @print
module {
  func.func private @print(tensor<4xf32>)
  func.func @unsharded(%x: tensor<4x8xf32>) {
    %r = attn.sum_sq %x : tensor<4x8xf32>
    call @print(%r) : (tensor<4xf32>) -> ()
    return
  }
}

// -----

// A module naming its implementation keeps it.

// CHECK: #dlti.map<"MPI:Implementation" = "OpenMPI">
module attributes {dlti.map = #dlti.map<"MPI:Implementation" = "OpenMPI">} {
  shard.grid @procs(shape = 2)
  func.func @row_sum(%x: tensor<8x64xf32>) -> tensor<8xf32> {
    %s = shard.sharding @procs split_axes = [[], [0]] : !shard.sharding
    %xs = shard.shard %x to %s : tensor<8x64xf32>
    %r = attn.sum_sq %xs : tensor<8x64xf32>
    return %r : tensor<8xf32>
  }
}
