/// Moves values between layouts, e.g. a blocked convolution output to the plain layout a
/// Linear layer or a network's caller reads. `x (n, C, H, W)` in `from` → `y` in `to`;
/// backward moves the gradient back.
public final class LayoutChange: Layer {
    public let from: Layout
    public let outputLayout: Layout
    let y: Tensor
    let dx: Tensor

    public init(input: Shape, from: Layout, to: Layout) {
        self.from = from
        outputLayout = to
        y = Tensor(input, layout: to)
        dx = Tensor(input, layout: from)
    }

    /// Bytes of output and input gradient for `input`.
    public static func bytes(input: Shape, from: Layout, to: Layout) -> Int { 4 * (input.stored(from) + input.stored(to)) }

    public var outputShape: Shape { y.shape }
    public var kind: String { "Reorder" }

    public func forward(_ x: Tensor) -> Tensor {
        y.setBatch(x.shape.n)
        changeLayout(x.data, from, to: y.data, outputLayout, n: x.shape.n, c: x.shape.c, p: x.shape.plane)
        return y
    }

    public func backward(_ dy: Tensor, inputGradient: Bool, parameterGradients: Bool) -> Tensor {
        dx.setBatch(dy.shape.n)
        if inputGradient { changeLayout(dy.data, outputLayout, to: dx.data, from, n: dy.shape.n, c: dy.shape.c, p: dy.shape.plane) }
        return dx
    }
}
