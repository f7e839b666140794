// Calls a sharded row maximum on two processes; process 1 passes a mask with
// the wrong number of rows. Its run-time check must end the whole job (the
// other process waits in the all-reduce), never hang it.
#include <mpi.h>
#include <stdio.h>
#include <stdlib.h>

#include "sharded_bad_rank.h"

int main(int argc, char **argv) {
  MPI_Init(&argc, &argv);
  int rank;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  static float x[4 * 32], m[5 * 32];
  attn_memref_2d_f32 xs = {x, x, 0, {4, 32}, {32, 1}};
  attn_memref_2d_f32 ms = {m, m, 0, {rank == 1 ? 5 : 4, 32}, {32, 1}};
  attn_memref_1d_f32 r;
  _mlir_ciface_row_max(&r, &xs, &ms);
  printf("process %d finished\n", rank);
  MPI_Finalize();
  return 0;
}
