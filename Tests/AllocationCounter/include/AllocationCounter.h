#ifndef SWIFTGAN_ALLOCATION_COUNTER_H
#define SWIFTGAN_ALLOCATION_COUNTER_H
// Counts heap allocations made by this process while counting is on.
// malloc, calloc, realloc, posix_memalign, aligned_alloc and memalign are interposed in the
// test executable and forward to glibc's __libc_* implementations.
void allocation_counter_start(void);
/// Stops counting; returns the number of allocations since start.
long allocation_counter_stop(void);
#endif
