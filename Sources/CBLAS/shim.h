#ifndef SWIFTGAN_CBLAS_SHIM_H
#define SWIFTGAN_CBLAS_SHIM_H
// OpenBLAS: cblas_sgemm plus openblas_set_num_threads / openblas_get_num_threads.
#include <cblas.h>
#include <stddef.h>

// LAPACK (OpenBLAS bundles it): the symmetric eigensolver, Fortran calling convention with the
// hidden lengths of the two character arguments.
void dsyevd_(const char *jobz, const char *uplo, const int *n, double *a, const int *lda, double *w,
             double *work, const int *lwork, int *iwork, const int *liwork, int *info,
             size_t jobz_length, size_t uplo_length);
#endif
