#ifndef SWIFTGAN_ALLOCATION_COUNTER_H
#define SWIFTGAN_ALLOCATION_COUNTER_H
// Counts heap allocations made by SwiftGAN's own code on the thread that starts the counter.
//
// malloc, calloc, realloc, posix_memalign, aligned_alloc and memalign are interposed in the test
// executable and forward to glibc's __libc_* implementations. The libraries' entry points that the
// engine calls (OpenBLAS's cblas_sgemm; oneDNN's dnnl_primitive_execute, dnnl_stream_wait and
// dnnl_memory_set_data_handle) are interposed too: what happens inside them is the library's
// business (OpenBLAS's AVX-512 kernels allocate per call, its Haswell kernels do not; oneDNN
// allocates an execution context per call), so those allocations are counted apart and never
// asserted on.
void allocation_counter_start(void);
/// Stops counting; returns the number of allocations made outside the libraries since start.
long allocation_counter_stop(void);
/// Allocations made inside library calls during the last counting period (for reports only).
long allocation_counter_library(void);
/// Library calls seen during the last counting period (proves the interposition is active).
long allocation_counter_library_calls(void);
#endif
