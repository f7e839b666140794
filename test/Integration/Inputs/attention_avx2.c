// Calls @attention of attention_avx2.mlir and checks every output against a
// double-precision causal attention computed here.
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

enum { H = 2, HKV = 1, M = 70, N = 70, D = 64 };

typedef struct {
  float *allocated, *aligned;
  int64_t offset, sizes[4], strides[4];
} Memref4;

void _mlir_ciface_attention(Memref4 *out, Memref4 *q, Memref4 *k, Memref4 *v);

static Memref4 memref(float *data, int64_t heads, int64_t rows) {
  Memref4 m = {data, data, 0, {1, heads, rows, D}, {heads * rows * D, rows * D, D, 1}};
  return m;
}

static float next(uint32_t *state) {
  *state = *state * 1664525u + 1013904223u;
  return (float)(*state >> 8) / (float)(1u << 24) * 2.0f - 1.0f;
}

int main(void) {
  static float q[H * M * D], k[HKV * N * D], v[HKV * N * D];
  uint32_t state = 1;
  for (int i = 0; i < H * M * D; ++i) q[i] = 3.0f * next(&state);
  for (int i = 0; i < HKV * N * D; ++i) k[i] = 3.0f * next(&state);
  for (int i = 0; i < HKV * N * D; ++i) v[i] = next(&state);
  Memref4 mq = memref(q, H, M), mk = memref(k, HKV, N), mv = memref(v, HKV, N), out;
  _mlir_ciface_attention(&out, &mq, &mk, &mv);

  double worst = 0, scale = 1.0 / sqrt((double)D);
  for (int h = 0; h < H; ++h)
    for (int i = 0; i < M; ++i) {
      double s[N], max = -INFINITY, sum = 0;
      for (int j = 0; j <= i; ++j) {  // causal, M == N
        s[j] = 0;
        for (int d = 0; d < D; ++d)
          s[j] += (double)q[(h * M + i) * D + d] * k[j * D + d];
        s[j] *= scale;
        if (s[j] > max) max = s[j];
      }
      for (int j = 0; j <= i; ++j) sum += s[j] = exp(s[j] - max);
      for (int e = 0; e < D; ++e) {
        double want = 0;
        for (int j = 0; j <= i; ++j) want += s[j] / sum * v[j * D + e];
        float got = out.aligned[out.offset + h * out.strides[1] +
                                i * out.strides[2] + e];
        // Outputs are averages of values in (-1, 1): relative to 0.01 at
        // least, where they cancel to almost nothing.
        double err = fabs(got - want) / (fabs(want) + 1e-2);
        if (!(err <= worst)) worst = err;  // NaN counts
      }
    }
  printf("max rel. error vs double reference %.1e: %s\n", worst,
         worst < 1e-4 ? "OK" : "FAIL");
  free(out.allocated);
  return worst < 1e-4 ? 0 : 1;
}
