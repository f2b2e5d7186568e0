import AllocationCounter
import Distributed
import Models
import Neural
import Training
import XCTest

/// After the first step, a training step allocates nothing: activations, im2col scratch,
/// gradients and optimizer state are all allocated when the networks are built.
final class AllocationTests: XCTestCase {
    func assertStepsDoNotAllocate(_ model: ModelConfig, file: StaticString = #filePath, line: UInt = #line) throws {
        BLASThreads.set(1)  // OpenBLAS's thread pool is outside our control; one thread has none.
        let trainer = GANTrainer(model: model, learningRate: 2e-4, beta1: 0.5, localBatch: 4,
                                 communicator: SingleProcess(), seed: 3)
        trainer.real.fill(0.5)
        trainer.fillLatents(step: 0)
        _ = try trainer.trainStep()
        allocation_counter_start()
        for t in 1...3 {
            trainer.fillLatents(step: t)
            _ = try trainer.trainStep()
        }
        let allocations = allocation_counter_stop()
        XCTAssertEqual(allocations, 0, "heap allocations in 3 steps of \(model.architecture)", file: file, line: line)
    }

    func testDCGANStepAllocatesNothing() throws {
        try assertStepsDoNotAllocate(ModelConfig(architecture: .dcgan, imageSize: 32, channels: 3, nz: 16, ngf: 8, ndf: 8))
    }

    func testMLPStepAllocatesNothing() throws {
        try assertStepsDoNotAllocate(ModelConfig(architecture: .mlp, imageSize: 28, channels: 1))
    }

    /// The counter itself works: an array allocation is seen.
    func testCounterSeesAnAllocation() {
        allocation_counter_start()
        let array = [Int](repeating: 1, count: Int.random(in: 100...200))
        let allocations = allocation_counter_stop()
        XCTAssertGreaterThan(allocations, 0)
        XCTAssertGreaterThan(array.count, 0)
    }
}
