// Hand-written C versions of the attn ops, the benchmark's C baselines.
// Compiled three times by bench/run.py: strict (-O3 -march=native), with
// -ffast-math, and with -ffast-math -fveclib=libmvec (glibc's vector math,
// what a user who wants vectorized logf/expf compiles). Row-major, float32,
// one thread; written as a careful C programmer would, not tuned with
// intrinsics.

#include <math.h>
#include <stddef.h>
#include <stdint.h>

// out[b, i] = max_j s[b, i, j] + m[i, j]
void c_masked_max(const float *s, const float *m, float *out, int64_t B,
                  int64_t M, int64_t N) {
  for (int64_t b = 0; b < B; ++b)
    for (int64_t i = 0; i < M; ++i) {
      const float *row = s + (b * M + i) * N, *mrow = m + i * N;
      float best = -INFINITY;
      for (int64_t j = 0; j < N; ++j) {
        float v = row[j] + mrow[j];
        best = v > best ? v : best;
      }
      out[b * M + i] = best;
    }
}

// out[r] = sum_j x[r, j]^2
void c_sum_sq(const float *x, float *out, int64_t R, int64_t N) {
  for (int64_t r = 0; r < R; ++r) {
    const float *row = x + r * N;
    float acc = 0;
    for (int64_t j = 0; j < N; ++j)
      acc += row[j] * row[j];
    out[r] = acc;
  }
}

// out[r] = -sum_c q log p, 0 where q == 0. The log is taken of p + 1 where
// q == 0 (then multiplied by 0), not skipped: a skipped log makes clang
// pass p = 0 to the vector logf in those lanes, and glibc's vector logf
// computes any vector holding a 0 one lane at a time (13x slower here).
void c_xent(const float *p, const float *q, float *out, int64_t R, int64_t C) {
  for (int64_t r = 0; r < R; ++r) {
    const float *pr = p + r * C, *qr = q + r * C;
    float acc = 0;
    for (int64_t c = 0; c < C; ++c)
      acc -= qr[c] * logf(pr[c] + (qr[c] == 0));
    out[r] = acc;
  }
}

// expf(v), with the arguments below -87 (where expf is 0 or subnormal,
// flushed to 0 under -ffast-math anyway) given 0 after the call, not to it:
// glibc's vector expf computes any vector holding an argument out of its
// range (a -inf from the mask) one lane at a time.
static inline float exp_or_0(float v) {
  float e = expf(fmaxf(v, -87.0f));
  return v < -87.0f ? 0.0f : e;
}

// out = softmax(x + m) over the last dim; rows of B x M, mask M x N
void c_softmax(const float *x, const float *m, float *out, int64_t B,
               int64_t M, int64_t N) {
  for (int64_t b = 0; b < B; ++b)
    for (int64_t i = 0; i < M; ++i) {
      const float *row = x + (b * M + i) * N, *mrow = m + i * N;
      float *o = out + (b * M + i) * N;
      float mx = -INFINITY;
      for (int64_t j = 0; j < N; ++j) {
        float v = row[j] + mrow[j];
        mx = v > mx ? v : mx;
      }
      float shift = mx == -INFINITY ? 0 : mx, sum = 0;
      for (int64_t j = 0; j < N; ++j)
        sum += exp_or_0(row[j] + mrow[j] - shift);
      float r = sum == 0 ? 0 : 1 / sum;
      for (int64_t j = 0; j < N; ++j)
        o[j] = exp_or_0(row[j] + mrow[j] - shift) * r;
    }
}

// Causal attention, q, k, v, out: [H, S, D]; one query row at a time with an
// online softmax over its keys (scratch: S floats).
void c_attention_causal(const float *q, const float *k, const float *v,
                        float *out, float *scratch, int64_t H, int64_t S,
                        int64_t D, float scale) {
  for (int64_t h = 0; h < H; ++h)
    for (int64_t i = 0; i < S; ++i) {
      const float *qi = q + (h * S + i) * D;
      float mx = -INFINITY;
      for (int64_t j = 0; j <= i; ++j) {
        const float *kj = k + (h * S + j) * D;
        float dot = 0;
        for (int64_t d = 0; d < D; ++d)
          dot += qi[d] * kj[d];
        scratch[j] = dot * scale;
        mx = scratch[j] > mx ? scratch[j] : mx;
      }
      float *o = out + (h * S + i) * D, sum = 0;
      for (int64_t d = 0; d < D; ++d)
        o[d] = 0;
      for (int64_t j = 0; j <= i; ++j) {
        float p = expf(scratch[j] - mx);
        sum += p;
        const float *vj = v + (h * S + j) * D;
        for (int64_t d = 0; d < D; ++d)
          o[d] += p * vj[d];
      }
      for (int64_t d = 0; d < D; ++d)
        o[d] /= sum;
    }
}
