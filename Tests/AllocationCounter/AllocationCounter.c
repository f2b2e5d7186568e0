#define _GNU_SOURCE
#include "AllocationCounter.h"
#include <dlfcn.h>
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>

extern void *__libc_malloc(size_t);
extern void *__libc_calloc(size_t, size_t);
extern void *__libc_realloc(void *, size_t);
extern void *__libc_memalign(size_t, size_t);

static atomic_int counting;
static pthread_t counted_thread;
static atomic_long allocations;
static atomic_long library_allocations;
static atomic_long library_calls;
static __thread int inside_library;

static inline void note(void) {
    if (!atomic_load_explicit(&counting, memory_order_relaxed) || !pthread_equal(pthread_self(), counted_thread)) return;
    if (inside_library) atomic_fetch_add(&library_allocations, 1);
    else atomic_fetch_add(&allocations, 1);
}

void allocation_counter_start(void) {
    atomic_store(&allocations, 0);
    atomic_store(&library_allocations, 0);
    atomic_store(&library_calls, 0);
    counted_thread = pthread_self();
    atomic_store(&counting, 1);
}
long allocation_counter_stop(void) { atomic_store(&counting, 0); return atomic_load(&allocations); }
long allocation_counter_library(void) { return atomic_load(&library_allocations); }
long allocation_counter_library_calls(void) { return atomic_load(&library_calls); }

void *malloc(size_t n) { note(); return __libc_malloc(n); }
void *calloc(size_t k, size_t n) { note(); return __libc_calloc(k, n); }
void *realloc(void *p, size_t n) { note(); return __libc_realloc(p, n); }
void *memalign(size_t a, size_t n) { note(); return __libc_memalign(a, n); }
void *aligned_alloc(size_t a, size_t n) { note(); return __libc_memalign(a, n); }
int posix_memalign(void **out, size_t a, size_t n) {
    note();
    void *p = __libc_memalign(a, n);
    if (!p) return ENOMEM;
    *out = p;
    return 0;
}

// OpenBLAS's cblas_sgemm (LP64: enums and blasint are int). The engine's calls bind to this
// definition in the test executable; it forwards to the library's.
typedef void (*sgemm_fn)(int, int, int, int, int, int, float, const float *, int, const float *, int, float, float *, int);

void cblas_sgemm(int order, int transA, int transB, int m, int n, int k, float alpha, const float *a, int lda,
                 const float *b, int ldb, float beta, float *c, int ldc) {
    static sgemm_fn real;
    if (!real) {
        inside_library++;  // dlsym may allocate on its first call
        real = (sgemm_fn)dlsym(RTLD_NEXT, "cblas_sgemm");
        inside_library--;
    }
    if (atomic_load_explicit(&counting, memory_order_relaxed)) atomic_fetch_add(&library_calls, 1);
    inside_library++;
    real(order, transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
    inside_library--;
}

// oneDNN's execution entry points, likewise: what oneDNN allocates while it runs a primitive
// (its execution context, OpenMP's bookkeeping) is the library's.
#define FORWARD_LIBRARY_CALL(ret, name, params, args)                     \
    ret name params {                                                     \
        static ret (*real) params;                                        \
        if (!real) {                                                      \
            inside_library++;                                             \
            real = (ret (*) params)dlsym(RTLD_NEXT, #name);               \
            inside_library--;                                             \
        }                                                                 \
        if (atomic_load_explicit(&counting, memory_order_relaxed))        \
            atomic_fetch_add(&library_calls, 1);                          \
        inside_library++;                                                 \
        ret result = real args;                                           \
        inside_library--;                                                 \
        return result;                                                    \
    }

FORWARD_LIBRARY_CALL(int, dnnl_primitive_execute, (const void *p, void *s, int n, const void *a), (p, s, n, a))
FORWARD_LIBRARY_CALL(int, dnnl_stream_wait, (void *s), (s))
FORWARD_LIBRARY_CALL(int, dnnl_memory_set_data_handle, (void *m, void *h), (m, h))
