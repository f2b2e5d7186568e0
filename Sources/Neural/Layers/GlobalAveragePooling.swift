/// The mean of each channel over its plane (Keras's `GlobalAveragePooling2D`, PyTorch's
/// `x.mean((2, 3))`): `x (n, C, H, W)` → `y (n, C, 1, 1)`, `y[s, c] = Σ_p x[s, c, p] / (H·W)`.
/// Backward spreads `dy[s, c] / (H·W)` over the plane. Per sample: no sum crosses samples.
/// The input may be blocked; the output is plain.
public final class GlobalAveragePooling: Layer {
    let y: Tensor
    let dx: Tensor
    let inputLayout: Layout

    public init(input: Shape, layout: Layout = .plain) {
        inputLayout = layout
        y = Tensor(Shape(input.n, input.c))
        dx = Tensor(input, layout: layout)
    }

    /// Bytes of output and input gradient for `input`.
    public static func bytes(input: Shape, layout: Layout = .plain) -> Int { 4 * (input.n * input.c + input.stored(layout)) }

    public var outputShape: Shape { y.shape }

    public func forward(_ x: Tensor) -> Tensor {
        let C = x.shape.c, P = x.shape.plane, scale = 1 / Float(P)
        y.setBatch(x.shape.n)
        for s in 0..<x.shape.n {
            for ch in 0..<C {
                let (offset, step) = inputLayout.plane(sample: s, channel: ch, channels: C, pixels: P)
                let p = x.data + offset
                var sum: Float = 0
                for j in 0..<P { sum += p[j * step] }
                y.data[s * C + ch] = sum * scale
            }
        }
        return y
    }

    public func backward(_ dy: Tensor, inputGradient: Bool, parameterGradients: Bool) -> Tensor {
        dx.setBatch(dy.shape.n)
        guard inputGradient else { return dx }
        let C = dx.shape.c, P = dx.shape.plane, scale = 1 / Float(P)
        for s in 0..<dx.shape.n {
            for ch in 0..<C {
                let (offset, step) = inputLayout.plane(sample: s, channel: ch, channels: C, pixels: P)
                let p = dx.data + offset, v = dy.data[s * C + ch] * scale
                for j in 0..<P { p[j * step] = v }
            }
        }
        return dx
    }
}
