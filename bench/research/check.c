// Edge-case check: vectorized recipe vs today's --attn-lower-to-llvm on small.mlir shapes
// (NaN, -inf, fully masked rows, q == 0, p == 0). Prints max abs diff and NaN/inf mismatches.
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#define MEMREF(N) typedef struct { float *allocated, *aligned; int64_t offset, sizes[N], strides[N]; } M##N
MEMREF(1); MEMREF(2); MEMREF(3);
#define DECL(n, R, ...) void _mlir_ciface_##n(R *, __VA_ARGS__); void _mlir_ciface_##n##_ref(R *, __VA_ARGS__);
DECL(masked_max, M2, M3 *, M2 *) DECL(sum_sq, M1, M2 *) DECL(xent, M1, M2 *, M2 *) DECL(softmax, M3, M3 *, M2 *)
static void cmpv(const char *n, const float *a, const float *b, int len) {
  double md = 0; int bad = 0;
  for (int i = 0; i < len; ++i) {
    if (isnan(a[i]) || isnan(b[i]) || isinf(a[i]) || isinf(b[i])) { bad += !((isnan(a[i]) && isnan(b[i])) || a[i] == b[i]); continue; }
    double d = fabs(a[i] - b[i]) / fmax(1, fabs(b[i])); md = d > md ? d : md;
  }
  printf("%-10s n=%d max rel diff %.3g, nan/inf mismatches %d\n", n, len, md, bad);
}
int main(void) {
  enum { B = 4, M = 64, N = 256 };
  float *s = malloc(4 * B * M * N), *m = malloc(4 * M * N), *p = malloc(4 * M * N), *q = malloc(4 * M * N);
  for (int i = 0; i < B * M * N; ++i) s[i] = sinf(i * 0.37f) * 5;
  for (int i = 0; i < M * N; ++i) { m[i] = (i % N) > (i / N) * 4 ? -INFINITY : 0; p[i] = 0.5f + 0.49f * sinf(i * 0.11f); q[i] = (i % 5) ? 0.3f : 0; }
  for (int j = 0; j < N; ++j) m[3 * N + j] = -INFINITY;          // fully masked row 3
  s[(0 * M + 5) * N + 17] = NAN; s[(1 * M + 7) * N + 3] = INFINITY; // NaN row, +inf row
  p[2 * N + 10] = 0; q[2 * N + 10] = 0.5f; p[4 * N + 11] = 0;     // +inf loss row 2; 0*log0 row 4 (q=0 at 10? make it so)
  q[4 * N + 11] = 0;
  M3 S = {s, s, 0, {B, M, N}, {M * N, N, 1}}; M2 Mk = {m, m, 0, {M, N}, {N, 1}}, P = {p, p, 0, {M, N}, {N, 1}}, Q = {q, q, 0, {M, N}, {N, 1}};
  M2 r2, r2r; M1 r1, r1r; M3 r3, r3r;
  _mlir_ciface_masked_max(&r2, &S, &Mk); _mlir_ciface_masked_max_ref(&r2r, &S, &Mk); cmpv("masked_max", r2.aligned, r2r.aligned, B * M);
  _mlir_ciface_sum_sq(&r1, &P); _mlir_ciface_sum_sq_ref(&r1r, &P); cmpv("sum_sq", r1.aligned, r1r.aligned, M);
  _mlir_ciface_xent(&r1, &P, &Q); _mlir_ciface_xent_ref(&r1r, &P, &Q); cmpv("xent", r1.aligned, r1r.aligned, M);
  _mlir_ciface_softmax(&r3, &S, &Mk); _mlir_ciface_softmax_ref(&r3r, &S, &Mk); cmpv("softmax", r3.aligned, r3r.aligned, B * M * N);
  return 0;
}
