// Calls the shared library that `attn-compile` makes of
// examples/reductions.mlir through its C interface (_mlir_ciface_*, declared
// in the header it writes), and checks each result against a reference
// computed here in double precision. Exits 1 on any mismatch.

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

// The entry points and memref descriptors, as `attn-compile --header`
// declares them.
#include "reductions.h"

typedef attn_memref_1d_f32 MemRef1D;
typedef attn_memref_2d_f32 MemRef2D;
typedef attn_memref_3d_f32 MemRef3D;

static MemRef2D view2(float *data, int64_t rows, int64_t cols) {
  MemRef2D m = {data, data, 0, {rows, cols}, {cols, 1}};
  return m;
}

static int failures = 0;

// Compares got[i] with want[i] (relative tolerance, exact for infinities).
static void check(const char *name, const float *got, const double *want,
                  int n) {
  double worst = 0;
  for (int i = 0; i < n; ++i) {
    double err = isinf(want[i]) ? (got[i] == want[i] ? 0 : INFINITY)
                                : fabs(got[i] - want[i]) / fmax(1, fabs(want[i]));
    worst = fmax(worst, err);
  }
  int ok = worst <= 1e-5;
  failures += !ok;
  printf("%-10s", name);
  for (int i = 0; i < n; ++i)
    printf(" %.5g", got[i]);
  printf("\n%-10s max rel. error vs double reference %.2g: %s\n", "", worst,
         ok ? "OK" : "MISMATCH");
}

int main(void) {
  enum { B = 2, M = 4, N = 8, R = 3, C = 10, XR = 4 };

  // Causal mask (0 on and below the diagonal, -inf above) over scores.
  float scores[B * M * N], mask[M * N];
  for (int i = 0; i < B * M * N; ++i)
    scores[i] = sinf(0.37f * i) * 4;
  for (int i = 0; i < M; ++i)
    for (int j = 0; j < N; ++j)
      mask[i * N + j] = j <= i ? 0.0f : -INFINITY;
  MemRef3D s = {scores, scores, 0, {B, M, N}, {M * N, N, 1}};
  MemRef2D mk = view2(mask, M, N), rowMax;
  _mlir_ciface_row_max(&rowMax, &s, &mk);
  double wantMax[B * M];
  for (int b = 0; b < B; ++b)
    for (int i = 0; i < M; ++i) {
      double best = -INFINITY;
      for (int j = 0; j < N; ++j)
        best = fmax(best, (double)scores[(b * M + i) * N + j] + mask[i * N + j]);
      wantMax[b * M + i] = best;
    }
  check("row_max", rowMax.aligned, wantMax, B * M);
  free(rowMax.allocated);

  // Sum of squares on a shape the function only knows at run time.
  float x[R * C];
  for (int i = 0; i < R * C; ++i)
    x[i] = cosf(0.5f * i) * (i % 3 - 1);
  MemRef2D xm = view2(x, R, C);
  MemRef1D ss;
  _mlir_ciface_sum_sq(&ss, &xm);
  double wantSs[R] = {0};
  for (int i = 0; i < R * C; ++i)
    wantSs[i / C] += (double)x[i] * x[i];
  check("sum_sq", ss.aligned, wantSs, R);
  free(ss.allocated);

  // Cross-entropy: softmax-like predictions; one-hot, smoothed and sparse
  // targets (q == 0 where p == 0 must contribute 0, not NaN).
  float p[XR * C], q[XR * C];
  for (int r = 0; r < XR; ++r) {
    double total = 0;
    for (int c = 0; c < C; ++c)
      total += exp(0.3 * ((r + 2 * c) % 7));
    for (int c = 0; c < C; ++c) {
      p[r * C + c] = (float)(exp(0.3 * ((r + 2 * c) % 7)) / total);
      q[r * C + c] = 0;
    }
  }
  q[0 * C + 3] = 1;                        // one-hot
  for (int c = 0; c < C; ++c)
    q[1 * C + c] = c == 7 ? 0.91f : 0.01f; // label smoothing
  q[2 * C + 0] = 0.5f, q[2 * C + 9] = 0.5f;
  p[2 * C + 4] = 0;                        // p == 0 where q == 0
  q[3 * C + 5] = 1;
  MemRef2D pm = view2(p, XR, C), qm = view2(q, XR, C);
  MemRef1D loss;
  _mlir_ciface_xent(&loss, &pm, &qm);
  double wantLoss[XR] = {0};
  for (int i = 0; i < XR * C; ++i)
    if (q[i] != 0)
      wantLoss[i / C] -= (double)q[i] * log((double)p[i]);
  check("xent", loss.aligned, wantLoss, XR);
  free(loss.allocated);

  printf(failures ? "FAILED\n" : "all results match the reference\n");
  return failures != 0;
}
