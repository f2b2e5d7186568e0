/// Gives each sample another shape of the same size, e.g. `(n, 784, 1, 1)` → `(n, 1, 28, 28)`.
/// It copies rather than aliasing, so that no tensor object is created during a step.
public final class Reshape: Layer {
    let y: Tensor
    let dx: Tensor

    public init(input: Shape, to shape: Shape) {
        precondition(input.perSample == shape.perSample, "reshape \(input) to \(shape)")
        y = Tensor(shape.batch(input.n))
        dx = Tensor(input)
    }

    public var outputShape: Shape { y.shape }

    /// Bytes of output and input gradient for `input`.
    public static func bytes(input: Shape) -> Int { 8 * input.count }

    public func forward(_ x: Tensor) -> Tensor {
        y.setBatch(x.shape.n)
        y.data.update(from: x.data, count: x.count)
        return y
    }

    public func backward(_ dy: Tensor, inputGradient: Bool, parameterGradients: Bool) -> Tensor {
        dx.setBatch(dy.shape.n)
        if inputGradient { dx.data.update(from: dy.data, count: dy.count) }
        return dx
    }
}
