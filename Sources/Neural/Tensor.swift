/// A contiguous Float32 NCHW buffer, allocated once for a largest batch and reused.
///
/// The batch dimension may shrink (`setBatch`) without reallocating, so the same layer
/// serves training batches and smaller sample batches. A tensor either owns its storage
/// or views another's (`Reshape`), in which case it never frees it.
public final class Tensor {
    /// Largest element count this tensor can hold.
    public let capacity: Int
    public let data: UnsafeMutablePointer<Float>
    public private(set) var shape: Shape
    private let owner: Tensor?

    /// A zero-filled tensor of `shape`.
    public init(_ shape: Shape) {
        precondition(shape.count > 0, "empty tensor \(shape)")
        capacity = shape.count
        data = .allocate(capacity: capacity)
        data.initialize(repeating: 0, count: capacity)
        self.shape = shape
        owner = nil
    }

    /// A view of `base`'s storage with another per-sample shape of the same size.
    public init(viewing base: Tensor, as shape: Shape) {
        precondition(shape.count == base.shape.count, "view \(shape) of \(base.shape)")
        capacity = base.capacity
        data = base.data
        self.shape = shape
        owner = base
    }

    deinit {
        if owner == nil { data.deallocate() }
    }

    public var count: Int { shape.count }

    /// Sets the batch size; the per-sample shape stays.
    public func setBatch(_ n: Int) {
        precondition(n > 0 && n * shape.perSample <= capacity, "batch \(n) exceeds capacity of \(shape)")
        shape.n = n
    }

    public var buffer: UnsafeMutableBufferPointer<Float> { .init(start: data, count: count) }

    /// Copies `values` in; their count must match.
    public func copy(from values: [Float]) {
        precondition(values.count == count, "copy of \(values.count) values into \(shape)")
        values.withUnsafeBufferPointer { data.update(from: $0.baseAddress!, count: count) }
    }

    public var array: [Float] { Array(buffer) }

    public func fill(_ value: Float) { data.update(repeating: value, count: count) }
}
