// _mlir_ciface_* wrappers around the hand-written C kernels of bench/kernels.c (reference point)
#include <stdint.h>
#include <stdlib.h>
#define MEMREF(N) typedef struct { float *allocated, *aligned; int64_t offset, sizes[N], strides[N]; } M##N
MEMREF(1); MEMREF(2); MEMREF(3);
void c_masked_max(const float *, const float *, float *, int64_t, int64_t, int64_t);
void c_sum_sq(const float *, float *, int64_t, int64_t);
void c_xent(const float *, const float *, float *, int64_t, int64_t);
void c_softmax(const float *, const float *, float *, int64_t, int64_t, int64_t);
static float *ret(size_t n) { return aligned_alloc(64, (n * 4 + 63) / 64 * 64); }
void _mlir_ciface_masked_max(M2 *r, M3 *s, M2 *m) { int64_t B = s->sizes[0], M = s->sizes[1], N = s->sizes[2]; float *o = ret(B * M); c_masked_max(s->aligned, m->aligned, o, B, M, N); *r = (M2){o, o, 0, {B, M}, {M, 1}}; }
void _mlir_ciface_sum_sq(M1 *r, M2 *x) { int64_t R = x->sizes[0], N = x->sizes[1]; float *o = ret(R); c_sum_sq(x->aligned, o, R, N); *r = (M1){o, o, 0, {R}, {1}}; }
void _mlir_ciface_xent(M1 *r, M2 *p, M2 *q) { int64_t R = p->sizes[0], C = p->sizes[1]; float *o = ret(R); c_xent(p->aligned, q->aligned, o, R, C); *r = (M1){o, o, 0, {R}, {1}}; }
void _mlir_ciface_softmax(M3 *r, M3 *x, M2 *m) { int64_t B = x->sizes[0], M = x->sizes[1], N = x->sizes[2]; float *o = ret(B * M * N); c_softmax(x->aligned, m->aligned, o, B, M, N); *r = (M3){o, o, 0, {B, M, N}, {M * N, N, 1}}; }
