/// One network's trainable state in four equal-length flat buffers:
/// parameters, gradients, and Adam's first and second moments.
///
/// Layers reserve named slices while the network is built; `seal()` then allocates.
/// One allreduce covers all gradients and one loop is the whole optimizer step.
public final class ParameterArena {
    /// A named slice of the arena, e.g. `main.0.weight` with shape `[256, 100, 4, 4]`.
    public struct Slice: Sendable {
        public let name: String
        public let shape: [Int]
        public let offset: Int
        public let initialization: Initialization
        public var count: Int { shape.reduce(1, *) }
    }

    public private(set) var slices: [Slice] = []
    public private(set) var count = 0
    public private(set) var isSealed = false

    /// `(count)` each; valid after `seal()`.
    public private(set) var values: UnsafeMutablePointer<Float>!
    public private(set) var gradients: UnsafeMutablePointer<Float>!
    public private(set) var adamM: UnsafeMutablePointer<Float>!
    public private(set) var adamV: UnsafeMutablePointer<Float>!

    public init() {}

    public func reserve(_ name: String, shape: [Int], initialization: Initialization) -> Slice {
        precondition(!isSealed, "reserve after seal")
        let slice = Slice(name: name, shape: shape, offset: count, initialization: initialization)
        slices.append(slice)
        count += slice.count
        return slice
    }

    public func seal() {
        precondition(!isSealed)
        isSealed = true
        let n = max(count, 1)
        values = .allocate(capacity: n); values.initialize(repeating: 0, count: n)
        gradients = .allocate(capacity: n); gradients.initialize(repeating: 0, count: n)
        adamM = .allocate(capacity: n); adamM.initialize(repeating: 0, count: n)
        adamV = .allocate(capacity: n); adamV.initialize(repeating: 0, count: n)
    }

    deinit {
        if isSealed { values.deallocate(); gradients.deallocate(); adamM.deallocate(); adamV.deallocate() }
    }

    public func value(_ s: Slice) -> UnsafeMutablePointer<Float> { values + s.offset }
    public func gradient(_ s: Slice) -> UnsafeMutablePointer<Float> { gradients + s.offset }

    public func zeroGradients() { gradients.update(repeating: 0, count: count) }

    public func slice(named name: String) -> Slice? { slices.first { $0.name == name } }
}

extension ParameterArena {
    /// Whether every parameter is finite.
    public var allFinite: Bool {
        for i in 0..<count where !values[i].isFinite { return false }
        return true
    }
}
