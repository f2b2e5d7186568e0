/// Bringing small datasets to a training size without distorting them.
public enum Geometry {
    /// Pads (centered, with 0 = black) when `size` is at most 4 pixels larger than the images,
    /// as 28 → 32 for MNIST; beyond that pads to the next size and resizes by an integer factor
    /// with bilinear interpolation (28 → 32 → 64, 128).
    public static func fit(_ data: ImageDataset, size: Int) throws(DataError) -> ImageDataset {
        guard data.height == data.width else { throw DataError("images of \(data.height)×\(data.width) are not square") }
        if size == data.height { return data }
        if size > data.height && size - data.height <= 4 { return pad(data, to: size) }
        var base = size
        while base > data.height + 4 && base % 2 == 0 { base /= 2 }
        guard base >= data.height && base - data.height <= 4 else {
            throw DataError("--image-size \(size) cannot be made from \(data.height)×\(data.width) images by padding and doubling")
        }
        return upsample(pad(data, to: base), factor: size / base)
    }

    static func pad(_ data: ImageDataset, to size: Int) -> ImageDataset {
        if size == data.height { return data }
        let offset = (size - data.height) / 2
        var out = [UInt8](repeating: 0, count: data.count * data.channels * size * size)
        for plane in 0..<(data.count * data.channels) {
            for y in 0..<data.height {
                for x in 0..<data.width {
                    out[(plane * size + y + offset) * size + x + offset] = data.pixels[(plane * data.height + y) * data.width + x]
                }
            }
        }
        return ImageDataset(count: data.count, channels: data.channels, height: size, width: size, pixels: out, labels: data.labels)
    }

    /// Bilinear enlargement by `factor` with pixel centres aligned as torchvision's Resize
    /// (`align_corners=False`): source coordinate `(x + 0.5)/factor − 0.5`, clamped at the edges.
    static func upsample(_ data: ImageDataset, factor: Int) -> ImageDataset {
        if factor == 1 { return data }
        let s = data.height, t = s * factor
        var out = [UInt8](repeating: 0, count: data.count * data.channels * t * t)
        var index0 = [Int](repeating: 0, count: t), index1 = [Int](repeating: 0, count: t), frac = [Float](repeating: 0, count: t)
        for i in 0..<t {
            let src = max((Float(i) + 0.5) / Float(factor) - 0.5, 0)
            let i0 = min(Int(src), s - 1)
            index0[i] = i0
            index1[i] = min(i0 + 1, s - 1)
            frac[i] = src - Float(i0)
        }
        for plane in 0..<(data.count * data.channels) {
            let base = plane * s * s
            for y in 0..<t {
                let r0 = base + index0[y] * s, r1 = base + index1[y] * s, fy = frac[y]
                for x in 0..<t {
                    let fx = frac[x]
                    let top = Float(data.pixels[r0 + index0[x]]) * (1 - fx) + Float(data.pixels[r0 + index1[x]]) * fx
                    let bottom = Float(data.pixels[r1 + index0[x]]) * (1 - fx) + Float(data.pixels[r1 + index1[x]]) * fx
                    out[(plane * t + y) * t + x] = UInt8(min(max((top * (1 - fy) + bottom * fy).rounded(), 0), 255))
                }
            }
        }
        return ImageDataset(count: data.count, channels: data.channels, height: t, width: t, pixels: out, labels: data.labels)
    }
}
