/// Bringing small datasets to a training size without distorting them.
public enum Geometry {
    /// Pads (centered, with 0 = black) when `size` is at most 4 pixels larger than the images,
    /// as 28 → 32 for MNIST; beyond that pads to the next size and enlarges by an integer factor
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
        return ImageDataset(count: data.count, channels: data.channels, height: size, width: size, pixels: out, labels: data.labels, classes: data.classes)
    }

    /// Enlargement by `factor` with `Resample` (its triangle filter is plain bilinear
    /// interpolation with torchvision's half-pixel centres when enlarging), plane by plane.
    static func upsample(_ data: ImageDataset, factor: Int) -> ImageDataset {
        if factor == 1 { return data }
        let s = data.height, t = s * factor
        let resampler = Resampler(width: s, height: s, toWidth: t, toHeight: t)
        var out: [UInt8] = []
        out.reserveCapacity(data.count * data.channels * t * t)
        for plane in 0..<(data.count * data.channels) {
            out += resampler.resize(UnsafeBufferPointer(rebasing: data.pixels[(plane * s * s)..<((plane + 1) * s * s)]), channels: 1)
        }
        return ImageDataset(count: data.count, channels: data.channels, height: t, width: t, pixels: out, labels: data.labels, classes: data.classes)
    }
}
