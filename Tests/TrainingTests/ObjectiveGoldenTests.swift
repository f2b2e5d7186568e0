import Distributed
import Models
import Neural
import TestSupport
import Training
import XCTest

/// One complete training iteration of each conditional objective (D step with its real and fake
/// terms, Adam(D), G step through the updated D, Adam(G)) against the same iteration in PyTorch
/// with the modules of Scripts/reference_models.py (objectives.safetensors): metrics, every
/// parameter of G and D after both updates, and BN running statistics.
///
/// Tolerance 1e-4 of each tensor's largest magnitude, as in TrainingStepGoldenTests, for the
/// gradients both Adam updates used and for the parameters after them: Adam's first step moves
/// each parameter by about lr (2e-4, and 1e-3 for InfoGAN's G), so a wrong sign or size of any
/// update fails. One exception, inherent to Adam: its first update is `lr·g/(|g| + ε)`, so where
/// a gradient is tiny (below 1e-3 of its tensor's largest) float32's rounding of `g` moves the
/// result by a fraction of lr; those elements are checked through their gradient (above) and
/// against Adam's bound `|Δp| ≤ lr` instead.
final class ObjectiveGoldenTests: XCTestCase {
    var fixture: Fixture!

    override func setUpWithError() throws { fixture = try Fixture("objectives") }

    func iteration(_ key: String, model: ModelConfig, generatorLearningRate: Float?) throws {
        let n = 6
        let trainer = GANTrainer(model: model, learningRate: 2e-4, generatorLearningRate: generatorLearningRate, beta1: 0.5,
                                 localBatch: n, communicator: SingleProcess(), seed: 1)
        for (network, prefix) in [(trainer.generator, "G0"), (trainer.discriminator, "D0")] {
            for slice in network.arena.slices { network.arena.set(slice.name, try fixture.floats("\(key).\(prefix).\(slice.name)")) }
        }
        trainer.real.copy(from: try fixture.floats("\(key).real"))
        trainer.latent.copy(from: try fixture.floats("\(key).z"))
        let labels = try fixture.floats("\(key).labels"), sampled = try fixture.floats("\(key).sampled")
        for s in 0..<n {
            trainer.realLabels[s] = Int32(labels[s])
            trainer.inputs.classes[s] = Int32(sampled[s])
            if !model.conditioning.categorical.isEmpty { trainer.inputs.code(0)[s] = Int32(sampled[s]) }
        }
        let continuous = try fixture.floats("\(key).continuous")
        for i in 0..<(n * model.conditioning.continuous) { trainer.inputs.continuous[i] = continuous[i] }
        let metrics = try trainer.trainStep(latents: .preset)

        for name in metrics.names {
            let c = Comparison([metrics[name]!], try fixture.floats("\(key).metric.\(name)"))
            XCTAssertLessThanOrEqual(c.relative, 1e-4, "\(key) \(name): \(c)")
        }
        for (network, prefix, gradients, lr) in [(trainer.generator, "G2", "gradG", trainer.optimizerG.learningRate),
                                                  (trainer.discriminator, "D2", "gradD", trainer.optimizerD.learningRate)] {
            for slice in network.arena.slices {
                let g = try fixture.floats("\(key).\(gradients).\(slice.name)")
                let cg = Comparison(network.arena.gradients(slice.name), g)
                XCTAssertLessThanOrEqual(cg.relative, 1e-4, "\(key) \(gradients).\(slice.name): \(cg)")
                let before = try fixture.floats("\(key).\(prefix.prefix(1))0.\(slice.name)")
                let expected = try fixture.floats("\(key).\(prefix).\(slice.name)")
                let actual = Array(network.arena.values(slice.name))
                let gScale = g.map(abs).max()!, pScale = expected.map { Double(abs($0)) }.max()!
                var worst = 0.0
                for i in expected.indices {
                    if abs(g[i]) >= 1e-3 * gScale {
                        worst = max(worst, abs(Double(actual[i]) - Double(expected[i])) / pScale)
                    } else {
                        XCTAssertLessThanOrEqual(abs(actual[i] - before[i]), lr * 1.0001, "\(key) \(prefix).\(slice.name)[\(i)]: beyond Adam's bound")
                    }
                }
                XCTAssertLessThanOrEqual(worst, 1e-4, "\(key) \(prefix).\(slice.name): largest relative difference \(worst)")
            }
            for bn in network.batchNorms {
                for (buffer, name) in [(bn.runningMean, "running_mean"), (bn.runningVar, "running_var")] {
                    let c = Comparison(UnsafeBufferPointer(start: buffer, count: bn.channels), try fixture.floats("\(key).\(prefix).\(bn.name).\(name)"))
                    XCTAssertLessThanOrEqual(c.relative, 1e-4, "\(key) \(prefix).\(bn.name).\(name): \(c)")
                }
            }
        }
        XCTAssertEqual(trainer.optimizerD.step, 1)
        XCTAssertEqual(trainer.optimizerG.step, 1)
    }

    /// D: BCE(real, 1) + CE(class head, labels) and BCE(fake, 0) + CE(class head, sampled);
    /// G: BCE(fake, 1) + CE(class head, sampled); DCGAN backbone at 32×32.
    func testACGANIterationMatchesPyTorch() throws {
        try iteration("acgan", model: ModelConfig(architecture: .acgan, backbone: .dcgan, imageSize: 32, channels: 1,
                                                  nz: 8, ngf: 4, ndf: 4, classes: 4), generatorLearningRate: nil)
    }

    /// The non-saturating GAN plus λ_cat·CE + λ_cont·½MSE of Q on the fakes, in both steps
    /// (the trunk and Q head train on it in the D step); the paper's MNIST network at widths
    /// ngf = ndf = 4, G at lr 1e-3, D at 2e-4.
    func testInfoGANIterationMatchesPyTorch() throws {
        try iteration("infogan", model: ModelConfig(architecture: .infogan, backbone: .mnist, imageSize: 28, channels: 1,
                                                    nz: 8, ngf: 4, ndf: 4, categorical: [4], continuous: 2), generatorLearningRate: 1e-3)
    }
}
