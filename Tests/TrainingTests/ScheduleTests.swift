import Distributed
import Foundation
import Models
import Neural
import TestSupport
import Training
import XCTest

/// `Schedule`: D and G steps per iteration, joint or separate D updates.
final class ScheduleTests: XCTestCase {
    let tiny = ModelConfig(architecture: .dcgan, imageSize: 32, channels: 1, nz: 8, ngf: 4, ndf: 4)

    func trainer(_ model: ModelConfig, _ schedule: Schedule, learningRate: Float = 2e-4, batch: Int = 4) -> GANTrainer {
        GANTrainer(model: model, schedule: schedule, learningRate: learningRate, beta1: 0.5, localBatch: batch,
                   communicator: SingleProcess(), seed: 7)
    }

    /// Real batch `j` of a test: a fixed pattern per `j`.
    func fillReal(_ t: GANTrainer, _ j: Int) {
        Philox(seed: 3).normals(stream: UInt64(10 + j), index: 0, into: t.real.data, count: t.real.count)
        for i in 0..<t.real.count { t.real.data[i] = Foundation.tanh(t.real.data[i]) }
    }

    /// Each D step takes the next batch (the cursor advances by the batches used) and each kind of
    /// step its updates: joint one D update per D step, separate two.
    func testStepsBatchesAndUpdates() throws {
        for (schedule, dUpdates) in [(Schedule(dSteps: 3, gSteps: 2, dUpdate: .joint), 3), (Schedule(dSteps: 3, gSteps: 2, dUpdate: .separate), 6),
                                     (Schedule(), 1), (Schedule(dSteps: 1, gSteps: 1, dUpdate: .separate), 2)] {
            let t = trainer(tiny, schedule)
            var loaded: [Int] = []
            for _ in 0..<2 { try t.trainStep(loadReal: { j in loaded.append(j); self.fillReal(t, j) }) }
            XCTAssertEqual(loaded, Array(0..<schedule.dSteps) + Array(0..<schedule.dSteps), "\(schedule)")
            XCTAssertEqual(t.batches, 2 * schedule.dSteps)
            XCTAssertEqual(t.step, 2)
            XCTAssertEqual(t.optimizerD.step, 2 * dUpdates, "\(schedule)")
            XCTAssertEqual(t.optimizerG.step, 2 * schedule.gSteps, "\(schedule)")
            XCTAssertEqual(schedule.discriminatorUpdates, dUpdates)
        }
    }

    /// With the learning rate at zero nothing moves, so an iteration of two joint D steps is two
    /// default iterations side by side: its D metrics are their means, its G metrics the second's
    /// (the G step reuses the last D step's fakes: draw 1).
    func testMetricsAreMeansOverTheirSteps() throws {
        let two = trainer(tiny, Schedule(dSteps: 2, gSteps: 1, dUpdate: .joint), learningRate: 0)
        let metrics = try two.trainStep(loadReal: { j in self.fillReal(two, j) })
        var singles: [[Float]] = []
        for j in 0..<2 {
            let one = trainer(tiny, Schedule(), learningRate: 0)
            fillReal(one, j)
            singles.append(try one.trainStep(latents: .supplied({ _ in one.fillLatents(step: 0, draw: j) })).values)
        }
        for (i, name) in metrics.names.enumerated() {
            let expected = ["loss_d", "d_x", "d_g_z1"].contains(name) ? (singles[0][i] + singles[1][i]) / 2 : singles[1][i]
            XCTAssertEqual(metrics.values[i], expected, accuracy: 1e-5 * max(1, abs(expected)), name)
        }
        XCTAssertNotEqual(singles[0], singles[1], "the two D steps saw different batches and fakes")
    }

    /// One iteration of the Keras tutorial's schedule on the Keras-style model against PyTorch
    /// (keras.safetensors): D updated on the real batch, again on the fake batch, then G on fresh
    /// noise. Metrics, the last gradients of D and G, and every parameter after the three Adam
    /// updates, within 1e-4 of each tensor's largest magnitude.
    func testKerasScheduleIterationMatchesPyTorch() throws {
        let fixture = try Fixture("keras")
        let model = ModelConfig(architecture: .kerasCeleba, imageSize: 64, channels: 3, nz: 8, ngf: 2, ndf: 2)
        let t = trainer(model, Schedule(dSteps: 1, gSteps: 1, dUpdate: .separate), batch: 4)
        for (network, prefix) in [(t.generator, "G0"), (t.discriminator, "D0")] {
            for slice in network.arena.slices { network.arena.set(slice.name, try fixture.floats("\(prefix).\(slice.name)")) }
        }
        t.real.copy(from: try fixture.floats("real"))
        let z = [try fixture.floats("z"), try fixture.floats("z1")]
        let metrics = try t.trainStep(latents: .supplied({ j in t.latent.copy(from: z[j]) }))
        for name in metrics.names {
            let c = Comparison([metrics[name]!], try fixture.floats("step.metric.\(name)"))
            XCTAssertLessThanOrEqual(c.relative, 1e-4, "\(name): \(c)")
        }
        for (network, prefix, gradients) in [(t.generator, "G2", "gradG"), (t.discriminator, "D2", "gradD")] {
            for slice in network.arena.slices {
                let g = Comparison(network.arena.gradients(slice.name), try fixture.floats("step.\(gradients).\(slice.name)"))
                XCTAssertLessThanOrEqual(g.relative, 1e-4, "\(gradients).\(slice.name): \(g)")
                let p = Comparison(network.arena.values(slice.name), try fixture.floats("\(prefix).\(slice.name)"))
                XCTAssertLessThanOrEqual(p.relative, 1e-4, "\(prefix).\(slice.name): \(p)")
            }
        }
        XCTAssertEqual(t.optimizerD.step, 2)
    }
}
