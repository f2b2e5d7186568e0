/// A loss as a value: which function, applied to which columns of a head's output. Objectives
/// are lists of these (with targets and weights); `Loss.apply` runs one over a range of samples.
public enum Loss: Sendable, Equatable {
    /// One logit per sample at `column`; targets 0/1.
    case bceWithLogits(column: Int)
    /// `classes` logits from `column`; targets are class indices.
    case softmaxCrossEntropy(column: Int, classes: Int)
    /// `count` means from `column`; with `learnedVariance`, `count` log-variances follow them.
    case gaussianNLL(column: Int, count: Int, learnedVariance: Bool)

    /// The target of a loss for each sample.
    public enum Target {
        case constant(Float)
        /// Class indices, one per sample (index by sample).
        case labels(UnsafePointer<Int32>)
        /// `stride` values per sample, the loss reading `count` of them from `offset`.
        case values(UnsafePointer<Float>, stride: Int, offset: Int)
    }

    /// Sums over the samples a loss was applied to.
    public struct Sums {
        /// Σ per-sample loss.
        public var loss = 0.0
        /// Σ `σ(z)` for BCE (the mean probability), Σ correct for cross-entropy.
        public var auxiliary = 0.0
        public init() {}
    }

    /// Applies the loss to samples `range` of `output (n, width)`, adding `scale · ∂ℓ/∂output`
    /// into `gradient (n, width)`.
    public func apply(output: UnsafePointer<Float>, width: Int, target: Target, samples range: Range<Int>, scale: Float,
                      gradient: UnsafeMutablePointer<Float>) -> Sums {
        var sums = Sums()
        for i in range {
            let z = output + i * width, g = gradient + i * width
            switch self {
            case let .bceWithLogits(column):
                let t: Float
                switch target {
                case let .constant(v): t = v
                case let .labels(l): t = Float(l[i])
                case let .values(v, stride, offset): t = v[i * stride + offset]
                }
                let r = BCEWithLogits.sample(z[column], target: t)
                g[column] += scale * r.gradient
                sums.loss += Double(r.loss)
                sums.auxiliary += Double(r.probability)
            case let .softmaxCrossEntropy(column, classes):
                guard case let .labels(labels) = target else { preconditionFailure("cross-entropy needs class labels") }
                let r = SoftmaxCrossEntropy.sample(z + column, classes: classes, label: Int(labels[i]), scale: scale, gradient: g + column)
                sums.loss += Double(r.loss)
                if r.correct { sums.auxiliary += 1 }
            case let .gaussianNLL(column, count, learned):
                guard case let .values(v, stride, offset) = target else { preconditionFailure("Gaussian NLL needs target values") }
                let l = GaussianNLL.sample(mean: z + column, logVariance: learned ? z + column + count : nil,
                                           target: v + i * stride + offset, count: count, scale: scale,
                                           meanGradient: g + column, logVarianceGradient: learned ? g + column + count : nil)
                sums.loss += Double(l)
            }
        }
        return sums
    }
}
