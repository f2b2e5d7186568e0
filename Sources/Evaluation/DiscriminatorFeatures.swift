import Neural

/// D as a feature extractor (Radford et al. 2015, §5.1): the activations after every
/// convolutional block of D's trunk (the nonlinearity that follows each convolution), each
/// max-pooled to a 4×4 grid (PyTorch's `AdaptiveMaxPool2d(4)`: window `i` spans
/// `⌊i·H/4⌋ ..< ⌈(i+1)·H/4⌉`), flattened channel-major and concatenated in layer order. For the
/// 32×32 DCGAN with ndf 64 that is (64 + 128 + 256)·16 = 7,168 values per image.
public enum DiscriminatorFeatures {
    public static let grid = 4

    /// Indices into D's trunk of the activations (or BatchNorms with a fused one) that close a
    /// convolutional block.
    public static func taps(_ d: Network) -> [Int] {
        var out: [Int] = []
        var open = false
        for (i, layer) in d.layers.enumerated() {
            if layer is Conv2d || (layer as? DNNLConvolution)?.direction == .convolution { open = true }
            if open && (layer is Activation || (layer as? BatchNorm)?.activation != nil) { out.append(i); open = false }
        }
        return out
    }

    /// Values per image.
    public static func width(_ d: Network) -> Int {
        taps(d).reduce(0) { $0 + d.layers[$1].outputShape.c * grid * grid }
    }

    /// Adaptive max pooling of one `(h, w)` plane, pixels `stride` apart, to `grid × grid`, into `out`.
    static func pool(_ plane: UnsafePointer<Float>, height h: Int, width w: Int, stride: Int = 1, into out: UnsafeMutablePointer<Float>) {
        for i in 0..<grid {
            let y0 = i * h / grid, y1 = ((i + 1) * h + grid - 1) / grid
            for j in 0..<grid {
                let x0 = j * w / grid, x1 = ((j + 1) * w + grid - 1) / grid
                var m = -Float.infinity
                for y in y0..<y1 { for x in x0..<x1 { m = max(m, plane[(y * w + x) * stride]) } }
                out[i * grid + j] = m
            }
        }
    }

    /// Features `(n, width)` of `x (n, C, S, S)`, D in eval mode (its mode is restored).
    public static func compute(_ d: Network, _ x: Tensor, into out: UnsafeMutablePointer<Float>) {
        let wasTraining = d.training
        d.training = false
        defer { d.training = wasTraining }
        let taps = Set(taps(d)), total = width(d), n = x.shape.n
        var h = x, offset = 0
        for (i, layer) in d.layers.enumerated() {
            h = layer.forward(h)
            guard taps.contains(i) else { continue }
            let s = h.shape
            for sample in 0..<n {
                for c in 0..<s.c {
                    let (start, stride) = h.layout.plane(sample: sample, channel: c, channels: s.c, pixels: s.plane)
                    pool(h.data + start, height: s.h, width: s.w, stride: stride, into: out + sample * total + offset + c * grid * grid)
                }
            }
            offset += s.c * grid * grid
        }
    }
}
