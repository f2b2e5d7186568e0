import Neural

/// Images held as uint8 NCHW at their training size, with optional integer labels.
/// A batch is filled by scaling `v` to `v/127.5 − 1` in [-1, 1]: the only per-batch work.
public final class ImageDataset {
    public let count: Int
    public let channels: Int
    public let height: Int
    public let width: Int
    /// `(count, channels, height, width)`.
    public let pixels: [UInt8]
    public let labels: [Int32]?

    public init(count: Int, channels: Int, height: Int, width: Int, pixels: [UInt8], labels: [Int32]?) {
        precondition(pixels.count == count * channels * height * width)
        precondition(labels == nil || labels!.count == count)
        self.count = count
        self.channels = channels
        self.height = height
        self.width = width
        self.pixels = pixels
        self.labels = labels
    }

    public var sampleSize: Int { channels * height * width }

    /// Writes the samples `indices` into `batch (indices.count, C, H, W)` in [-1, 1].
    public func fill(_ batch: Tensor, indices: ArraySlice<Int>) {
        precondition(batch.shape.perSample == sampleSize)
        batch.setBatch(indices.count)
        let per = sampleSize
        pixels.withUnsafeBufferPointer { src in
            for (slot, index) in indices.enumerated() {
                let from = src.baseAddress! + index * per, to = batch.data + slot * per
                for j in 0..<per { to[j] = Float(from[j]) * (1 / 127.5) - 1 }
            }
        }
    }
}
