import Foundation

/// Pointwise nonlinearities, each with its derivative written in terms of the output `y`:
/// ReLU `max(x, 0)` (`dy·[y > 0]`); LeakyReLU `x > 0 ? x : slope·x` (`y > 0 ⇔ x > 0` for a
/// positive slope); Tanh (`dy·(1 − y²)`; `VectorTanh`); Sigmoid (`dy·y·(1 − y)`). Shape and layout are kept:
/// ReLU, LeakyReLU and Tanh map a blocked layout's zero padding to zero (Sigmoid would not, and
/// is built on plain tensors only).
///
/// In place (every activation but a network's first layer): the output overwrites the input
/// and the input gradient overwrites the output gradient. That is safe because the derivative
/// needs only `y`, and no layer of these networks reads its successor's input after the
/// successor ran: convolutions and BatchNorm keep what their backward needs themselves.
/// It saves two activation-sized buffers per nonlinearity.
public final class Activation: Layer {
    public enum Kind: Equatable, Sendable {
        case relu
        case leakyReLU(slope: Float)
        case tanh
        case sigmoid
    }

    public let function: Kind
    public let inPlace: Bool
    public let outputShape: Shape
    /// Own buffers when not in place.
    private let ownY: Tensor?
    private let ownDx: Tensor?
    private var y: Tensor!

    public var kind: String {
        switch function {
        case .relu: "ReLU"
        case .leakyReLU: "LeakyReLU"
        case .tanh: "Tanh"
        case .sigmoid: "Sigmoid"
        }
    }

    /// Bytes of its own output and input gradient (none in place).
    public static func bytes(input: Shape, inPlace: Bool) -> Int { inPlace ? 0 : 8 * input.count }

    public init(_ kind: Kind, input: Shape, layout: Layout = .plain, inPlace: Bool = false) {
        if case let .leakyReLU(slope) = kind { precondition(slope > 0, "LeakyReLU slope must be positive") }
        precondition(kind != .sigmoid || layout == .plain, "Sigmoid on a blocked layout would change its padding")
        function = kind
        self.inPlace = inPlace
        outputShape = input
        outputLayout = layout
        ownY = inPlace ? nil : Tensor(input, layout: layout)
        ownDx = inPlace ? nil : Tensor(input, layout: layout)
    }

    public let outputLayout: Layout

    public func forward(_ x: Tensor) -> Tensor {
        let out = ownY ?? x
        out.setBatch(x.shape.n)
        y = out
        let src = x.data, dst = out.data, count = x.storedCount
        switch function {
        case .relu:
            Self.map(src, dst, count) { v in v.replacing(with: 0, where: v .< 0) } scalar: { max($0, 0) }
        case let .leakyReLU(slope):
            Self.map(src, dst, count) { v in v.replacing(with: v * slope, where: v .<= 0) } scalar: { $0 > 0 ? $0 : $0 * slope }
        case .tanh:
            VectorTanh.apply(src, dst, count)
        case .sigmoid:
            for i in 0..<count { dst[i] = 1 / (1 + Foundation.exp(-src[i])) }
        }
        return out
    }

    public func backward(_ dy: Tensor, inputGradient: Bool, parameterGradients: Bool) -> Tensor {
        let dx = ownDx ?? dy
        dx.setBatch(dy.shape.n)
        guard inputGradient else { return dx }
        let g = dy.data, d = dx.data, out = y.data, count = dy.storedCount
        switch function {
        case .relu:
            Self.map(g, out, d, count) { g, y in g.replacing(with: 0, where: y .<= 0) } scalar: { g, y in y > 0 ? g : 0 }
        case let .leakyReLU(slope):
            Self.map(g, out, d, count) { g, y in g.replacing(with: g * slope, where: y .<= 0) } scalar: { g, y in y > 0 ? g : g * slope }
        case .tanh:
            Self.map(g, out, d, count) { g, y in g * (1 - y * y) } scalar: { g, y in g * (1 - y * y) }
        case .sigmoid:
            for i in 0..<count { d[i] = g[i] * out[i] * (1 - out[i]) }
        }
        return dx
    }

    typealias Vector = SIMD8<Float>

    /// `dst[i] = f(src[i])`, eight values at a time without branches (a comparison's mask
    /// selects), the rest one by one. `dst` may be `src`.
    @inline(__always)
    static func map(_ src: UnsafePointer<Float>, _ dst: UnsafeMutablePointer<Float>, _ count: Int,
                    _ f: (Vector) -> Vector, scalar: (Float) -> Float) {
        var i = 0
        while i + Vector.scalarCount <= count {
            let v = UnsafeRawPointer(src + i).loadUnaligned(as: Vector.self)
            UnsafeMutableRawPointer(dst + i).storeBytes(of: f(v), as: Vector.self)
            i += Vector.scalarCount
        }
        while i < count { dst[i] = scalar(src[i]); i += 1 }
    }

    /// `dst[i] = f(a[i], b[i])` likewise; `dst` may be `a`.
    @inline(__always)
    static func map(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, _ dst: UnsafeMutablePointer<Float>, _ count: Int,
                    _ f: (Vector, Vector) -> Vector, scalar: (Float, Float) -> Float) {
        var i = 0
        while i + Vector.scalarCount <= count {
            let u = UnsafeRawPointer(a + i).loadUnaligned(as: Vector.self), v = UnsafeRawPointer(b + i).loadUnaligned(as: Vector.self)
            UnsafeMutableRawPointer(dst + i).storeBytes(of: f(u, v), as: Vector.self)
            i += Vector.scalarCount
        }
        while i < count { dst[i] = scalar(a[i], b[i]); i += 1 }
    }
}
