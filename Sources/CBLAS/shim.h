#ifndef SWIFTGAN_CBLAS_SHIM_H
#define SWIFTGAN_CBLAS_SHIM_H
// OpenBLAS: cblas_sgemm plus openblas_set_num_threads / openblas_get_num_threads.
#include <cblas.h>
#endif
