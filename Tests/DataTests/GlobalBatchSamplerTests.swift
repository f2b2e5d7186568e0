import Data
import XCTest

final class GlobalBatchSamplerTests: XCTestCase {
    func testPermutationIsAPermutationAndDependsOnSeedAndEpoch() {
        let p = GlobalBatchSampler.permutation(count: 1000, seed: 3, epoch: 0)
        XCTAssertEqual(p.sorted(), Array(0..<1000))
        XCTAssertEqual(p, GlobalBatchSampler.permutation(count: 1000, seed: 3, epoch: 0))
        XCTAssertNotEqual(p, GlobalBatchSampler.permutation(count: 1000, seed: 3, epoch: 1))
        XCTAssertNotEqual(p, GlobalBatchSampler.permutation(count: 1000, seed: 4, epoch: 0))
    }

    /// For R in 1…4 the rank slices are disjoint, in rank order, and together are the global
    /// batch of the single-process sampler, step after step across epoch boundaries.
    func testRankSlicesPartitionTheGlobalBatchForAnyRankCount() throws {
        let count = 50, batch = 12
        let single = try GlobalBatchSampler(sampleCount: count, globalBatch: batch, rank: 0, ranks: 1, seed: 9)
        XCTAssertEqual(single.batchesPerEpoch, 4, "the last partial batch is dropped")
        for ranks in 1...4 {
            let samplers = try (0..<ranks).map { try GlobalBatchSampler(sampleCount: count, globalBatch: batch, rank: $0, ranks: ranks, seed: 9) }
            for step in 0..<10 {
                let slices = samplers.map { Array($0.indices(batch: step)) }
                XCTAssertTrue(slices.allSatisfy { $0.count == batch / ranks })
                XCTAssertEqual(Set(slices.joined()).count, batch, "disjoint")
                XCTAssertEqual(Array(slices.joined()), Array(single.indices(batch: step)), "R=\(ranks) step \(step)")
            }
        }
        // Each epoch visits distinct samples.
        let epoch = (0..<4).flatMap { Array(single.indices(batch: $0)) }
        XCTAssertEqual(Set(epoch).count, 48)
    }

    func testInvalidBatchesAreRejected() {
        XCTAssertThrowsError(try GlobalBatchSampler(sampleCount: 50, globalBatch: 12, rank: 0, ranks: 5, seed: 1)) {
            XCTAssertTrue("\($0)".contains("not divisible"))
        }
        XCTAssertThrowsError(try GlobalBatchSampler(sampleCount: 50, globalBatch: 0, rank: 0, ranks: 1, seed: 1))
        XCTAssertThrowsError(try GlobalBatchSampler(sampleCount: 10, globalBatch: 12, rank: 0, ranks: 1, seed: 1))
    }
}
