// The sharded rows of bench/run (`--ops sharded`): one op on one MPI process
// (the unsharded function) or split over two (the sharded one), timed as
// the slowest process's call, next to the roof that bounds it measured by
// every process at once (bench/roofs.c), and checked against the unsharded
// function's result. Built by bench/run.py with the sizes of its row:
//
//   mpicc -DXENT -DN=.. -DV=..   (xent_logits, vocabulary split), or
//   mpicc -DATTENTION -DH=.. -DS=.. -DD=..   (causal, keys split)
//
// and run as `mpirun -np 1 sharded whole`, or `mpirun -np <P> sharded part`
// for a library whose grid has P processes (1: the split form on one).
// Prints `time_ms`, `roof` (GB/s of reading, or GFLOP/s of FMAs, summed
// over the processes) and `max_error`.

#include <math.h>
#include <mpi.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "sharded_bench.h"

float roof_read(const float *x, int64_t n);
float roof_fma(int64_t iters);
int roof_fma_lanes(void);
int roof_fma_chains(void);

static int rank, size;

static double now(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec + 1e-9 * t.tv_nsec;
}

// A value in [-4, 4) from an element's index in the whole tensor.
static float value(uint64_t i, uint64_t seed) {
  uint64_t h = (i + seed) * 0x9E3779B97F4A7C15ull;
  h ^= h >> 29;
  return (float)((h >> 40) & 0xFFFF) / 65536.0f * 8.0f - 4.0f;
}

