/// A contiguous Float32 NCHW buffer, allocated once for a largest batch and reused.
///
/// The batch dimension may shrink (`setBatch`) without reallocating, so the same layer
/// serves training batches and smaller sample batches.
public final class Tensor {
    /// Largest element count this tensor can hold.
    public let capacity: Int
    public let data: UnsafeMutablePointer<Float>
    public private(set) var shape: Shape

    /// A zero-filled tensor of `shape`.
    public init(_ shape: Shape) {
        precondition(shape.count > 0, "empty tensor \(shape)")
        capacity = shape.count
        data = Memory.allocate(capacity)
        self.shape = shape
    }

    deinit { Memory.free(data) }

    public var count: Int { shape.count }

    /// Sets the batch size; the per-sample shape stays.
    public func setBatch(_ n: Int) {
        // Checked even in the engine's unchecked build: a larger batch would overrun the buffer.
        guard n > 0 && n * shape.perSample <= capacity else { fatalError("batch \(n) exceeds capacity of \(shape)") }
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

    /// Sample `s`'s values.
    public func sample(_ s: Int) -> UnsafeMutablePointer<Float> { data + s * shape.perSample }
}
