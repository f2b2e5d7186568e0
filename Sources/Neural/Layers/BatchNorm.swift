import Foundation

/// Batch normalization over `(n, C, H, W)` per channel (`BatchNorm2d`), or over
/// `(n, F, 1, 1)` per feature (`BatchNorm1d`), with PyTorch's semantics:
///
/// - training: `y = γ·(x − μ_B)/sqrt(σ²_B + ε) + β` with the batch mean and *biased* variance;
///   running statistics move by `momentum` toward `μ_B` and the *unbiased* variance
///   `σ²_B · M/(M−1)`, where `M` is the number of values per channel;
/// - eval: the running statistics replace the batch ones.
///
/// The sums behind `μ_B, σ²_B` (forward) and `Σdy`, `Σdy·x̂` (backward) are formed per
/// micro-batch in Double and combined by the context (`LayerContext.reduce`): over all
/// replicas when a reducer synchronizes them, so every replica normalizes by the global batch
/// and keeps identical running statistics. Each training forward and backward issues exactly
/// one reduction, whatever the flags. `E[x²] − E[x]²` would lose digits in Float.
///
/// In the blocked layout a following ReLU or LeakyReLU can be fused in (`activation`): the
/// output is then `act(y)`, and the backward takes the gradient of that, saving the activation's
/// passes over memory (`BatchNormKernels`).
public final class BatchNorm: Layer {
    public let name: String
    public let channels: Int
    public let epsilon: Float
    public let momentum: Float
    let arena: ParameterArena
    let context: LayerContext
    public let scale: ParameterArena.Slice
    public let shift: ParameterArena.Slice
    /// `(C)` each.
    public let runningMean: UnsafeMutablePointer<Float>
    public let runningVar: UnsafeMutablePointer<Float>
    /// `num_batches_tracked`, kept in memory the state list can point at.
    public let tracked: UnsafeMutablePointer<Int64>
    public var batchesTracked: Int {
        get { Int(tracked.pointee) }
        set { tracked.pointee = Int64(newValue) }
    }
    let y: Tensor
    let dx: Tensor
    public let outputLayout: Layout
    /// A fused ReLU or LeakyReLU (blocked layout only), or nil.
    public let activation: Activation.Kind?
    private var x: Tensor!
    /// `(C')` per-channel factors of the last pass (`C'`: the channels as stored, zeros beyond `C`):
    /// statistics, the forward's affine `a, b`, and the backward's `k, mean(dy), mean(dy·x̂)`.
    private let mean: UnsafeMutablePointer<Float>
    private let invStd: UnsafeMutablePointer<Float>
    private let affineA: UnsafeMutablePointer<Float>
    private let affineB: UnsafeMutablePointer<Float>
    private let factorA: UnsafeMutablePointer<Float>
    private let factorB: UnsafeMutablePointer<Float>
    private let factorC: UnsafeMutablePointer<Float>
    /// `(maxChunks, 2C + 1)` per-micro-batch sums and `(2C + 1)` their total; `2C'` scratch.
    private let partials: UnsafeMutablePointer<Double>
    private let sums: UnsafeMutablePointer<Double>
    private let scratch: UnsafeMutablePointer<Double>

    public init(name: String, input: Shape, epsilon: Float = 1e-5, momentum: Float = 0.1, layout: Layout = .plain,
                activation: Activation.Kind? = nil, arena: ParameterArena, context: LayerContext, scaleInit: Initialization = .constant(1)) {
        precondition(activation == nil || (layout.isBlocked && activation != .tanh && activation != .sigmoid),
                     "\(name): only ReLU and LeakyReLU fuse into BatchNorm, in the blocked layout")
        self.activation = activation
        self.name = name
        channels = input.c
        self.epsilon = epsilon
        self.momentum = momentum
        self.arena = arena
        self.context = context
        outputLayout = layout
        scale = arena.reserve("\(name).weight", shape: [channels], initialization: scaleInit)
        shift = arena.reserve("\(name).bias", shape: [channels], initialization: .constant(0))
        runningMean = Memory.allocate(channels)
        runningVar = Memory.allocate(channels)
        runningVar.update(repeating: 1, count: channels)
        tracked = Memory.allocate(1)
        let stored = layout.storedChannels(channels)
        mean = Memory.allocate(stored)
        invStd = Memory.allocate(stored)
        affineA = Memory.allocate(stored)
        affineB = Memory.allocate(stored)
        factorA = Memory.allocate(stored)
        factorB = Memory.allocate(stored)
        factorC = Memory.allocate(stored)
        partials = Memory.allocate(input.n * (2 * channels + 1))
        sums = Memory.allocate(2 * channels + 1)
        scratch = Memory.allocate(2 * stored)
        y = Tensor(input, layout: layout)
        dx = Tensor(input, layout: layout)
    }

