/// Inverted dropout as PyTorch's `nn.Dropout(p)`: in training, each element is kept with
/// probability `1 − p` and scaled by `1/(1 − p)`; in eval mode it is the identity.
///
/// The mask of element `j` of global sample `i` comes from the context's counter-based
/// stream, `uniform(stream, i, j) ≥ p`, so it does not depend on how the batch is split
/// across replicas. Shape is kept: `(n, ...)` → `(n, ...)`.
public final class Dropout: Layer {
    public let probability: Float
    let context: LayerContext
    let y: Tensor
    let dx: Tensor
    /// `(n, ...)`: 1 where kept.
    private let mask: UnsafeMutablePointer<UInt8>
    private var wasTraining = false

    public init(probability: Float, input: Shape, context: LayerContext) {
        precondition(probability >= 0 && probability < 1, "dropout probability \(probability) outside [0, 1)")
        self.probability = probability
        self.context = context
        y = Tensor(input)
        dx = Tensor(input)
        mask = Memory.allocate(input.count)
    }

    deinit { Memory.free(mask) }

    /// Bytes of output, input gradient and mask for `input`.
    public static func bytes(input: Shape) -> Int { 9 * input.count }

    public var outputShape: Shape { y.shape }

    public func forward(_ x: Tensor) -> Tensor {
        let n = x.shape.n, per = x.shape.perSample
        y.setBatch(n)
        wasTraining = context.training
        guard context.training else {
            y.data.update(from: x.data, count: x.count)
            return y
        }
        let scale = 1 / (1 - probability)
        for s in 0..<n {
            let index = UInt64(context.firstSampleIndex + s)
            for j in 0..<per {
                let e = s * per + j
                let keep = context.random.uniform(stream: context.dropoutStream, index: index, element: j) >= probability
                mask[e] = keep ? 1 : 0
                y.data[e] = keep ? x.data[e] * scale : 0
            }
        }
        return y
    }

    public func backward(_ dy: Tensor, inputGradient: Bool, parameterGradients: Bool) -> Tensor {
        dx.setBatch(dy.shape.n)
        guard inputGradient else { return dx }
        if !wasTraining {
            dx.data.update(from: dy.data, count: dy.count)
            return dx
        }
        let scale = 1 / (1 - probability)
        for e in 0..<dy.count { dx.data[e] = mask[e] != 0 ? dy.data[e] * scale : 0 }
        return dx
    }

    /// Whether element `e` of the last training forward was kept (for tests).
    public func kept(_ e: Int) -> Bool { mask[e] != 0 }
}
