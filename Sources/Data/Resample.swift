import Foundation

/// Image resizing with antialiasing, as PIL's bilinear filter (which torchvision's `Resize`
/// uses on PIL images): a triangle filter whose support grows with the reduction factor, so
/// every source pixel contributes when shrinking (an area-like average), separable in x and y.
public enum Resample {
    /// Interleaved `(height, width, channels)` uint8 → `(outHeight, outWidth, channels)`.
    public static func resize(_ src: UnsafeBufferPointer<UInt8>, width: Int, height: Int, channels: Int,
                              toWidth outWidth: Int, toHeight outHeight: Int) -> [UInt8] {
        Resampler(width: width, height: height, toWidth: outWidth, toHeight: outHeight).resize(src, channels: channels)
    }

    /// For each output index: the first source index and normalised weights.
    /// Output pixel `i` is centred at source coordinate `(i + 0.5)·scale`; the triangle
    /// filter has support `max(scale, 1)`.
    static func taps(from n: Int, to m: Int) -> [(first: Int, weights: [Float])] {
        let scale = Double(n) / Double(m)
        let support = max(scale, 1)
        return (0..<m).map { i in
            let center = (Double(i) + 0.5) * scale
            let lo = max(Int((center - support).rounded(.down)), 0)
            let hi = min(Int((center + support).rounded(.up)), n)
            var w = (lo..<hi).map { j in max(0, 1 - abs((Double(j) + 0.5 - center) / support)) }
            let total = w.reduce(0, +)
            w = w.map { $0 / total }
            return (lo, w.map(Float.init))
        }
    }

    /// Crops `(height, width, channels)` to the rectangle at (`left`, `top`) of `w × h`.
    public static func crop(_ src: UnsafeBufferPointer<UInt8>, width: Int, channels: Int,
                            left: Int, top: Int, toWidth w: Int, toHeight h: Int) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: w * h * channels)
        for y in 0..<h {
            let from = ((top + y) * width + left) * channels
            for j in 0..<(w * channels) { out[y * w * channels + j] = src[from + j] }
        }
        return out
    }
}

/// One resizing geometry with its filter taps computed once, for many images of one size.
public struct Resampler: Sendable {
    public let width: Int, height: Int, outWidth: Int, outHeight: Int
    let xs: [(first: Int, weights: [Float])]
    let ys: [(first: Int, weights: [Float])]

    public init(width: Int, height: Int, toWidth outWidth: Int, toHeight outHeight: Int) {
        self.width = width
        self.height = height
        self.outWidth = outWidth
        self.outHeight = outHeight
        xs = Resample.taps(from: width, to: outWidth)
        ys = Resample.taps(from: height, to: outHeight)
    }

    /// Interleaved `(height, width, channels)` uint8 → `(outHeight, outWidth, channels)`.
    public func resize(_ src: UnsafeBufferPointer<UInt8>, channels: Int) -> [UInt8] {
        precondition(src.count == width * height * channels)
        if width == outWidth && height == outHeight { return Array(src) }
        // Horizontal pass: (height, outWidth, channels) in Float.
        var rows = [Float](repeating: 0, count: height * outWidth * channels)
        for y in 0..<height {
            for x in 0..<outWidth {
                let t = xs[x]
                for c in 0..<channels {
                    var sum: Float = 0
                    for (k, w) in t.weights.enumerated() { sum += w * Float(src[(y * width + t.first + k) * channels + c]) }
                    rows[(y * outWidth + x) * channels + c] = sum
                }
            }
        }
        var out = [UInt8](repeating: 0, count: outHeight * outWidth * channels)
        for y in 0..<outHeight {
            let t = ys[y]
            for x in 0..<outWidth {
                for c in 0..<channels {
                    var sum: Float = 0
                    for (k, w) in t.weights.enumerated() { sum += w * rows[((t.first + k) * outWidth + x) * channels + c] }
                    out[(y * outWidth + x) * channels + c] = UInt8(min(max(sum.rounded(), 0), 255))
                }
            }
        }
        return out
    }
}

/// How `prepare` brings an image to `size × size`, by default as torchvision's
/// `Resize(size)` then `CenterCrop(size)` (what pytorch/examples does for CelebA); with
/// `crop`, an N×N centre crop first (papers use 108 or 160 on CelebA), then a resize.
public struct ImageGeometry: Sendable, Equatable {
    public let size: Int
    public let crop: Int?

    public init(size: Int, crop: Int?) {
        self.size = size
        self.crop = crop
    }

    /// torchvision's centre-crop offset: `round((from − to) / 2)`, halves to even.
    static func centerOffset(_ from: Int, _ to: Int) -> Int {
        Int((Double(from - to) / 2).rounded(.toNearestOrEven))
    }

    /// Interleaved `(height, width, channels)` → `(size, size, channels)`.
    public func apply(_ pixels: [UInt8], width: Int, height: Int, channels: Int) throws(DataError) -> [UInt8] {
        var (p, w, h) = (pixels, width, height)
        if let crop {
            guard crop <= w && crop <= h else { throw DataError("image of \(w)×\(h) is smaller than --crop \(crop)") }
            p = p.withUnsafeBufferPointer {
                Resample.crop($0, width: w, channels: channels, left: Self.centerOffset(w, crop), top: Self.centerOffset(h, crop),
                              toWidth: crop, toHeight: crop)
            }
            (w, h) = (crop, crop)
        }
        // Resize: the shorter side becomes `size`, the longer keeps the aspect ratio (truncated, as torchvision).
        let (rw, rh) = w <= h ? (size, Int(Double(size) * Double(h) / Double(w))) : (Int(Double(size) * Double(w) / Double(h)), size)
        p = p.withUnsafeBufferPointer { Resample.resize($0, width: w, height: h, channels: channels, toWidth: rw, toHeight: rh) }
        if rw == size && rh == size { return p }
        return p.withUnsafeBufferPointer {
            Resample.crop($0, width: rw, channels: channels, left: Self.centerOffset(rw, size), top: Self.centerOffset(rh, size),
                          toWidth: size, toHeight: size)
        }
    }
}
