// Runs examples/sharded.mlir, compiled by attn-compile, on each of two MPI
// processes (`mpirun -np 2`): every process builds the whole inputs, passes
// its part (as the function's shard annotations split them), and checks its
// result against a double precision reference of the whole computation
// formed here. Rank 0 prints one line per function; any mismatch on any
// process makes the job exit 1.

#include <math.h>
#include <mpi.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sharded.h"

typedef attn_memref_1d_f32 MemRef1D;
typedef attn_memref_2d_f32 MemRef2D;
typedef attn_memref_3d_f32 MemRef3D;

enum { R = 8, C = 64, H = 2, M = 16, N = 32, D = 8 };

static int rank, failures;

// A process's part of a row-major array: `rows` rows of `cols` elements, row
// r at data[first + r * stride], copied into a contiguous buffer (the
// functions take identity layouts).
static float *part(const float *data, int64_t rows, int64_t cols,
                   int64_t stride, int64_t first) {
  float *p = malloc(sizeof(float) * rows * cols);
  for (int64_t r = 0; r < rows; ++r)
    memcpy(p + r * cols, data + first + r * stride, sizeof(float) * cols);
  return p;
}

static MemRef2D view2(float *data, int64_t rows, int64_t cols) {
  MemRef2D m = {data, data, 0, {rows, cols}, {cols, 1}};
  return m;
}

static MemRef3D view3(float *data, int64_t a, int64_t b, int64_t c) {
  MemRef3D m = {data, data, 0, {a, b, c}, {b * c, c, 1}};
  return m;
}

// got[i * gotStride + j] against want[i * wantStride + j] for i < rows,
// j < cols (infinities exactly, NaN against NaN).
static void check(const char *name, const float *got, int64_t gotStride,
                  const double *want, int64_t wantStride, int rows, int cols) {
  double worst = 0;
  for (int i = 0; i < rows; ++i)
    for (int j = 0; j < cols; ++j) {
      double g = got[i * gotStride + j], w = want[i * wantStride + j];
      double err = isnan(w)   ? (isnan(g) ? 0 : INFINITY)
                   : isinf(w) ? (g == w ? 0 : INFINITY)
                              : fabs(g - w) / fmax(1, fabs(w));
      worst = fmax(worst, err);
    }
  int ok = worst <= 1e-5;
  int allOk;
  MPI_Allreduce(&ok, &allOk, 1, MPI_INT, MPI_LAND, MPI_COMM_WORLD);
  double allWorst;
  MPI_Allreduce(&worst, &allWorst, 1, MPI_DOUBLE, MPI_MAX, MPI_COMM_WORLD);
  failures += !allOk;
  if (rank == 0)
    printf("%-16s max rel. error vs double reference (both processes) %.2g: "
           "%s\n",
           name, allWorst, allOk ? "OK" : "MISMATCH");
}

// log sum_j exp(x[j] + mask[j]) over n entries (stride 1); -inf if empty.
static double logsumexp(const float *x, const float *mask, int n,
                        const int *keep) {
  double m = -INFINITY, s = 0;
  for (int j = 0; j < n; ++j) {
    double v = x[j] + (mask ? mask[j] : 0);
    if (keep && !keep[j])
      v = -INFINITY;
    m = fmax(m, v);
  }
  if (m == -INFINITY)
    return -INFINITY;
  for (int j = 0; j < n; ++j) {
    double v = x[j] + (mask ? mask[j] : 0);
    if (!(keep && !keep[j]))
      s += exp(v - m);
  }
  return m + log(s);
}

// Row i of the causal [R, C] scores x: key j visible if j <= i + C - R
// (`keep`), and the row's logsumexp over those keys.
static double causalLogsumexp(const float *x, int i, int keep[C]) {
  for (int j = 0; j < C; ++j)
    keep[j] = j <= i + C - R;
  return logsumexp(x + i * C, NULL, C, keep);
}

