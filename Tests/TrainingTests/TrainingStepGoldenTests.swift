import Distributed
import Models
import Neural
import TestSupport
import Training
import XCTest

/// One whole DCGAN iteration (D step on real and detached fake, Adam(D), G step through the
/// updated D, Adam(G)) against the same iteration in PyTorch, as pytorch/examples main.py
/// runs it with BCE on logits. Compares losses, D outputs, every parameter of G and D after
/// both Adam updates, and D's running statistics after its three forwards.
///
/// Tolerance 1e-4 of each tensor's largest magnitude. Adam's first step moves every
/// parameter by about lr = 2e-4, which is 3e-3 of a conv weight tensor's scale (≈0.06) and
/// 2e-4 of a BN scale's, so an update with a wrong sign or size fails the check.
final class TrainingStepGoldenTests: XCTestCase {
    func testOneIterationMatchesPyTorch() throws {
        let fixture = try Fixture("dcgan32")
        let model = ModelConfig(architecture: .dcgan, imageSize: 32, channels: fixture.metadata("nc")!,
                                nz: fixture.metadata("nz")!, ngf: fixture.metadata("ngf")!, ndf: fixture.metadata("ndf")!)
        let trainer = GANTrainer(model: model, learningRate: 2e-4, beta1: 0.5, localBatch: fixture.metadata("batch")!,
                                 communicator: SingleProcess(), seed: 1)
        for (network, prefix) in [(trainer.generator, "G0"), (trainer.discriminator, "D0")] {
            for slice in network.arena.slices { network.arena.set(slice.name, try fixture.floats("\(prefix).\(slice.name)")) }
        }
        trainer.real.copy(from: try fixture.floats("real"))
        trainer.latent.copy(from: try fixture.floats("z"))
        let metrics = try trainer.trainStep(latents: .preset)

        let expected: [(Float, String)] = [(metrics.lossD, "step.lossD"), (metrics.lossG, "step.lossG"),
                                           (metrics.realProbability, "step.Dx"), (metrics.fakeProbabilityBefore, "step.DGz1"),
                                           (metrics.fakeProbabilityAfter, "step.DGz2")]
        for (value, name) in expected {
            let c = Comparison([value], try fixture.floats(name))
            XCTAssertLessThanOrEqual(c.relative, 1e-4, "\(name): \(c)")
        }
        for (network, prefix) in [(trainer.generator, "G2"), (trainer.discriminator, "D2")] {
            for slice in network.arena.slices {
                let c = Comparison(network.arena.values(slice.name), try fixture.floats("\(prefix).\(slice.name)"))
                XCTAssertLessThanOrEqual(c.relative, 1e-4, "\(prefix).\(slice.name): \(c)")
            }
            for bn in network.batchNorms {
                let c = Comparison(UnsafeBufferPointer(start: bn.runningVar, count: bn.channels),
                                   try fixture.floats("\(prefix).\(bn.name).running_var"))
                XCTAssertLessThanOrEqual(c.relative, 1e-4, "\(prefix).\(bn.name).running_var: \(c)")
            }
        }
        XCTAssertEqual(trainer.step, 1)
        XCTAssertEqual(trainer.optimizerD.step, 1)
        XCTAssertEqual(trainer.optimizerG.step, 1)
    }
}
