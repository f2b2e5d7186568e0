/// Batched im2col: `x (n, C, H, W)` in `layout` → `cols (C*k*k, n*OH*OW)`, row-major.
///
/// Row `(c*k + ki)*k + kj` holds, for every sample and output position `(oh, ow)`, the input
/// pixel `x[s, c, oh*stride - before + ki, ow*stride - before + kj]` or 0 outside (`before`: the
/// padding above and left; the padding below and right only sets the output size).
/// One GEMM against the `(OC, C*k*k)` weight matrix then convolves the whole batch.
public func im2col(_ x: UnsafePointer<Float>, batch n: Int, _ g: ConvGeometry, layout: Layout = .plain, into cols: UnsafeMutablePointer<Float>) {
    let oh = g.outHeight, ow = g.outWidth, k = g.kernel, s = g.stride, p = g.padding.before
    let H = g.height, W = g.width
    let rowLength = n * oh * ow
    for c in 0..<g.channels {
        for ki in 0..<k {
            for kj in 0..<k {
                let row = cols + ((c * k + ki) * k + kj) * rowLength
                // Output columns whose input column is inside the image: ow in owLo..<owHi.
                let owLo = max(0, (p - kj + s - 1) / s)
                let owHi = min(ow, (W + p - kj + s - 1) / s)
                for sample in 0..<n {
                    let (offset, step) = layout.plane(sample: sample, channel: c, channels: g.channels, pixels: H * W)
                    let plane = x + offset
                    for y in 0..<oh {
                        let out = row + (sample * oh + y) * ow
                        let iy = y * s - p + ki
                        if iy < 0 || iy >= H || owLo >= owHi {
                            out.update(repeating: 0, count: ow)
                            continue
                        }
                        let src = plane + iy * W * step
                        if owLo > 0 { out.update(repeating: 0, count: owLo) }
                        if s == 1 && step == 1 {
                            (out + owLo).update(from: src + (owLo - p + kj), count: owHi - owLo)
                        } else {
                            var ix = (owLo * s - p + kj) * step
                            for xo in owLo..<owHi {
                                out[xo] = src[ix]
                                ix += s * step
                            }
                        }
                        if owHi < ow { (out + owHi).update(repeating: 0, count: ow - owHi) }
                    }
                }
            }
        }
    }
}

/// Batched col2im, the adjoint of `im2col`: scatters `cols (C*k*k, n*OH*OW)` and *adds*
/// it into `x (n, C, H, W)` in `layout`. The caller zeroes `x` first when it wants a plain result.
public func col2im(_ cols: UnsafePointer<Float>, batch n: Int, _ g: ConvGeometry, layout: Layout = .plain, addingInto x: UnsafeMutablePointer<Float>) {
    let oh = g.outHeight, ow = g.outWidth, k = g.kernel, s = g.stride, p = g.padding.before
    let H = g.height, W = g.width
    let rowLength = n * oh * ow
    for c in 0..<g.channels {
        for ki in 0..<k {
            for kj in 0..<k {
                let row = cols + ((c * k + ki) * k + kj) * rowLength
                let owLo = max(0, (p - kj + s - 1) / s)
                let owHi = min(ow, (W + p - kj + s - 1) / s)
                if owLo >= owHi { continue }
                for sample in 0..<n {
                    let (offset, step) = layout.plane(sample: sample, channel: c, channels: g.channels, pixels: H * W)
                    let plane = x + offset
                    for y in 0..<oh {
                        let iy = y * s - p + ki
                        if iy < 0 || iy >= H { continue }
                        let src = row + (sample * oh + y) * ow
                        let dst = plane + iy * W * step
                        var ix = (owLo * s - p + kj) * step
                        for xo in owLo..<owHi {
                            dst[ix] += src[xo]
                            ix += s * step
                        }
                    }
                }
            }
        }
    }
}

/// `(n, C, P)` in `layout` → `(C, n, P)`: regroups a batch by channel so that one GEMM sees the
/// whole batch as one matrix. `P` is the number of spatial positions.
public func batchToChannelMajor(_ x: UnsafePointer<Float>, n: Int, c: Int, p: Int, layout: Layout = .plain, into y: UnsafeMutablePointer<Float>) {
    for s in 0..<n {
        for ch in 0..<c {
            let (offset, stride) = layout.plane(sample: s, channel: ch, channels: c, pixels: p)
            let src = x + offset, dst = y + (ch * n + s) * p
            if stride == 1 {
                dst.update(from: src, count: p)
            } else {
                for i in 0..<p { dst[i] = src[i * stride] }
            }
        }
    }
}

/// `(C, n, P)` → `(n, C, P)` in `layout`, the inverse of `batchToChannelMajor` (a blocked
/// layout's padding channels are left as they are: zero).
public func channelToBatchMajor(_ x: UnsafePointer<Float>, n: Int, c: Int, p: Int, into y: UnsafeMutablePointer<Float>, layout: Layout = .plain) {
    for s in 0..<n {
        for ch in 0..<c {
            let (offset, stride) = layout.plane(sample: s, channel: ch, channels: c, pixels: p)
            let src = x + (ch * n + s) * p, dst = y + offset
            if stride == 1 {
                dst.update(from: src, count: p)
            } else {
                for i in 0..<p { dst[i * stride] = src[i] }
            }
        }
    }
}
