/// Fully connected layer: `y (n, out) = x (n, in) · Wᵀ + b`, with `W (out, in)` and `b (out)`.
///
/// The input may have any per-sample shape; it is read as `in = c*h*w` features. Every GEMM
/// runs per micro-batch: `m` rows at a time, whatever the batch.
public final class Linear: Layer {
    public let inFeatures: Int
    public let outFeatures: Int
    let arena: ParameterArena
    let context: LayerContext
    public let weight: ParameterArena.Slice
    public let bias: ParameterArena.Slice?
    let y: Tensor
    let dx: Tensor
    private var x: Tensor!

    public init(name: String, input: Shape, outFeatures: Int, bias hasBias: Bool = true,
                arena: ParameterArena, context: LayerContext, weightInit: Initialization? = nil, biasInit: Initialization? = nil) {
        inFeatures = input.perSample
        self.outFeatures = outFeatures
        self.arena = arena
        self.context = context
        let bound = 1 / Float(inFeatures).squareRoot()
        weight = arena.reserve("\(name).weight", shape: [outFeatures, inFeatures],
                               initialization: weightInit ?? .uniform(bound: bound))
        bias = hasBias ? arena.reserve("\(name).bias", shape: [outFeatures], initialization: biasInit ?? .uniform(bound: bound)) : nil
        y = Tensor(Shape(input.n, outFeatures))
        dx = Tensor(input)
    }

    /// Activation bytes for `input` (output and input gradient); parameters are the arena's.
    public static func bytes(input: Shape, outFeatures: Int) -> Int { 4 * (input.n * outFeatures + input.count) }

    public var outputShape: Shape { y.shape }

    public func forward(_ x: Tensor) -> Tensor {
        self.x = x
        y.setBatch(x.shape.n)
        let w = arena.value(weight)
        for c in context.chunks(x.shape.n) {
            // y_c (m, out) = x_c (m, in) · Wᵀ
            gemm(transA: false, transB: true, m: c.count, n: outFeatures, k: inFeatures,
                 a: x.data + c.start * inFeatures, lda: inFeatures, b: w, ldb: inFeatures,
                 beta: 0, c: y.data + c.start * outFeatures, ldc: outFeatures)
        }
        if let bias {
            let b = arena.value(bias)
            for s in 0..<x.shape.n {
                let row = y.data + s * outFeatures
                for j in 0..<outFeatures { row[j] += b[j] }
            }
        }
        return y
    }

    public func backward(_ dy: Tensor, inputGradient: Bool, parameterGradients: Bool) -> Tensor {
        let n = dy.shape.n
        dx.setBatch(n)
        for c in context.chunks(n) {
            let g = dy.data + c.start * outFeatures
            if parameterGradients {
                // dW (out, in) += dy_cᵀ (out, m) · x_c (m, in)
                gemm(transA: true, transB: false, m: outFeatures, n: inFeatures, k: c.count,
                     a: g, lda: outFeatures, b: x.data + c.start * inFeatures, ldb: inFeatures, beta: 1,
                     c: arena.gradient(weight, chunk: c.index), ldc: inFeatures)
                if let bias {
                    let db = arena.gradient(bias, chunk: c.index)
                    for s in 0..<c.count {
                        let row = g + s * outFeatures
                        for j in 0..<outFeatures { db[j] += row[j] }
                    }
                }
            }
            if inputGradient {
                // dx_c (m, in) = dy_c (m, out) · W (out, in)
                gemm(transA: false, transB: false, m: c.count, n: inFeatures, k: outFeatures,
                     a: g, lda: outFeatures, b: arena.value(weight), ldb: inFeatures, beta: 0,
                     c: dx.data + c.start * inFeatures, ldc: inFeatures)
            }
        }
        return dx
    }
}
