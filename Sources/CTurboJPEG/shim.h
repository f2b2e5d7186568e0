#ifndef SWIFTGAN_CTURBOJPEG_SHIM_H
#define SWIFTGAN_CTURBOJPEG_SHIM_H
// TurboJPEG 2.1: tjInitDecompress, tjDecompressHeader3, tjDecompress2.
#include <stddef.h>
#include <turbojpeg.h>
#endif
