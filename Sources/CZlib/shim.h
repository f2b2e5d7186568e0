#ifndef SWIFTGAN_CZLIB_SHIM_H
#define SWIFTGAN_CZLIB_SHIM_H
#include <zlib.h>
#endif
