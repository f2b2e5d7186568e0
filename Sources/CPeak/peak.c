#include "peak.h"
#include <immintrin.h>
#include <string.h>
#include <time.h>

static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + t.tv_nsec * 1e-9;
}

// 12 independent accumulators hide the FMA latency (4 cycles) on two FMA ports.
#define CHAINS(OP, T, SET)                                                                  \
    T a0 = SET(1.0f), a1 = SET(1.1f), a2 = SET(1.2f), a3 = SET(1.3f), a4 = SET(1.4f), a5 = SET(1.5f), \
      a6 = SET(1.6f), a7 = SET(1.7f), a8 = SET(1.8f), a9 = SET(1.9f), a10 = SET(2.0f), a11 = SET(2.1f); \
    const T m = SET(0.999999f), c = SET(1e-7f);                                             \
    for (long i = 0; i < iterations; i++) {                                                 \
        a0 = OP(a0, m, c); a1 = OP(a1, m, c); a2 = OP(a2, m, c); a3 = OP(a3, m, c);         \
        a4 = OP(a4, m, c); a5 = OP(a5, m, c); a6 = OP(a6, m, c); a7 = OP(a7, m, c);         \
        a8 = OP(a8, m, c); a9 = OP(a9, m, c); a10 = OP(a10, m, c); a11 = OP(a11, m, c);     \
    }

// The 12 accumulators' sum (kept so the chains are not optimised away).
__attribute__((target("avx512f"))) static inline float sum512(__m512 a0, __m512 a1, __m512 a2, __m512 a3, __m512 a4, __m512 a5,
                                                               __m512 a6, __m512 a7, __m512 a8, __m512 a9, __m512 a10, __m512 a11) {
    __m512 s = _mm512_add_ps(_mm512_add_ps(_mm512_add_ps(a0, a1), _mm512_add_ps(a2, a3)),
                             _mm512_add_ps(_mm512_add_ps(a4, a5), _mm512_add_ps(_mm512_add_ps(a6, a7),
                             _mm512_add_ps(_mm512_add_ps(a8, a9), _mm512_add_ps(a10, a11)))));
    return _mm512_reduce_add_ps(s);
}

__attribute__((target("avx512f"))) static float run512(long iterations) {
    CHAINS(_mm512_fmadd_ps, __m512, _mm512_set1_ps)
    return sum512(a0, a1, a2, a3, a4, a5, a6, a7, a8, a9, a10, a11);
}

__attribute__((target("avx2,fma"))) static float run256(long iterations) {
    CHAINS(_mm256_fmadd_ps, __m256, _mm256_set1_ps)
    __m256 s = _mm256_add_ps(_mm256_add_ps(_mm256_add_ps(a0, a1), _mm256_add_ps(a2, a3)),
                             _mm256_add_ps(_mm256_add_ps(a4, a5), _mm256_add_ps(_mm256_add_ps(a6, a7),
                             _mm256_add_ps(_mm256_add_ps(a8, a9), _mm256_add_ps(a10, a11)))));
    float out[8];
    _mm256_storeu_ps(out, s);
    return out[0] + out[1] + out[2] + out[3] + out[4] + out[5] + out[6] + out[7];
}

// vdpbf16ps: 16 lanes, each adding two bf16 products (4 FLOPs per lane).
#define DPBF16(a, m, c) _mm512_dpbf16_ps(a, (__m512bh)m, (__m512bh)c)
__attribute__((target("avx512f,avx512bf16"))) static float runBF16(long iterations) {
    CHAINS(DPBF16, __m512, _mm512_set1_ps)
    return sum512(a0, a1, a2, a3, a4, a5, a6, a7, a8, a9, a10, a11);
}

const char *swiftgan_fma_peak_isa(void) {
    __builtin_cpu_init();
    if (__builtin_cpu_supports("avx512f")) return "avx512";
    if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) return "avx2";
    return "none";
}

static volatile float sink;

/// Runs `kernel` repeatedly for about `seconds`; the best rate, counting `flops` per iteration.
static double best_rate(float (*kernel)(long), double flops, double seconds) {
    double best = 0;
    long iterations = 1 << 20;
    double start = now();
    // Repeat until the time is spent; keep the best rate (another process may steal a slice).
    while (now() - start < seconds) {
        double t = now();
        sink = kernel(iterations);
        double elapsed = now() - t;
        double rate = flops * (double)iterations / elapsed * 1e-9;
        if (rate > best) best = rate;
    }
    return best;
}

double swiftgan_bf16_peak_gflops(double seconds) {
    __builtin_cpu_init();
    if (!__builtin_cpu_supports("avx512bf16")) return 0;
    return best_rate(runBF16, 4.0 * 12 * 16, seconds);
}

double swiftgan_fma_peak_gflops(double seconds) {
    const char *isa = swiftgan_fma_peak_isa();
    int lanes = strcmp(isa, "avx512") == 0 ? 16 : strcmp(isa, "avx2") == 0 ? 8 : 0;
    if (lanes == 0) return 0;
    return best_rate(lanes == 16 ? run512 : run256, 2.0 * 12 * lanes, seconds);
}
