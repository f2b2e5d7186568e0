import AllocationCounter
import Distributed
import Models
import Neural
import Training
import XCTest

/// After the first step, a training step allocates nothing in SwiftGAN's code: activations,
/// im2col scratch, gradients and optimizer state are all allocated when the networks are built.
/// Allocations inside OpenBLAS (its AVX-512 sgemm kernels allocate per call) and oneDNN (its
/// execution contexts) are the libraries' and counted apart (see AllocationCounter.h), so the
/// claim holds whatever kernel they pick. Both backends run it (Scripts/test.sh).
final class AllocationTests: XCTestCase {
    func assertStepsDoNotAllocate(_ model: ModelConfig, schedule: Schedule = Schedule(), microBatch: Int = 0,
                                  file: StaticString = #filePath, line: UInt = #line) throws {
        BLASThreads.set(1)  // OpenBLAS's thread pool is outside our control; one thread has none.
        let trainer = GANTrainer(model: model, schedule: schedule, learningRate: 2e-4, beta1: 0.5, localBatch: 4,
                                 communicator: SingleProcess(), seed: 3, microBatch: microBatch)
        trainer.real.fill(0.5)
        let load: (Int) -> Void = { j in trainer.real.fill(0.5 - 0.1 * Float(j)) }
        _ = try trainer.trainStep(loadReal: load)
        allocation_counter_start()
        for _ in 1...3 {
            _ = try trainer.trainStep(loadReal: load)
        }
        let allocations = allocation_counter_stop()
        XCTAssertEqual(allocations, 0, "heap allocations in 3 steps of \(model.architecture)", file: file, line: line)
        XCTAssertGreaterThan(allocation_counter_library_calls(), 0, "the BLAS interposition saw the step's GEMMs", file: file, line: line)
        print("\(model.architecture): 3 steps, \(allocation_counter_library_calls()) calls into OpenBLAS and oneDNN, \(allocation_counter_library()) allocations inside them")
    }

    func testDCGANStepAllocatesNothing() throws {
        try assertStepsDoNotAllocate(ModelConfig(architecture: .dcgan, imageSize: 32, channels: 3, nz: 16, ngf: 8, ndf: 8))
    }

    func testMLPStepAllocatesNothing() throws {
        try assertStepsDoNotAllocate(ModelConfig(architecture: .mlp, imageSize: 28, channels: 1))
    }

    /// Heads, the conditional objectives' losses and labels, and exact reductions over
    /// micro-batches (fixed-point buffers, gathered statistics) are all preallocated too.
    func testConditionalAndExactStepsAllocateNothing() throws {
        try assertStepsDoNotAllocate(ModelConfig(architecture: .acgan, imageSize: 32, channels: 1, nz: 8, ngf: 4, ndf: 4, classes: 10))
        try assertStepsDoNotAllocate(ModelConfig(architecture: .infogan, imageSize: 28, channels: 1, nz: 8, ngf: 4, ndf: 4,
                                                 categorical: [10], continuous: 2))
        try assertStepsDoNotAllocate(ModelConfig(architecture: .dcgan, imageSize: 32, channels: 3, nz: 16, ngf: 8, ndf: 8), microBatch: 2)
        try assertStepsDoNotAllocate(ModelConfig(architecture: .infogan, imageSize: 28, channels: 1, nz: 8, ngf: 4, ndf: 4,
                                                 categorical: [10], continuous: 2), microBatch: 1)
    }

    /// The Keras-style model (asymmetric padding, global average pooling) under schedules with
    /// several and separate D updates and fresh G steps.
    /// bf16 convolutions convert into buffers made at build time.
    func testBF16StepAllocatesNothing() throws {
        if let why = Precision.bf16Unavailable { throw XCTSkip("bf16: \(why)") }
        let saved = Backend.current
        (Precision.current, Backend.current) = (.bf16, .onednn)  // also in the reference backend's pass
        defer { (Precision.current, Backend.current) = (.fp32, saved) }
        try assertStepsDoNotAllocate(ModelConfig(architecture: .dcgan, imageSize: 32, channels: 3, nz: 16, ngf: 8, ndf: 8), microBatch: 2)
    }

    func testKerasModelAndSchedulesAllocateNothing() throws {
        let keras = ModelConfig(architecture: .kerasCeleba, imageSize: 64, channels: 3, nz: 8, ngf: 2, ndf: 2)
        try assertStepsDoNotAllocate(keras, schedule: Schedule(dSteps: 1, gSteps: 1, dUpdate: .separate))
        try assertStepsDoNotAllocate(ModelConfig(architecture: .dcgan, imageSize: 32, channels: 1, nz: 8, ngf: 4, ndf: 4),
                                     schedule: Schedule(dSteps: 2, gSteps: 2, dUpdate: .joint), microBatch: 2)
    }

    /// The counter itself works: an array allocation is seen, also right after a GEMM (the
    /// library bracket closes), while one inside a library call is not charged to us.
    func testCounterSeesAnAllocation() {
        allocation_counter_start()
        let array = [Int](repeating: 1, count: Int.random(in: 100...200))
        let allocations = allocation_counter_stop()
        XCTAssertGreaterThan(allocations, 0)
        XCTAssertGreaterThan(array.count, 0)

        let a = [Float](repeating: 1, count: 64 * 64), b = a
        var c = [Float](repeating: 0, count: 64 * 64)
        allocation_counter_start()
        a.withUnsafeBufferPointer { pa in b.withUnsafeBufferPointer { pb in c.withUnsafeMutableBufferPointer { pc in
            gemm(transA: false, transB: false, m: 64, n: 64, k: 64, a: pa.baseAddress!, lda: 64, b: pb.baseAddress!, ldb: 64,
                 beta: 0, c: pc.baseAddress!, ldc: 64)
        } } }
        let after = [Int](repeating: 2, count: Int.random(in: 100...200))
        XCTAssertEqual(allocation_counter_stop(), 1, "only the array after the GEMM")
        XCTAssertEqual(allocation_counter_library_calls(), 1)
        XCTAssertEqual(c[0], 64)
        XCTAssertGreaterThan(after.count, 0)
    }
}
