import Foundation

/// Pointwise nonlinearities, each with its derivative:
/// ReLU `max(x, 0)`; LeakyReLU `x > 0 ? x : slope·x`; Tanh (`dy·(1 − y²)`);
/// Sigmoid (`dy·y·(1 − y)`). Shape is kept: `(n, ...)` → `(n, ...)`.
public final class Activation: Layer {
    public enum Kind: Equatable, Sendable {
        case relu
        case leakyReLU(slope: Float)
        case tanh
        case sigmoid
    }

    public let kind: Kind
    let y: Tensor
    let dx: Tensor
    private var x: Tensor!

    public init(_ kind: Kind, input: Shape) {
        self.kind = kind
        y = Tensor(input)
        dx = Tensor(input)
    }

    public var outputShape: Shape { y.shape }

    public func forward(_ x: Tensor) -> Tensor {
        self.x = x
        y.setBatch(x.shape.n)
        let src = x.data, dst = y.data, count = x.count
        switch kind {
        case .relu:
            for i in 0..<count { dst[i] = max(src[i], 0) }
        case let .leakyReLU(slope):
            for i in 0..<count { let v = src[i]; dst[i] = v > 0 ? v : v * slope }
        case .tanh:
            for i in 0..<count { dst[i] = Foundation.tanh(src[i]) }
        case .sigmoid:
            for i in 0..<count { dst[i] = 1 / (1 + Foundation.exp(-src[i])) }
        }
        return y
    }

    public func backward(_ dy: Tensor, inputGradient: Bool, parameterGradients: Bool) -> Tensor {
        dx.setBatch(dy.shape.n)
        guard inputGradient else { return dx }
        let g = dy.data, d = dx.data, count = dy.count
        switch kind {
        case .relu:
            let v = x.data
            for i in 0..<count { d[i] = v[i] > 0 ? g[i] : 0 }
        case let .leakyReLU(slope):
            let v = x.data
            for i in 0..<count { d[i] = v[i] > 0 ? g[i] : g[i] * slope }
        case .tanh:
            let out = y.data
            for i in 0..<count { d[i] = g[i] * (1 - out[i] * out[i]) }
        case .sigmoid:
            let out = y.data
            for i in 0..<count { d[i] = g[i] * out[i] * (1 - out[i]) }
        }
        return dx
    }
}