int main(int argc, char **argv) {
  MPI_Init(&argc, &argv);
  int size;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  MPI_Comm_size(MPI_COMM_WORLD, &size);
  if (size != 2) {
    if (rank == 0)
      fprintf(stderr, "run_sharded: the grid has 2 processes, got %d\n", size);
    MPI_Abort(MPI_COMM_WORLD, 2);
  }
  // Logits of magnitude up to 1e4 (stability across processes), a mask with
  // a fully masked row (3) and a row masked on process 1's half only (5).
  static float x[R * C], mask[R * C];
  for (int i = 0; i < R * C; ++i)
    x[i] = sinf(0.37f * i) * (i % 7 == 0 ? 1e4f : 3.0f);
  for (int i = 0; i < R; ++i)
    for (int j = 0; j < C; ++j)
      mask[i * C + j] = (i == 3 || (i == 5 && j >= C / 2) || (i + j) % 5 == 0)
                            ? -INFINITY
                            : 0.0f;
  int64_t half = C / 2, first = rank * half;
  MemRef2D xPart = view2(part(x, R, half, C, first), R, half);
  MemRef2D maskPart = view2(part(mask, R, half, C, first), R, half);

  // Cross-entropy with the vocabulary split; rows 2 and 6 ignored, row 7's
  // target in process 1's half.
  int64_t target[R] = {0, 40, -100, 63, 31, 32, 7, 50};
  attn_memref_1d_i64 t = {target, target, 0, {R}, {1}};
  double wantLoss[R], kept = 0, total = 0;
  for (int i = 0; i < R; ++i) {
    wantLoss[i] = target[i] == -100
                      ? 0
                      : logsumexp(x + i * C, NULL, C, NULL) - x[i * C + target[i]];
    if (target[i] != -100) {
      kept += 1;
      total += wantLoss[i];
    }
  }
  MemRef1D loss;
  _mlir_ciface_vocab_xent(&loss, &xPart, &t);
  check("vocab_xent", loss.aligned + loss.offset, 1, wantLoss, 1, 1, R);
  free(loss.allocated);
  attn_memref_0d_f32 mean;
  _mlir_ciface_vocab_xent_mean(&mean, &xPart, &t);
  double wantMean = total / kept;
  check("vocab_xent_mean", mean.aligned + mean.offset, 1, &wantMean, 1, 1, 1);
  free(mean.allocated);

  // Row reductions with the last dimension split.
  double want[R * C];
  MemRef1D row;
  for (int i = 0; i < R; ++i)
    want[i] = logsumexp(x + i * C, mask + i * C, C, NULL);
  _mlir_ciface_row_logsumexp(&row, &xPart, &maskPart);
  check("row_logsumexp", row.aligned + row.offset, 1, want, 1, 1, R);
  free(row.allocated);

  MemRef2D out;
  for (int i = 0; i < R; ++i) {
    double lse = logsumexp(x + i * C, mask + i * C, C, NULL);
    for (int j = 0; j < C; ++j)
      want[i * C + j] = lse == -INFINITY
                            ? 0 // masked_rows = zero
                            : exp(x[i * C + j] + mask[i * C + j] - lse);
  }
  _mlir_ciface_row_softmax(&out, &xPart, &maskPart);
  check("row_softmax", out.aligned + out.offset, out.strides[0], want + first,
        C, R, half);
  free(out.allocated);

  // Causal with R rows and C keys.
  for (int i = 0; i < R; ++i) {
    int keep[C];
    double lse = causalLogsumexp(x, i, keep);
    for (int j = 0; j < C; ++j)
      want[i * C + j] = keep[j] ? x[i * C + j] - lse : -INFINITY;
  }
  _mlir_ciface_row_log_softmax(&out, &xPart);
  check("row_log_softmax", out.aligned + out.offset, out.strides[0],
        want + first, C, R, half);
  free(out.allocated);

  for (int i = 0; i < R; ++i) {
    double m = -INFINITY, s = 0;
    for (int j = 0; j < C; ++j) {
      m = fmax(m, (double)x[i * C + j] + mask[i * C + j]);
      s += (double)x[i * C + j] * x[i * C + j];
    }
    want[i] = m;
    want[R + i] = s;
  }
  _mlir_ciface_row_masked_max(&row, &xPart, &maskPart);
  check("row_masked_max", row.aligned + row.offset, 1, want, 1, 1, R);
  free(row.allocated);
  _mlir_ciface_row_sum_sq(&row, &xPart);
  check("row_sum_sq", row.aligned + row.offset, 1, want + R, 1, 1, R);
  free(row.allocated);

  // Rows split: process p has rows [4p, 4p + 4) of a causal softmax.
  for (int i = 0; i < R; ++i) {
    int keep[C];
    double lse = causalLogsumexp(x, i, keep);
    for (int j = 0; j < C; ++j)
      want[i * C + j] = keep[j] ? exp(x[i * C + j] - lse) : 0;
  }
  MemRef2D rows =
      view2(part(x, R / 2, C, C, rank * (R / 2) * C), R / 2, C);
  _mlir_ciface_batch_softmax(&out, &rows);
  check("batch_softmax", out.aligned + out.offset, out.strides[0],
        want + rank * (R / 2) * C, C, R / 2, C);
  free(out.allocated);

  // Causal attention (bottom-right diagonal: key j visible to query i if
  // j <= i + N - M), keys and values split by sequence.
  static float q[H * M * D], k[H * N * D], v[H * N * D];
  for (int i = 0; i < H * M * D; ++i)
    q[i] = cosf(0.11f * i);
  for (int i = 0; i < H * N * D; ++i) {
    k[i] = sinf(0.07f * i + 1);
    v[i] = cosf(0.05f * i + 2);
  }
  static double wantO[H * M * D];
  double scale = 1 / sqrt((double)D);
  for (int h = 0; h < H; ++h)
    for (int i = 0; i < M; ++i) {
      double s[N], m = -INFINITY, sum = 0;
      for (int j = 0; j < N; ++j) {
        s[j] = -INFINITY;
        if (j <= i + N - M) {
          s[j] = 0;
          for (int d = 0; d < D; ++d)
            s[j] += (double)q[(h * M + i) * D + d] * k[(h * N + j) * D + d];
          s[j] *= scale;
        }
        m = fmax(m, s[j]);
      }
      for (int j = 0; j < N; ++j)
        sum += exp(s[j] - m);
      for (int d = 0; d < D; ++d) {
        double o = 0;
        for (int j = 0; j < N; ++j)
          o += exp(s[j] - m) * v[(h * N + j) * D + d];
        wantO[(h * M + i) * D + d] = o / sum;
      }
    }
  // Head h's keys [p N/2, (p + 1) N/2) are rows of D at h N D + p N/2 D.
  MemRef3D qs = view3(q, H, M, D);
  MemRef3D ks = view3(part(k, H, N / 2 * D, N * D, rank * (N / 2) * D), H,
                      N / 2, D);
  MemRef3D vs = view3(part(v, H, N / 2 * D, N * D, rank * (N / 2) * D), H,
                      N / 2, D);
  MemRef3D o;
  _mlir_ciface_key_attention(&o, &qs, &ks, &vs);
  check("key_attention", o.aligned + o.offset, D, wantO, D, H * M, D);
  free(o.allocated);

  if (rank == 0)
    printf("%s\n", failures ? "MISMATCH" : "all results match the reference");
  MPI_Finalize();
  return failures ? 1 : 0;
}
