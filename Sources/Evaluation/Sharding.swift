import Distributed
import Neural

/// Work over `count` samples spread over the ranks in fixed chunks of `chunk` samples: chunk
/// `k` holds samples `k·chunk ..<`, and rank `r` takes a contiguous run of chunks. Each chunk is
/// computed the same way on any rank count, and `gather` returns every sample's outputs in
/// global order on every rank, so what is computed from them does not depend on the rank count.
public struct Sharding: Sendable {
    public let count: Int
    public let chunk: Int
    public let rank: Int
    public let ranks: Int

    public init(count: Int, chunk: Int, rank: Int, ranks: Int) {
        self.count = count
        self.chunk = chunk
        self.rank = rank
        self.ranks = ranks
    }

    public var chunks: Int { (count + chunk - 1) / chunk }
    /// Chunks per rank (the last ranks may have fewer real ones; they send padding).
    public var chunksPerRank: Int { (chunks + ranks - 1) / ranks }
    /// This rank's chunks.
    public var myChunks: Range<Int> { min(rank * chunksPerRank, chunks)..<min((rank + 1) * chunksPerRank, chunks) }
    /// Samples of chunk `k`.
    public func samples(_ k: Int) -> Range<Int> { (k * chunk)..<min((k + 1) * chunk, count) }

    /// Computes `width` outputs per sample for this rank's chunks with `compute(samples, out)`,
    /// then gathers all samples' outputs in order on every rank: `(count, width)`.
    public func gather(width: Int, communicator: Communicator, _ compute: (Range<Int>, UnsafeMutablePointer<Float>) -> Void) throws -> [Float] {
        let slot = chunksPerRank * chunk * width
        var mine = [Float](repeating: 0, count: max(slot, 1))
        mine.withUnsafeMutableBufferPointer { buffer in
            for (j, k) in myChunks.enumerated() { compute(samples(k), buffer.baseAddress! + j * chunk * width) }
        }
        var all = [Float](repeating: 0, count: max(slot * ranks, 1))
        try all.withUnsafeMutableBytes { out in
            try mine.withUnsafeBytes { try communicator.allgather($0.baseAddress!, count: slot * 4, into: out.baseAddress!) }
        }
        return Array(all.prefix(count * width))
    }
}
