#ifndef SWIFTGAN_CDNNL_SHIM_H
#define SWIFTGAN_CDNNL_SHIM_H
// oneDNN 2.x (Debian's libdnnl-dev), C API, plus helpers for 4-D tensors and 2-D convolutions
// so that Swift need not build dnnl_dims_t arrays by hand.
#include <oneapi/dnnl/dnnl.h>

/// A 4-D memory descriptor `(d0, d1, d2, d3)` in format `tag`.
static inline dnnl_status_t sg_md4(dnnl_memory_desc_t *md, int64_t d0, int64_t d1, int64_t d2, int64_t d3,
                                   dnnl_data_type_t type, dnnl_format_tag_t tag) {
    dnnl_dims_t dims = {d0, d1, d2, d3};
    return dnnl_memory_desc_init_by_tag(md, 4, dims, type, tag);
}

/// A 1-D memory descriptor (a bias).
static inline dnnl_status_t sg_md1(dnnl_memory_desc_t *md, int64_t d0, dnnl_data_type_t type) {
    dnnl_dims_t dims = {d0};
    return dnnl_memory_desc_init_by_tag(md, 1, dims, type, dnnl_a);
}

/// Forward (training) descriptor of a 2-D convolution (`deconv` 0) or deconvolution (1) with
/// square stride and per-side padding; `bias` may be NULL.
static inline dnnl_status_t sg_conv_forward(dnnl_convolution_desc_t *d, int deconv, const dnnl_memory_desc_t *src,
                                            const dnnl_memory_desc_t *weights, const dnnl_memory_desc_t *bias,
                                            const dnnl_memory_desc_t *dst, int64_t stride, int64_t before, int64_t after) {
    dnnl_dims_t s = {stride, stride}, l = {before, before}, r = {after, after};
    return deconv ? dnnl_deconvolution_forward_desc_init(d, dnnl_forward_training, dnnl_deconvolution_direct, src, weights, bias, dst, s, l, r)
                  : dnnl_convolution_forward_desc_init(d, dnnl_forward_training, dnnl_convolution_direct, src, weights, bias, dst, s, l, r);
}

static inline dnnl_status_t sg_conv_backward_data(dnnl_convolution_desc_t *d, int deconv, const dnnl_memory_desc_t *diff_src,
                                                  const dnnl_memory_desc_t *weights, const dnnl_memory_desc_t *diff_dst,
                                                  int64_t stride, int64_t before, int64_t after) {
    dnnl_dims_t s = {stride, stride}, l = {before, before}, r = {after, after};
    return deconv ? dnnl_deconvolution_backward_data_desc_init(d, dnnl_deconvolution_direct, diff_src, weights, diff_dst, s, l, r)
                  : dnnl_convolution_backward_data_desc_init(d, dnnl_convolution_direct, diff_src, weights, diff_dst, s, l, r);
}

static inline dnnl_status_t sg_conv_backward_weights(dnnl_convolution_desc_t *d, int deconv, const dnnl_memory_desc_t *src,
                                                     const dnnl_memory_desc_t *diff_weights, const dnnl_memory_desc_t *diff_dst,
                                                     int64_t stride, int64_t before, int64_t after) {
    dnnl_dims_t s = {stride, stride}, l = {before, before}, r = {after, after};
    return deconv ? dnnl_deconvolution_backward_weights_desc_init(d, dnnl_deconvolution_direct, src, diff_weights, NULL, diff_dst, s, l, r)
                  : dnnl_convolution_backward_weights_desc_init(d, dnnl_convolution_direct, src, diff_weights, NULL, diff_dst, s, l, r);
}

// Execution argument kinds (macros Swift may not import).
static const int SG_ARG_SRC = DNNL_ARG_SRC;
static const int SG_ARG_DST = DNNL_ARG_DST;
static const int SG_ARG_WEIGHTS = DNNL_ARG_WEIGHTS;
static const int SG_ARG_BIAS = DNNL_ARG_BIAS;
static const int SG_ARG_DIFF_SRC = DNNL_ARG_DIFF_SRC;
static const int SG_ARG_DIFF_DST = DNNL_ARG_DIFF_DST;
static const int SG_ARG_DIFF_WEIGHTS = DNNL_ARG_DIFF_WEIGHTS;
static const int SG_ARG_SCRATCHPAD = DNNL_ARG_SCRATCHPAD;
static const int SG_ARG_FROM = DNNL_ARG_FROM;
static const int SG_ARG_TO = DNNL_ARG_TO;

/// The implementation oneDNN chose for a primitive descriptor (e.g. "jit:avx512_core").
static inline const char *sg_impl_info(const_dnnl_primitive_desc_t pd) {
    const char *info = "";
    dnnl_primitive_desc_query(pd, dnnl_query_impl_info_str, 0, &info);
    return info;
}
#endif
