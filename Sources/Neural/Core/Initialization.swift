/// How a parameter slice is filled before training.
public enum Initialization: Sendable, Equatable {
    /// `N(mean, std²)`: DCGAN uses `N(0, 0.02²)` for convolution weights, `N(1, 0.02²)` for BN scales.
    case normal(mean: Float, std: Float)
    /// `U(-bound, bound)`: PyTorch's default for Linear, `bound = 1/sqrt(fan_in)`.
    case uniform(bound: Float)
    case constant(Float)

    /// Glorot & Bengio's uniform initialisation, Keras's default for kernels:
    /// `U(-b, b)` with `b = sqrt(6 / (fan_in + fan_out))`.
    public static func glorotUniform(fanIn: Int, fanOut: Int) -> Initialization {
        .uniform(bound: (6 / Float(fanIn + fanOut)).squareRoot())
    }
}

extension ParameterArena {
    /// Fills every slice from its `Initialization`, drawing from the Philox stream
    /// `RandomStream.initialization(network)` with slice index and element as counters,
    /// so the result depends only on the seed and the architecture.
    public func initialize(seed: UInt64, network: UInt64) {
        defer { valuesChanged() }
        let random = Philox(seed: seed)
        let stream = RandomStream.initialization(network)
        for (index, slice) in slices.enumerated() {
            let p = value(slice)
            switch slice.initialization {
            case let .normal(mean, std):
                random.normals(stream: stream, index: UInt64(index), into: p, count: slice.count)
                for i in 0..<slice.count { p[i] = mean + std * p[i] }
            case let .uniform(bound):
                for i in 0..<slice.count {
                    let u = random.uniform(stream: stream, index: UInt64(index), element: i)
                    p[i] = (2 * u - 1) * bound
                }
            case let .constant(c):
                p.update(repeating: c, count: slice.count)
            }
        }
    }
}