static int cmpd(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

// Median over `repeats` calls of the slowest process's time.
#define TIMED(repeats, call, result)                                           \
  ({                                                                           \
    double times[64];                                                          \
    for (int r = 0; r < (repeats) + 1; ++r) {                                  \
      MPI_Barrier(MPI_COMM_WORLD);                                             \
      double t0 = now();                                                       \
      call;                                                                    \
      double t = now() - t0, slowest;                                          \
      MPI_Allreduce(&t, &slowest, 1, MPI_DOUBLE, MPI_MAX, MPI_COMM_WORLD);     \
      if (r > 0)                                                               \
        times[r - 1] = slowest;                                                \
      if (r < (repeats))                                                       \
        free((result).allocated);                                              \
    }                                                                          \
    qsort(times, (repeats), sizeof(double), cmpd);                             \
    times[(repeats) / 2];                                                      \
  })

// The roof every process reaches at once: bytes read or FMAs per second,
// summed over the processes.
static double roof(int flops) {
  double rates[5];
  static float *x;
  const int64_t n = 1 << 26; // 256 MiB per process
  if (!flops && !x) {
    x = aligned_alloc(64, sizeof(float) * n);
    for (int64_t i = 0; i < n; ++i)
      x[i] = 1;
  }
  const int64_t iters = 20000000;
  for (int r = 0; r < 5; ++r) {
    MPI_Barrier(MPI_COMM_WORLD);
    double t0 = now();
    volatile float sink = flops ? roof_fma(iters) : roof_read(x, n);
    (void)sink;
    double t = now() - t0, slowest;
    MPI_Allreduce(&t, &slowest, 1, MPI_DOUBLE, MPI_MAX, MPI_COMM_WORLD);
    double work = flops ? 2.0 * iters * roof_fma_chains() * roof_fma_lanes()
                        : sizeof(float) * (double)n;
    rates[r] = size * work / slowest / 1e9;
  }
  qsort(rates, 5, sizeof(double), cmpd);
  return rates[2];
}

static double maxError(const float *got, const float *want, int64_t n) {
  double worst = 0;
  for (int64_t i = 0; i < n; ++i)
    worst = fmax(worst, fabs((double)got[i] - want[i]) / fmax(1, fabs(want[i])));
  return worst;
}

int main(int argc, char **argv) {
  MPI_Init(&argc, &argv);
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  MPI_Comm_size(MPI_COMM_WORLD, &size);
  int part = argc > 1 && strcmp(argv[1], "part") == 0;
  int repeats = argc > 2 ? atoi(argv[2]) : 5;
  if ((!part && size != 1) || repeats < 1 || repeats > 63) {
    if (rank == 0)
      fprintf(stderr, "usage: mpirun -np 1 sharded whole [repeats] | "
                      "mpirun -np <grid size> sharded part [repeats]\n");
    MPI_Abort(MPI_COMM_WORLD, 2);
  }
  double t, error = 0, rate;
#ifdef XENT
  // Each process makes its part of the logits [N, V] (classes
  // [rank V/size, ...)), from the whole tensor's element indices.
  int64_t cols = V / size, first = rank * cols;
  float *logits = aligned_alloc(64, sizeof(float) * N * cols);
  int64_t *target = malloc(sizeof(int64_t) * N);
  for (int64_t i = 0; i < N; ++i) {
    target[i] = (i * 7919) % V;
    for (int64_t j = 0; j < cols; ++j)
      logits[i * cols + j] = value(i * V + first + j, 1);
  }
  attn_memref_2d_f32 z = {logits, logits, 0, {N, cols}, {cols, 1}};
  attn_memref_1d_i64 tg = {target, target, 0, {N}, {1}};
  attn_memref_1d_f32 loss;
  if (part)
    t = TIMED(repeats, _mlir_ciface_xent_part(&loss, &z, &tg), loss);
  else
    t = TIMED(repeats, _mlir_ciface_xent_whole(&loss, &z, &tg), loss);
  if (part && rank == 0) {
    float *whole = aligned_alloc(64, sizeof(float) * N * V);
    for (int64_t i = 0; i < (int64_t)N * V; ++i)
      whole[i] = value(i, 1);
    attn_memref_2d_f32 wz = {whole, whole, 0, {N, V}, {V, 1}};
    attn_memref_1d_f32 want;
    _mlir_ciface_xent_whole(&want, &wz, &tg);
    error = maxError(loss.aligned, want.aligned, N);
    free(want.allocated);
    free(whole);
  }
  free(loss.allocated);
  rate = roof(0);
#else
  // q [H, S, D] whole on every process; keys and values [H, S/size, D].
  int64_t keys = S / size, first = rank * keys;
  float *q = aligned_alloc(64, sizeof(float) * H * S * D);
  float *k = aligned_alloc(64, sizeof(float) * H * keys * D);
  float *v = aligned_alloc(64, sizeof(float) * H * keys * D);
  for (int64_t i = 0; i < (int64_t)H * S * D; ++i)
    q[i] = value(i, 2) / 4;
  for (int64_t h = 0; h < H; ++h)
    for (int64_t j = 0; j < keys; ++j)
      for (int64_t d = 0; d < D; ++d) {
        int64_t whole = (h * S + first + j) * D + d;
        k[(h * keys + j) * D + d] = value(whole, 3) / 4;
        v[(h * keys + j) * D + d] = value(whole, 4);
      }
  attn_memref_3d_f32 qs = {q, q, 0, {H, S, D}, {S * D, D, 1}};
  attn_memref_3d_f32 ks = {k, k, 0, {H, keys, D}, {keys * D, D, 1}};
  attn_memref_3d_f32 vs = {v, v, 0, {H, keys, D}, {keys * D, D, 1}};
  attn_memref_3d_f32 out;
  if (part)
    t = TIMED(repeats, _mlir_ciface_attention_part(&out, &qs, &ks, &vs), out);
  else
    t = TIMED(repeats, _mlir_ciface_attention_whole(&out, &qs, &ks, &vs), out);
  if (part && rank == 0) {
    float *wk = aligned_alloc(64, sizeof(float) * H * S * D);
    float *wv = aligned_alloc(64, sizeof(float) * H * S * D);
    for (int64_t i = 0; i < (int64_t)H * S * D; ++i) {
      wk[i] = value(i, 3) / 4;
      wv[i] = value(i, 4);
    }
    attn_memref_3d_f32 wks = {wk, wk, 0, {H, S, D}, {S * D, D, 1}};
    attn_memref_3d_f32 wvs = {wv, wv, 0, {H, S, D}, {S * D, D, 1}};
    attn_memref_3d_f32 want;
    _mlir_ciface_attention_whole(&want, &qs, &wks, &wvs);
    error = maxError(out.aligned, want.aligned, (int64_t)H * S * D);
    free(want.allocated);
    free(wk);
    free(wv);
  }
  free(out.allocated);
  rate = roof(1);
#endif
  if (rank == 0)
    printf("time_ms %.3f\nroof %.2f\nmax_error %.3g\n", 1e3 * t, rate, error);
  MPI_Finalize();
  return 0;
}
