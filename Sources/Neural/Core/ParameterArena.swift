/// One network's trainable state in four equal-length flat buffers:
/// parameters, gradients, and Adam's first and second moments.
///
/// Layers reserve named slices while the network is built; `seal()` then allocates.
/// One reduction covers all gradients and one loop is the whole optimizer step.
///
/// Gradients of micro-batch `k` go to `gradient(slice, chunk: k)`: the gradients themselves,
/// or, when `partials` is set (exact reduction across ranks), the `k`-th partial buffer, so
/// that the trainer can combine the micro-batches in an order that no rank count changes.
public final class ParameterArena {
    /// A named slice of the arena, e.g. `main.0.weight` with shape `[256, 100, 4, 4]`.
    public struct Slice: Sendable {
        public let name: String
        public let shape: [Int]
        public let offset: Int
        public let initialization: Initialization
        public var count: Int { shape.reduce(1, *) }
        public var range: Range<Int> { offset..<(offset + count) }
    }

    public private(set) var slices: [Slice] = []
    public private(set) var count = 0
    public private(set) var isSealed = false

    /// `(count)` each; valid after `seal()`.
    public private(set) var values: UnsafeMutablePointer<Float>!
    public private(set) var gradients: UnsafeMutablePointer<Float>!
    public private(set) var adamM: UnsafeMutablePointer<Float>!
    public private(set) var adamV: UnsafeMutablePointer<Float>!
    /// Per-micro-batch gradient buffers, when gradients are reduced exactly.
    public var partials: PartialGradients?
    /// Moves whenever `values` change through a writer that says so (`valuesChanged()`): the
    /// optimizer, `initialize`, and every write through the state list (checkpoint restore, the
    /// rank-0 broadcast). Layers that keep converted copies of their weights (oneDNN's formats)
    /// convert again only when it moves, instead of at every forward.
    public private(set) var version: UInt64 = 1

    /// Call after writing `values` directly.
    @inline(__always)
    public func valuesChanged() { version &+= 1 }

    public init() {}

    public func reserve(_ name: String, shape: [Int], initialization: Initialization) -> Slice {
        precondition(!isSealed, "reserve after seal")
        let slice = Slice(name: name, shape: shape, offset: count, initialization: initialization)
        slices.append(slice)
        count += slice.count
        return slice
    }

    /// Bytes `seal()` will allocate.
    public var bytes: Int { 4 * 4 * count }

    public func seal() {
        precondition(!isSealed)
        isSealed = true
        values = Memory.allocate(count)
        gradients = Memory.allocate(count)
        adamM = Memory.allocate(count)
        adamV = Memory.allocate(count)
    }

    deinit {
        if isSealed { Memory.free(values); Memory.free(gradients); Memory.free(adamM); Memory.free(adamV) }
    }

    public func value(_ s: Slice) -> UnsafeMutablePointer<Float> { values + s.offset }
    public func gradient(_ s: Slice) -> UnsafeMutablePointer<Float> { gradients + s.offset }

    /// Where micro-batch `chunk`'s gradient of `s` accumulates.
    @inline(__always)
    public func gradient(_ s: Slice, chunk: Int) -> UnsafeMutablePointer<Float> {
        if let partials { return partials.buffer(chunk) + s.offset }
        return gradients + s.offset
    }

    public func zeroGradients() {
        gradients.update(repeating: 0, count: count)
        partials?.zero(count)
    }

    public func slice(named name: String) -> Slice? { slices.first { $0.name == name } }
}

extension ParameterArena {
    /// Whether every parameter is finite.
    public var allFinite: Bool {
        for i in 0..<count where !values[i].isFinite { return false }
        return true
    }
}

/// `chunks` gradient buffers of `stride` floats, shared by the networks of a trainer (only one
/// network accumulates parameter gradients at a time).
public final class PartialGradients {
    public let chunks: Int
    public let stride: Int
    public let storage: UnsafeMutablePointer<Float>

    public init(chunks: Int, stride: Int) {
        self.chunks = chunks
        self.stride = stride
        storage = Memory.allocate(chunks * stride)
    }

    deinit { Memory.free(storage) }

    @inline(__always)
    public func buffer(_ chunk: Int) -> UnsafeMutablePointer<Float> {
        precondition(chunk < chunks, "micro-batch \(chunk) of \(chunks)")
        return storage + chunk * stride
    }

    /// Zeroes the first `count` floats of every buffer.
    public func zero(_ count: Int) {
        for k in 0..<chunks { buffer(k).update(repeating: 0, count: count) }
    }
}
