#include "CPNG.h"
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void cpng_error(png_structp png, png_const_charp text) {
    cpng_image *image = (cpng_image *)png_get_error_ptr(png);
    snprintf(image->message, sizeof image->message, "%s", text);
    png_longjmp(png, 1);
}

static void cpng_warning(png_structp png, png_const_charp text) {
    (void)png;
    (void)text;
}

int cpng_read(int fd, cpng_image *image, unsigned max_side) {
    memset(image, 0, sizeof *image);
    int copy = dup(fd);
    if (copy < 0) {
        snprintf(image->message, sizeof image->message, "cannot duplicate the file descriptor");
        return 1;
    }
    FILE *file = fdopen(copy, "rb");
    if (!file) {
        close(copy);
        snprintf(image->message, sizeof image->message, "cannot open the file as a stream");
        return 1;
    }
    png_structp png = png_create_read_struct(PNG_LIBPNG_VER_STRING, image, cpng_error, cpng_warning);
    png_infop info = png ? png_create_info_struct(png) : NULL;
    if (!png || !info) {
        png_destroy_read_struct(png ? &png : NULL, NULL, NULL);
        fclose(file);
        snprintf(image->message, sizeof image->message, "out of memory");
        return 1;
    }
    unsigned char *volatile pixels = NULL;
    png_bytep *volatile rows = NULL;
    if (setjmp(png_jmpbuf(png))) {
        png_destroy_read_struct(&png, &info, NULL);
        fclose(file);
        free(pixels);
        free(rows);
        image->pixels = NULL;
        return 1;
    }
    png_init_io(png, file);
    png_read_info(png, info);
    png_uint_32 width = png_get_image_width(png, info), height = png_get_image_height(png, info);
    if (width == 0 || height == 0 || width > max_side || height > max_side) {
        snprintf(image->message, sizeof image->message, "implausible PNG size %ux%u", (unsigned)width, (unsigned)height);
        png_longjmp(png, 1);
    }
    png_set_expand(png);  // palette -> RGB, grey < 8 bits -> 8 bits, tRNS -> alpha
    png_set_strip_16(png);  // 16 -> 8 bits: the high byte
    if (png_get_interlace_type(png, info) != PNG_INTERLACE_NONE) png_set_interlace_handling(png);
    png_read_update_info(png, info);
    unsigned channels = png_get_channels(png, info);
    size_t rowbytes = png_get_rowbytes(png, info);
    if (channels < 1 || channels > 4 || rowbytes != (size_t)width * channels) {
        snprintf(image->message, sizeof image->message, "unsupported PNG layout");
        png_longjmp(png, 1);
    }
    pixels = malloc(rowbytes * height);
    rows = malloc(sizeof(png_bytep) * height);
    if (!pixels || !rows) {
        snprintf(image->message, sizeof image->message, "out of memory for %ux%u pixels", (unsigned)width, (unsigned)height);
        png_longjmp(png, 1);
    }
    for (png_uint_32 y = 0; y < height; y++) rows[y] = pixels + y * rowbytes;
    png_read_image(png, rows);
    png_read_end(png, NULL);
    png_destroy_read_struct(&png, &info, NULL);
    fclose(file);
    free(rows);
    image->width = width;
    image->height = height;
    image->channels = channels;
    image->pixels = pixels;
    return 0;
}

void cpng_free(cpng_image *image) {
    free(image->pixels);
    image->pixels = NULL;
}
