import Neural

/// Images held as uint8 NCHW at their training size, with optional integer labels, in memory
/// or memory-mapped from a packed dataset file. A batch is filled by scaling `v` to
/// `v/127.5 − 1` in [-1, 1]: the only per-batch work.
public final class ImageDataset {
    public let count: Int
    public let channels: Int
    public let height: Int
    public let width: Int
    /// `(count, channels, height, width)`.
    public let pixels: UnsafeBufferPointer<UInt8>
    public let labels: [Int32]?
    /// Number of classes: labels lie in `0..<classes`; 0 when unlabelled.
    public let classes: Int
    /// Keeps `pixels` alive: an owned allocation or a memory map.
    private let storage: AnyObject

    /// A dataset over memory that `storage` keeps valid.
    public init(count: Int, channels: Int, height: Int, width: Int, pixels: UnsafeBufferPointer<UInt8>,
                labels: [Int32]?, classes: Int? = nil, storage: AnyObject) {
        precondition(pixels.count == count * channels * height * width)
        precondition(labels == nil || labels!.count == count)
        precondition(labels?.allSatisfy { $0 >= 0 } ?? true)
        self.count = count
        self.channels = channels
        self.height = height
        self.width = width
        self.pixels = pixels
        self.labels = labels
        self.classes = labels == nil ? 0 : classes ?? Int((labels!.max() ?? -1) + 1)
        self.storage = storage
    }

    /// A dataset that owns a copy of `pixels`.
    public convenience init(count: Int, channels: Int, height: Int, width: Int, pixels: [UInt8], labels: [Int32]?, classes: Int? = nil) {
        let owned = OwnedBytes(pixels)
        self.init(count: count, channels: channels, height: height, width: width,
                  pixels: UnsafeBufferPointer(owned.buffer), labels: labels, classes: classes, storage: owned)
    }

    public var sampleSize: Int { channels * height * width }

    /// Writes the labels of samples `indices` into `out` (0 for an unlabelled dataset).
    public func fillLabels(_ out: UnsafeMutablePointer<Int32>, indices: ArraySlice<Int>) {
        for (slot, index) in indices.enumerated() { out[slot] = labels?[index] ?? 0 }
    }

    /// Writes the samples `indices` into `batch (indices.count, C, H, W)` in [-1, 1].
    public func fill(_ batch: Tensor, indices: ArraySlice<Int>) {
        precondition(batch.shape.perSample == sampleSize)
        batch.setBatch(indices.count)
        let per = sampleSize
        for (slot, index) in indices.enumerated() {
            let from = pixels.baseAddress! + index * per, to = batch.data + slot * per
            for j in 0..<per { to[j] = Float(from[j]) * (1 / 127.5) - 1 }
        }
    }
}

/// A heap copy of some bytes, freed with its owner.
final class OwnedBytes {
    let buffer: UnsafeMutableBufferPointer<UInt8>
    init(_ bytes: [UInt8]) {
        buffer = .allocate(capacity: max(bytes.count, 1))
        _ = buffer.initialize(from: bytes)
    }
    deinit { buffer.deallocate() }
}
