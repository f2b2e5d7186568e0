/// Micro-batches: the fixed groups of consecutive samples in which every sum over samples is
/// first formed.
///
/// With micro-batch size `m`, sample `i` of the global batch belongs to micro-batch `⌊i/m⌋`
/// whatever the rank count, and every computation that mixes samples (a GEMM over the batch,
/// BatchNorm's sums, a loss) runs once per micro-batch with the same shapes on any rank. The
/// per-micro-batch partial sums are then combined in an order that does not depend on how
/// micro-batches are spread over ranks, which makes training bit-identical for every rank count.
/// `m = 0` makes each rank's whole batch one micro-batch (results then depend on the rank count
/// up to float summation order).
public struct Chunks: Sequence, Sendable {
    public let samples: Int
    public let size: Int

    /// `samples` split into runs of `microBatch` (the last may be shorter outside training);
    /// `microBatch <= 0` or `>= samples` gives one chunk.
    public init(samples: Int, microBatch: Int) {
        self.samples = samples
        size = microBatch > 0 && microBatch < samples ? microBatch : samples
    }

    public var count: Int { (samples + size - 1) / size }

    public struct Chunk: Sendable {
        /// Index among this batch's chunks.
        public let index: Int
        /// First sample and number of samples.
        public let start: Int
        public let count: Int
        public var range: Range<Int> { start..<(start + count) }
    }

    public struct Iterator: IteratorProtocol {
        let chunks: Chunks
        var k = 0
        public mutating func next() -> Chunk? {
            guard k < chunks.count else { return nil }
            defer { k += 1 }
            return chunks[k]
        }
    }

    public func makeIterator() -> Iterator { Iterator(chunks: self) }

    public subscript(k: Int) -> Chunk { Chunk(index: k, start: k * size, count: Swift.min(size, samples - k * size)) }
}
