/// The mean of each channel over its plane (Keras's `GlobalAveragePooling2D`, PyTorch's
/// `x.mean((2, 3))`): `x (n, C, H, W)` → `y (n, C, 1, 1)`, `y[s, c] = Σ_p x[s, c, p] / (H·W)`.
/// Backward spreads `dy[s, c] / (H·W)` over the plane. Per sample: no sum crosses samples.
public final class GlobalAveragePooling: Layer {
    let y: Tensor
    let dx: Tensor

    public init(input: Shape) {
        y = Tensor(Shape(input.n, input.c))
        dx = Tensor(input)
    }

    /// Bytes of output and input gradient for `input`.
    public static func bytes(input: Shape) -> Int { 4 * (input.n * input.c + input.count) }

    public var outputShape: Shape { y.shape }

    public func forward(_ x: Tensor) -> Tensor {
        let planes = x.shape.n * x.shape.c, plane = x.shape.plane, scale = 1 / Float(plane)
        y.setBatch(x.shape.n)
        for i in 0..<planes {
            let p = x.data + i * plane
            var sum: Float = 0
            for j in 0..<plane { sum += p[j] }
            y.data[i] = sum * scale
        }
        return y
    }

    public func backward(_ dy: Tensor, inputGradient: Bool, parameterGradients: Bool) -> Tensor {
        dx.setBatch(dy.shape.n)
        guard inputGradient else { return dx }
        let plane = dx.shape.plane, scale = 1 / Float(plane)
        for i in 0..<(dx.shape.n * dx.shape.c) {
            (dx.data + i * plane).update(repeating: dy.data[i] * scale, count: plane)
        }
        return dx
    }
}
