#ifndef SWIFTGAN_CPNG_SHIM_H
#define SWIFTGAN_CPNG_SHIM_H
// libpng: only the simplified png_image API is used (the classic API needs setjmp).
#include <png.h>
#endif
