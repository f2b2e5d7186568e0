/// A contiguous Float32 buffer of shape `(n, C, H, W)` in a `Layout` (NCHW unless blocked),
/// allocated once for a largest batch and reused.
///
/// The batch dimension may shrink (`setBatch`) without reallocating, so the same layer
/// serves training batches and smaller sample batches.
public final class Tensor {
    /// Largest element count this tensor can hold.
    public let capacity: Int
    public let data: UnsafeMutablePointer<Float>
    public private(set) var shape: Shape
    public let layout: Layout

    /// A zero-filled tensor of `shape`.
    public init(_ shape: Shape, layout: Layout = .plain) {
        precondition(shape.count > 0, "empty tensor \(shape)")
        capacity = shape.stored(layout)
        data = Memory.allocate(capacity)
        self.shape = shape
        self.layout = layout
    }

    deinit { Memory.free(data) }

    /// Values of the shape (`n·C·H·W`).
    public var count: Int { shape.count }
    /// Elements in memory, with a blocked layout's padding channels: what elementwise loops cover.
    public var storedCount: Int { shape.stored(layout) }

    /// Sets the batch size; the per-sample shape stays.
    public func setBatch(_ n: Int) {
        // Checked even in the engine's unchecked build: a larger batch would overrun the buffer.
        guard n > 0 && n * shape.stored(layout) / shape.n <= capacity else { fatalError("batch \(n) exceeds capacity of \(shape)") }
        shape.n = n
    }

    /// The values (plain tensors only).
    public var buffer: UnsafeMutableBufferPointer<Float> {
        precondition(layout == .plain, "buffer of a \(layout) tensor")
        return .init(start: data, count: count)
    }

    /// Copies NCHW `values` in; their count must match.
    public func copy(from values: [Float]) {
        precondition(values.count == count, "copy of \(values.count) values into \(shape)")
        values.withUnsafeBufferPointer { changeLayout($0.baseAddress!, .plain, to: data, layout, n: shape.n, c: shape.c, p: shape.plane) }
    }

    /// The values in NCHW order, whatever the layout.
    public var array: [Float] {
        var out = [Float](repeating: 0, count: count)
        out.withUnsafeMutableBufferPointer { changeLayout(data, layout, to: $0.baseAddress!, .plain, n: shape.n, c: shape.c, p: shape.plane) }
        return out
    }

    /// Sets every value (a blocked layout's padding channels stay zero).
    public func fill(_ value: Float) {
        if layout == .plain || value == 0 {
            data.update(repeating: value, count: storedCount)
        } else {
            copy(from: [Float](repeating: value, count: count))
        }
    }

    /// Sample `s`'s values (stored in the tensor's layout).
    public func sample(_ s: Int) -> UnsafeMutablePointer<Float> { data + s * shape.stored(layout) / shape.n }
}
