/// Fully connected layer: `y (n, out) = x (n, in) · Wᵀ + b`, with `W (out, in)` and `b (out)`.
///
/// The input may have any per-sample shape; it is read as `in = c*h*w` features.
public final class Linear: Layer {
    public let inFeatures: Int
    public let outFeatures: Int
    let arena: ParameterArena
    public let weight: ParameterArena.Slice
    public let bias: ParameterArena.Slice?
    let y: Tensor
    let dx: Tensor
    private var x: Tensor!

    public init(name: String, input: Shape, outFeatures: Int, bias hasBias: Bool = true,
                arena: ParameterArena, weightInit: Initialization? = nil) {
        inFeatures = input.perSample
        self.outFeatures = outFeatures
        self.arena = arena
        let bound = 1 / Float(inFeatures).squareRoot()
        weight = arena.reserve("\(name).weight", shape: [outFeatures, inFeatures],
                               initialization: weightInit ?? .uniform(bound: bound))
        bias = hasBias ? arena.reserve("\(name).bias", shape: [outFeatures], initialization: .uniform(bound: bound)) : nil
        y = Tensor(Shape(input.n, outFeatures))
        dx = Tensor(input)
    }

    public var outputShape: Shape { y.shape }

    public func forward(_ x: Tensor) -> Tensor {
        self.x = x
        let n = x.shape.n
        y.setBatch(n)
        gemm(transA: false, transB: true, m: n, n: outFeatures, k: inFeatures,
             a: x.data, lda: inFeatures, b: arena.value(weight), ldb: inFeatures, beta: 0, c: y.data, ldc: outFeatures)
        if let bias {
            let b = arena.value(bias)
            for s in 0..<n {
                let row = y.data + s * outFeatures
                for j in 0..<outFeatures { row[j] += b[j] }
            }
        }
        return y
    }

    public func backward(_ dy: Tensor, inputGradient: Bool, parameterGradients: Bool) -> Tensor {
        let n = dy.shape.n
        if parameterGradients {
            // dW (out, in) += dyᵀ (out, n) · x (n, in)
            gemm(transA: true, transB: false, m: outFeatures, n: inFeatures, k: n,
                 a: dy.data, lda: outFeatures, b: x.data, ldb: inFeatures, beta: 1,
                 c: arena.gradient(weight), ldc: inFeatures)
            if let bias {
                let db = arena.gradient(bias)
                for s in 0..<n {
                    let row = dy.data + s * outFeatures
                    for j in 0..<outFeatures { db[j] += row[j] }
                }
            }
        }
        dx.setBatch(n)
        if inputGradient {
            // dx (n, in) = dy (n, out) · W (out, in)
            gemm(transA: false, transB: false, m: n, n: inFeatures, k: outFeatures,
                 a: dy.data, lda: outFeatures, b: arena.value(weight), ldb: inFeatures, beta: 0,
                 c: dx.data, ldc: inFeatures)
        }
        return dx
    }
}
