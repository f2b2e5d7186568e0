#ifndef SWIFTGAN_PEAK_H
#define SWIFTGAN_PEAK_H
/// One core's single-precision FMA limit in GFLOP/s, measured for about `seconds` with chains of
/// independent fused multiply-adds at the widest vector width the CPU has (AVX-512 or AVX2+FMA);
/// 0 on CPUs with neither. The figure `bench` compares a step's convolution work with.
double swiftgan_fma_peak_gflops(double seconds);
/// One core's bf16 dot-product limit in GFLOP/s (`vdpbf16ps`: two products and two additions per
/// lane), measured the same way; 0 on CPUs without AVX512_BF16.
double swiftgan_bf16_peak_gflops(double seconds);
/// "avx512", "avx2" or "none": what the measurement ran.
const char *swiftgan_fma_peak_isa(void);
#endif