    deinit {
        Memory.free(runningMean); Memory.free(runningVar); Memory.free(tracked)
        Memory.free(mean); Memory.free(invStd); Memory.free(partials); Memory.free(sums)
        Memory.free(factorA); Memory.free(factorB); Memory.free(factorC); Memory.free(scratch)
        Memory.free(affineA); Memory.free(affineB)
    }

    /// Bytes of output, input gradient and per-micro-batch sums for `input`.
    public static func bytes(input: Shape, layout: Layout = .plain) -> Int { 8 * input.stored(layout) + 8 * input.n * (2 * input.c + 1) }

    public var outputShape: Shape { y.shape }
    public var kind: String { activation.map { "BatchNorm+\(Activation($0, input: Shape(1, 1)).kind)" } ?? "BatchNorm" }

    /// The fused activation's negative slope (0 for ReLU), or nil.
    private var slope: Float? {
        switch activation {
        case .relu: 0
        case let .leakyReLU(s): s
        default: nil
        }
    }

    public func forward(_ x: Tensor) -> Tensor {
        self.x = x
        let n = x.shape.n, P = x.shape.plane, C = channels, width = 2 * C + 1
        y.setBatch(n)
        let gamma = arena.value(scale), beta = arena.value(shift)
        if context.training {
            let chunks = context.chunks(n)
            for c in chunks {
                let row = partials + c.index * width
                BatchNormKernels.sums(x.data, outputLayout, C: C, P: P, samples: c.range, scratch: scratch, into: row)
                row[2 * C] = Double(c.count * P)
            }
            context.reduce(partials, chunks: chunks.count, width: width, into: sums)
            let m = sums[2 * C]
            precondition(m > 1, "\(name): BatchNorm in training mode needs more than one value per channel")
            let mom = Double(momentum)
            for ch in 0..<C {
                let mu = sums[ch] / m
                let variance = max(sums[C + ch] / m - mu * mu, 0)
                mean[ch] = Float(mu)
                invStd[ch] = Float(1 / (variance + Double(epsilon)).squareRoot())
                runningMean[ch] = Float((1 - mom) * Double(runningMean[ch]) + mom * mu)
                runningVar[ch] = Float((1 - mom) * Double(runningVar[ch]) + mom * variance * m / (m - 1))
            }
            batchesTracked += 1
        } else {
            for ch in 0..<C {
                mean[ch] = runningMean[ch]
                invStd[ch] = 1 / (runningVar[ch] + epsilon).squareRoot()
            }
        }
        for ch in 0..<C {
            let a = gamma[ch] * invStd[ch]
            affineA[ch] = a
            affineB[ch] = beta[ch] - mean[ch] * a
        }
        BatchNormKernels.affine(x.data, y.data, outputLayout, C: C, P: P, n: n, a: affineA, b: affineB, slope: slope)
        return y
    }

    public func backward(_ dy: Tensor, inputGradient: Bool, parameterGradients: Bool) -> Tensor {
        precondition(context.training, "\(name): backward in eval mode")
        let n = dy.shape.n, P = dy.shape.plane, C = channels, width = 2 * C + 1
        dx.setBatch(n)
        // Per micro-batch Σdy and Σdy·x̂ per channel; they are also dβ and dγ.
        let chunks = context.chunks(n)
        for c in chunks {
            let row = partials + c.index * width
            BatchNormKernels.gradientSums(dy.data, x.data, outputLayout, C: C, P: P, samples: c.range, mean: mean, invStd: invStd,
                                          slope: slope, a: affineA, b: affineB, scratch: scratch, into: row)
            row[2 * C] = Double(c.count * P)
            if parameterGradients {
                let dGamma = arena.gradient(scale, chunk: c.index), dBeta = arena.gradient(shift, chunk: c.index)
                for ch in 0..<C {
                    dGamma[ch] += Float(row[C + ch])
                    dBeta[ch] += Float(row[ch])
                }
            }
        }
        context.reduce(partials, chunks: chunks.count, width: width, into: sums)
        if inputGradient {
            let m = sums[2 * C]
            let gamma = arena.value(scale)
            for ch in 0..<C {
                factorA[ch] = gamma[ch] * invStd[ch]
                factorB[ch] = Float(sums[ch] / m)
                factorC[ch] = Float(sums[C + ch] / m)
            }
            BatchNormKernels.inputGradient(dy.data, x.data, dx.data, outputLayout, C: C, P: P, n: n, mean: mean, invStd: invStd,
                                           k: factorA, meanDy: factorB, meanDyX: factorC, slope: slope, a: affineA, b: affineB)
        }
        return dx
    }
}
