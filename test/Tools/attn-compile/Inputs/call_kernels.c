// Calls the library that shared-library.mlir builds, through the header
// attn-compile wrote, and checks it against double-precision references.
#include "kernels.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>

int main(void) {
  enum { R = 37, C = 301 };
  static float x[R * C];
  for (int i = 0; i < R * C; ++i)
    x[i] = sinf(0.173f * i) * 20;
  attn_memref_2d_f32 in = {x, x, 0, {R, C}, {C, 1}}, out;
  _mlir_ciface_softmax(&out, &in);
  double worst = 0;
  for (int r = 0; r < R; ++r) {
    double m = -INFINITY, s = 0;
    for (int c = 0; c < C; ++c)
      m = fmax(m, x[r * C + c]);
    for (int c = 0; c < C; ++c)
      s += exp(x[r * C + c] - m);
    for (int c = 0; c < C; ++c) {
      double want = exp(x[r * C + c] - m) / s;
      double got = out.aligned[out.offset + r * out.strides[0] + c * out.strides[1]];
      worst = fmax(worst, fabs(got - want));
    }
  }
  printf("softmax max abs. error %.2g: %s\n", worst, worst < 1e-6 ? "OK" : "MISMATCH");
  free(out.allocated);

  enum { N = 5, V = 7 };
  double z[N * V];
  int64_t t[N] = {0, 6, 3, -100, 2};
  for (int i = 0; i < N * V; ++i)
    z[i] = cos(0.31 * i) * 3;
  attn_memref_2d_f64 zm = {z, z, 0, {N, V}, {V, 1}};
  attn_memref_1d_i64 tm = {t, t, 0, {N}, {1}};
  losses_results res;
  _mlir_ciface_losses(&res, &zm, &tm);
  double worstLoss = 0, sum = 0;
  for (int i = 0; i < N; ++i) {
    double want = 0;
    if (t[i] != -100) {
      double m = -INFINITY, s = 0;
      for (int c = 0; c < V; ++c)
        m = fmax(m, z[i * V + c]);
      for (int c = 0; c < V; ++c)
        s += exp(z[i * V + c] - m);
      want = m + log(s) - z[i * V + t[i]];
    }
    sum += want;
    worstLoss = fmax(worstLoss, fabs(res.r0.aligned[res.r0.offset + i] - want) / fmax(1, fabs(want)));
  }
  worstLoss = fmax(worstLoss, fabs(res.r1.aligned[res.r1.offset] - sum) / fmax(1, fabs(sum)));
  printf("losses max rel. error %.2g: %s\n", worstLoss, worstLoss < 1e-12 ? "OK" : "MISMATCH");
  free(res.r0.allocated);
  free(res.r1.allocated);
  return 0;
}
