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
    private var x: Tensor!
    /// `(C)`: the statistics used by the last training forward.
    private let mean: UnsafeMutablePointer<Float>
    private let invStd: UnsafeMutablePointer<Float>
    /// `(maxChunks, 2C + 1)` per-micro-batch sums and `(2C + 1)` their total.
    private let partials: UnsafeMutablePointer<Double>
    private let sums: UnsafeMutablePointer<Double>

    public init(name: String, input: Shape, epsilon: Float = 1e-5, momentum: Float = 0.1,
                arena: ParameterArena, context: LayerContext, scaleInit: Initialization = .constant(1)) {
        self.name = name
        channels = input.c
        self.epsilon = epsilon
        self.momentum = momentum
        self.arena = arena
        self.context = context
        scale = arena.reserve("\(name).weight", shape: [channels], initialization: scaleInit)
        shift = arena.reserve("\(name).bias", shape: [channels], initialization: .constant(0))
        runningMean = Memory.allocate(channels)
        runningVar = Memory.allocate(channels)
        runningVar.update(repeating: 1, count: channels)
        tracked = Memory.allocate(1)
        mean = Memory.allocate(channels)
        invStd = Memory.allocate(channels)
        partials = Memory.allocate(input.n * (2 * channels + 1))
        sums = Memory.allocate(2 * channels + 1)
        y = Tensor(input)
        dx = Tensor(input)
    }

    deinit {
        Memory.free(runningMean); Memory.free(runningVar); Memory.free(tracked)
        Memory.free(mean); Memory.free(invStd); Memory.free(partials); Memory.free(sums)
    }

    /// Bytes of output, input gradient and per-micro-batch sums for `input`.
    public static func bytes(input: Shape) -> Int { 8 * input.count + 8 * input.n * (2 * input.c + 1) }

    public var outputShape: Shape { y.shape }

    public func forward(_ x: Tensor) -> Tensor {
        self.x = x
        let n = x.shape.n, plane = x.shape.plane, C = channels, width = 2 * C + 1
        y.setBatch(n)
        let gamma = arena.value(scale), beta = arena.value(shift)
        if context.training {
            let chunks = context.chunks(n)
            for c in chunks {
                let row = partials + c.index * width
                for ch in 0..<C {
                    var s1 = 0.0, s2 = 0.0
                    for s in c.range {
                        let p = x.data + (s * C + ch) * plane
                        for i in 0..<plane { let v = Double(p[i]); s1 += v; s2 += v * v }
                    }
                    row[ch] = s1
                    row[C + ch] = s2
                }
                row[2 * C] = Double(c.count * plane)
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
        for s in 0..<n {
            for ch in 0..<C {
                let src = x.data + (s * C + ch) * plane, dst = y.data + (s * C + ch) * plane
                let a = gamma[ch] * invStd[ch], b = beta[ch] - mean[ch] * a
                for i in 0..<plane { dst[i] = src[i] * a + b }
            }
        }
        return y
    }

    public func backward(_ dy: Tensor, inputGradient: Bool, parameterGradients: Bool) -> Tensor {
        precondition(context.training, "\(name): backward in eval mode")
        let n = dy.shape.n, plane = dy.shape.plane, C = channels, width = 2 * C + 1
        dx.setBatch(n)
        // Per micro-batch Σdy and Σdy·x̂ per channel; they are also dβ and dγ.
        let chunks = context.chunks(n)
        for c in chunks {
            let row = partials + c.index * width
            for ch in 0..<C {
                var sdy = 0.0, sdyx = 0.0
                let mu = mean[ch], inv = invStd[ch]
                for s in c.range {
                    let g = dy.data + (s * C + ch) * plane, v = x.data + (s * C + ch) * plane
                    for i in 0..<plane { sdy += Double(g[i]); sdyx += Double(g[i] * (v[i] - mu) * inv) }
                }
                row[ch] = sdy
                row[C + ch] = sdyx
            }
            row[2 * C] = Double(c.count * plane)
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
                let inv = invStd[ch], mu = mean[ch]
                let k = gamma[ch] * inv
                let meanDy = Float(sums[ch] / m), meanDyX = Float(sums[C + ch] / m)
                for s in 0..<n {
                    let g = dy.data + (s * C + ch) * plane, v = x.data + (s * C + ch) * plane
                    let d = dx.data + (s * C + ch) * plane
                    for i in 0..<plane {
                        let xhat = (v[i] - mu) * inv
                        d[i] = k * (g[i] - meanDy - xhat * meanDyX)
                    }
                }
            }
        }
        return dx
    }
}
