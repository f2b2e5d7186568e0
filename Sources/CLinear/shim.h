#ifndef SWIFTGAN_CLINEAR_SHIM_H
#define SWIFTGAN_CLINEAR_SHIM_H
// LIBLINEAR 2.3 (Debian's liblinear-dev): the library scikit-learn's LinearSVC wraps.
#include <linear.h>
#endif
