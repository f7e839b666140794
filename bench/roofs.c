// The machine's roofs, measured by bench/run.py in the same run as the
// kernels they divide: read bandwidth and FMA peak, on 1 and on n threads.
//
// Built WITHOUT -ffast-math: under it clang reassociates `a = a * y + x`
// chains and executes a fraction of the FMAs a C loop counts. The FMA chains
// are intrinsics at the host's widest vector width (AVX-512 or AVX2), which
// no flag lets the compiler merge or drop; bench/run.py checks the object's
// FMA count against the one counted here.

#include <immintrin.h>
#include <pthread.h>
#include <stdint.h>

#if defined(__AVX512F__)
typedef __m512 vf;
#define VF_LANES 16
#define vf_set1 _mm512_set1_ps
#define vf_fmadd _mm512_fmadd_ps
#define vf_add _mm512_add_ps
#define vf_load _mm512_loadu_ps
static float vf_sum(vf v) { return _mm512_reduce_add_ps(v); }
#else
typedef __m256 vf;
#define VF_LANES 8
#define vf_set1 _mm256_set1_ps
#define vf_fmadd _mm256_fmadd_ps
#define vf_add _mm256_add_ps
#define vf_load _mm256_loadu_ps
static float vf_sum(vf v) {
  float lanes[8];
  _mm256_storeu_ps(lanes, v);
  float s = 0;
  for (int i = 0; i < 8; ++i)
    s += lanes[i];
  return s;
}
#endif

// Independent FMA chains: enough to cover the FMA latency (4-5 cycles) times
// the units (2) on every x86-64 host seen.
#define CHAINS 12

// Lanes of one FMA instruction and the chains per iteration: bench/run.py
// counts flops as iters * CHAINS * lanes * 2.
int roof_fma_lanes(void) { return VF_LANES; }
int roof_fma_chains(void) { return CHAINS; }

float roof_fma(int64_t iters) {
  vf a0 = vf_set1(0.0f), a1 = vf_set1(1.0f), a2 = vf_set1(2.0f),
     a3 = vf_set1(3.0f), a4 = vf_set1(4.0f), a5 = vf_set1(5.0f),
     a6 = vf_set1(6.0f), a7 = vf_set1(7.0f), a8 = vf_set1(8.0f),
     a9 = vf_set1(9.0f), a10 = vf_set1(10.0f), a11 = vf_set1(11.0f);
  vf y = vf_set1(0.999999f), x = vf_set1(1e-7f);
  for (int64_t it = 0; it < iters; ++it) {
    a0 = vf_fmadd(a0, y, x);
    a1 = vf_fmadd(a1, y, x);
    a2 = vf_fmadd(a2, y, x);
    a3 = vf_fmadd(a3, y, x);
    a4 = vf_fmadd(a4, y, x);
    a5 = vf_fmadd(a5, y, x);
    a6 = vf_fmadd(a6, y, x);
    a7 = vf_fmadd(a7, y, x);
    a8 = vf_fmadd(a8, y, x);
    a9 = vf_fmadd(a9, y, x);
    a10 = vf_fmadd(a10, y, x);
    a11 = vf_fmadd(a11, y, x);
    // Keeps the loop's FMAs from being folded across iterations.
    __asm__ volatile("" : "+x"(a0), "+x"(a1), "+x"(a2), "+x"(a3), "+x"(a4),
                     "+x"(a5), "+x"(a6), "+x"(a7), "+x"(a8), "+x"(a9),
                     "+x"(a10), "+x"(a11));
  }
  vf s = vf_add(vf_add(vf_add(a0, a1), vf_add(a2, a3)),
                vf_add(vf_add(a4, a5), vf_add(a6, a7)));
  s = vf_add(s, vf_add(vf_add(a8, a9), vf_add(a10, a11)));
  return vf_sum(s);
}

// A streaming read of n floats (n a multiple of 16 * VF_LANES): 16 loads
// per iteration into 8 independent accumulators, every one summed into the
// result (so that no load is dropped): the loads are the limit.
float roof_read(const float *x, int64_t n) {
  vf a[8];
  for (int k = 0; k < 8; ++k)
    a[k] = vf_set1(0);
  for (int64_t i = 0; i + 16 * VF_LANES <= n; i += 16 * VF_LANES)
    for (int k = 0; k < 16; ++k)
      a[k % 8] = vf_add(a[k % 8], vf_load(x + i + k * VF_LANES));
  for (int k = 1; k < 8; ++k)
    a[0] = vf_add(a[0], a[k]);
  return vf_sum(a[0]);
}

// The same probes on `threads` threads at once (each its own FMA chains, or
// its own contiguous part of x): the roofs a multi-threaded kernel divides.
struct probe {
  const float *x;
  int64_t n;
  float result;
};

static void *fma_thread(void *arg) {
  struct probe *p = arg;
  p->result = roof_fma(p->n);
  return 0;
}

static void *read_thread(void *arg) {
  struct probe *p = arg;
  p->result = roof_read(p->x, p->n);
  return 0;
}

static float run_threads(void *(*fn)(void *), const float *x, int64_t n,
                         int64_t per, int threads) {
  pthread_t ids[64];
  struct probe probes[64];
  if (threads > 64)
    threads = 64;
  for (int t = 0; t < threads; ++t) {
    probes[t].x = x ? x + t * per : 0;
    probes[t].n = n;
    pthread_create(&ids[t], 0, fn, &probes[t]);
  }
  float total = 0;
  for (int t = 0; t < threads; ++t) {
    pthread_join(ids[t], 0);
    total += probes[t].result;
  }
  return total;
}

float roof_fma_threads(int64_t iters, int threads) {
  return run_threads(fma_thread, 0, iters, 0, threads);
}

// x holds threads * n floats; thread t reads x[t * n, (t + 1) * n).
float roof_read_threads(const float *x, int64_t n, int threads) {
  return run_threads(read_thread, x, n, n, threads);
}
