#ifndef SWIFTGAN_CPNG_H
#define SWIFTGAN_CPNG_H
// libpng for SwiftGAN. Writing uses libpng's simplified png_image API directly from Swift.
// Reading goes through cpng_read below: the classic API needs setjmp for its errors, which Swift
// cannot call, and only the classic API can decode without colour management, as Pillow does.
#include <png.h>
#include <stddef.h>

/// A decoded PNG: 8-bit samples, interleaved (height, width, channels), where channels is the
/// file's own colour model after expansion: 1 grey, 2 grey+alpha, 3 RGB, 4 RGBA.
typedef struct {
    unsigned width;
    unsigned height;
    unsigned channels;
    unsigned char *pixels;  // malloc'ed; free with cpng_free
    char message[200];      // why decoding failed
} cpng_image;

/// Decodes the PNG file open as `fd` (not closed) the way Pillow does: palettes and grey
/// depths below 8 bits expand to 8 bits, tRNS becomes an alpha channel, 16-bit samples keep
/// their high byte (a linear scaling), and no gamma or colour-space conversion is applied.
/// Returns 0 on success; otherwise `message` says why and nothing needs freeing.
int cpng_read(int fd, cpng_image *image, unsigned max_side);

void cpng_free(cpng_image *image);
#endif
