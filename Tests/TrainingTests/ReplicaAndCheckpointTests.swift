import Distributed
import Foundation
import Models
import Neural
import Storage
import Training
import XCTest

/// Rank 0 of a two-rank job whose other rank reports `otherDigest` in every allgather.
final class FakeTwoRanks: Communicator {
    var otherDigest: UInt64?
    var rank: Int { 0 }
    var size: Int { 2 }
    var hostName: String { "fake" }
    func allreduceSum(_ values: UnsafeMutablePointer<Float>, count: Int) {}
    func allreduceSum(_ values: UnsafeMutablePointer<Double>, count: Int) {}
    func allreduceSum(_ values: UnsafeMutablePointer<Int64>, count: Int) {}
    func allreduceMax(_ values: UnsafeMutablePointer<Double>, count: Int) {}
    func broadcast(_ bytes: UnsafeMutableRawPointer, count: Int, root: Int) {}
    func allgather(_ bytes: UnsafeRawPointer, count: Int, into: UnsafeMutableRawPointer) {
        into.copyMemory(from: bytes, byteCount: count)
        var other = otherDigest ?? bytes.loadUnaligned(as: UInt64.self)
        (into + count).copyMemory(from: &other, byteCount: count)
    }
    func barrier() {}
    func abort(code: Int32) -> Never { fatalError("abort \(code)") }
}

final class ReplicaAndCheckpointTests: XCTestCase {
    let model = ModelConfig(architecture: .dcgan, imageSize: 32, channels: 1, nz: 8, ngf: 4, ndf: 4)

    func testReplicaCheckPassesForEqualDigestsAndFailsForDifferentOnes() throws {
        let fake = FakeTwoRanks()
        let trainer = GANTrainer(model: model, learningRate: 2e-4, beta1: 0.5, localBatch: 2, communicator: fake, seed: 1)
        XCTAssertNoThrow(try ReplicaState.verifyIdentical(trainer, step: 3))
        fake.otherDigest = ReplicaState.digest(trainer) ^ 1
        XCTAssertThrowsError(try ReplicaState.verifyIdentical(trainer, step: 3)) {
            XCTAssertTrue("\($0)".contains("replicas diverged at step 3: rank 1"), "\($0)")
        }
        // One parameter bit changes the digest.
        let before = ReplicaState.digest(trainer)
        trainer.generator.arena.values[5] = trainer.generator.arena.values[5].nextUp
        XCTAssertNotEqual(ReplicaState.digest(trainer), before)
    }

    func testUnknownVersionAndForeignFilesAreRejected() throws {
        let trainer = GANTrainer(model: model, learningRate: 2e-4, beta1: 0.5, localBatch: 2, communicator: SingleProcess(), seed: 1)
        var checkpoint = Checkpoint(trainer: trainer, config: TrainingConfig(), epoch: 0)
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("ckpt-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let good = directory.appendingPathComponent("good.safetensors")
        try checkpoint.serialized().write(to: good)
        XCTAssertNoThrow(try Checkpoint(contentsOf: good))
        checkpoint.file.metadata["version"] = "99"
        let future = directory.appendingPathComponent("future.safetensors")
        try checkpoint.serialized().write(to: future)
        XCTAssertThrowsError(try Checkpoint(contentsOf: future)) { XCTAssertTrue("\($0)".contains("version 99 is not supported"), "\($0)") }
        var plain = SafeTensorsFile()
        plain.add("x", shape: [1], floats: [1])
        let foreign = directory.appendingPathComponent("foreign.safetensors")
        try plain.serialized().write(to: foreign)
        XCTAssertThrowsError(try Checkpoint(contentsOf: foreign)) { XCTAssertTrue("\($0)".contains("not a SwiftGAN checkpoint"), "\($0)") }
    }
}
