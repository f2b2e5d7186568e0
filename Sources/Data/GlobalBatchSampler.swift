import Neural

/// Which samples each rank trains on, so that training does not depend on the rank count.
///
/// Each epoch has one permutation of all samples, derived from `(seed, epoch)` alone and
/// identical on every rank. Global batch `t` of the epoch is `perm[t·B ..< (t+1)·B]`, and
/// batches are numbered over the whole run (batch `e·batchesPerEpoch + t`); rank
/// `r` of `R` takes the contiguous sub-slice of `b = B/R` samples starting at `r·b`. The
/// last partial global batch of an epoch is dropped.
public final class GlobalBatchSampler {
    public let sampleCount: Int
    public let globalBatch: Int
    public let rank: Int
    public let ranks: Int
    public let seed: UInt64
    private var cachedEpoch = -1
    private var permutation: [Int] = []

    public init(sampleCount: Int, globalBatch: Int, rank: Int, ranks: Int, seed: UInt64) throws(DataError) {
        guard globalBatch > 0 else { throw DataError("--batch-size must be positive, got \(globalBatch)") }
        guard globalBatch % ranks == 0 else {
            throw DataError("--batch-size \(globalBatch) is not divisible by the \(ranks) ranks")
        }
        guard sampleCount >= globalBatch else {
            throw DataError("--batch-size \(globalBatch) exceeds the dataset's \(sampleCount) samples")
        }
        self.sampleCount = sampleCount
        self.globalBatch = globalBatch
        self.rank = rank
        self.ranks = ranks
        self.seed = seed
    }

    /// Per-rank batch `b = B/R`.
    public var localBatch: Int { globalBatch / ranks }
    public var batchesPerEpoch: Int { sampleCount / globalBatch }

    /// The epoch that batch `batch` (counted from 0 over the whole run) falls in.
    public func epoch(ofBatch batch: Int) -> Int { batch / batchesPerEpoch }

    /// Global index (position in the global batch) of this rank's first sample.
    public var firstGlobalIndex: Int { rank * localBatch }

    /// This rank's sample indices of batch `batch`.
    public func indices(batch: Int) -> ArraySlice<Int> {
        let epoch = batch / batchesPerEpoch, position = batch % batchesPerEpoch
        if epoch != cachedEpoch {
            permutation = Self.permutation(count: sampleCount, seed: seed, epoch: epoch)
            cachedEpoch = epoch
        }
        let start = position * globalBatch + rank * localBatch
        return permutation[start..<(start + localBatch)]
    }

    /// Fisher–Yates with swap targets from the counter-based stream of `epoch`.
    public static func permutation(count: Int, seed: UInt64, epoch: Int) -> [Int] {
        var p = Array(0..<count)
        let random = Philox(seed: seed)
        let stream = RandomStream.permutation(epoch: UInt64(epoch))
        var i = count - 1
        while i > 0 {
            let j = random.integer(stream: stream, index: UInt64(i), below: i + 1)
            p.swapAt(i, j)
            i -= 1
        }
        return p
    }
}
