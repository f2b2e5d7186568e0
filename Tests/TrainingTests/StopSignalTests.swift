import Distributed
import Foundation
import Models
import Neural
import Training
import XCTest

/// One rank that raises a signal at itself in the middle of a step (inside the first gradient
/// reduction), as SIGTERM from Slurm would arrive while a step runs.
final class SignalDuringStep: Communicator {
    var raiseAt: Int?
    var calls = 0
    var rank: Int { 0 }
    var size: Int { 1 }
    var hostName: String { "test" }
    func allreduceSum(_ values: UnsafeMutablePointer<Float>, count: Int) {}
    func allreduceSum(_ values: UnsafeMutablePointer<Double>, count: Int) {}
    func allreduceSum(_ values: UnsafeMutablePointer<Int64>, count: Int) {}
    func allreduceMax(_ values: UnsafeMutablePointer<Double>, count: Int) {
        calls += 1
        if calls == raiseAt { raise(SIGUSR1) }
    }
    func broadcast(_ bytes: UnsafeMutableRawPointer, count: Int, root: Int) {}
    func allgather(_ bytes: UnsafeRawPointer, count: Int, into: UnsafeMutableRawPointer) { into.copyMemory(from: bytes, byteCount: count) }
    func barrier() {}
    func abort(code: Int32) -> Never { fatalError("abort \(code)") }
}

final class StopSignalTests: XCTestCase {
    /// A stop signal that arrives during step N stops the run after step N: the step's own
    /// final reduction carries it (the flag is read at the end of the step, not before it).
    func testASignalDuringAStepStopsAfterThatStep() throws {
        StopSignal.install()
        let communicator = SignalDuringStep()
        let model = ModelConfig(architecture: .dcgan, imageSize: 32, channels: 1, nz: 8, ngf: 4, ndf: 4)
        let trainer = GANTrainer(model: model, learningRate: 2e-4, beta1: 0.5, localBatch: 4, communicator: communicator,
                                 seed: 1, microBatch: 2)
        trainer.real.fill(0.1)
        trainer.fillLatents(step: 0)
        XCTAssertFalse(try trainer.trainStep(stopRequested: { StopSignal.requested }).stopRequested)
        XCTAssertFalse(StopSignal.requested)
        communicator.raiseAt = communicator.calls + 1  // the D step's reduction of step 2
        trainer.fillLatents(step: 1)
        let second = try trainer.trainStep(stopRequested: { StopSignal.requested })
        XCTAssertTrue(StopSignal.requested, "the signal arrived during step 2")
        XCTAssertTrue(second.stopRequested, "step 2 reports it, so the run stops after step 2")
        XCTAssertEqual(trainer.step, 2)
    }
}
