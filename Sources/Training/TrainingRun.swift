import Data
import Distributed
import Foundation
import Models
import Neural

/// A whole training run: data, replicas, the step loop, logs, metrics and sample grids.
/// Every rank runs it; rank 0 alone prints and writes files.
public final class TrainingRun {
    public let config: TrainingConfig
    let communicator: Communicator
    let print: (String) -> Void

    /// `print` receives rank 0's log lines; other ranks stay silent. By default each line is
    /// flushed at once, so a log redirected to a file (a batch job's) is never behind.
    public init(config: TrainingConfig, communicator: Communicator,
                print: @escaping (String) -> Void = { Swift.print($0); fflush(nil) }) {
        self.config = config
        self.communicator = communicator
        self.print = communicator.isRoot ? print : { _ in }
    }

    var runDirectory: URL { URL(fileURLWithPath: config.runDirectory) }

    /// Trains for the configured steps and returns the last step's metrics.
    @discardableResult
    public func run() throws -> StepMetrics? {
        try config.validate()
        let model = config.model
        let dataset = try DatasetSource.load(config.data, size: model.imageSize, channels: model.channels)
        let sampler: GlobalBatchSampler
        do {
            sampler = try GlobalBatchSampler(sampleCount: dataset.count, globalBatch: config.batchSize,
                                             rank: communicator.rank, ranks: communicator.size, seed: config.seed)
        } catch { throw TrainingError(error.description) }
        let totalSteps = config.totalSteps(stepsPerEpoch: sampler.stepsPerEpoch)
        let trainer = GANTrainer(model: model, learningRate: config.learningRate, beta1: config.beta1,
                                 localBatch: sampler.localBatch, communicator: communicator, seed: config.seed)
        try prepareRunDirectory()
        reportStart(trainer: trainer, sampler: sampler, dataset: dataset, totalSteps: totalSteps)
        if communicator.isRoot {
            try AtomicFile.write(config.json(), to: runDirectory.appendingPathComponent("config.json"))
            try writeRealGrid(dataset, sampler: sampler)
        }
        let metricsLog = communicator.isRoot ? try MetricsLog(runDirectory.appendingPathComponent("metrics.jsonl")) : nil
        let fixed = FixedLatents(model: model, seed: config.seed)

        var last: StepMetrics?
        var intervalStart = Date()
        var intervalSteps = 0
        while trainer.step < totalSteps {
            let t = trainer.step
            dataset.fill(trainer.real, indices: sampler.indices(step: t))
            trainer.fillLatents(step: t)
            let metrics = try trainer.trainStep()
            last = metrics
            intervalSteps += 1
            guard metrics.isFinite else {
                throw TrainingError("step \(t + 1): non-finite loss (loss_D \(metrics.lossD), loss_G \(metrics.lossG)); lower --lr or change --seed")
            }
            let done = trainer.step
            if done % config.logEvery == 0 || done == totalSteps {
                let elapsed = Date().timeIntervalSince(intervalStart)
                let rate = Double(intervalSteps * config.batchSize) / max(elapsed, 1e-9)
                let epoch = sampler.epoch(ofStep: t)
                print(String(format: "[%d/%d] epoch %d  loss_D %.4f  loss_G %.4f  D(x) %.4f  D(G(z)) %.4f / %.4f  %.1f img/s",
                             done, totalSteps, epoch, metrics.lossD, metrics.lossG, metrics.realProbability,
                             metrics.fakeProbabilityBefore, metrics.fakeProbabilityAfter, rate))
                try metricsLog?.append(step: done, epoch: epoch, metrics: metrics, imagesPerSecond: rate)
                intervalStart = Date()
                intervalSteps = 0
            }
            if communicator.isRoot && (done % config.sampleEvery == 0 || done == totalSteps) {
                try writeSampleGrid(trainer: trainer, fixed: fixed, step: done)
            }
        }
        return last
    }

    private func prepareRunDirectory() throws(TrainingError) {
        guard communicator.isRoot else { return }
        do {
            try FileManager.default.createDirectory(at: runDirectory.appendingPathComponent("samples"), withIntermediateDirectories: true)
        } catch {
            throw TrainingError("--run-dir \(config.runDirectory): cannot create (\(error.localizedDescription))")
        }
    }

    private func reportStart(trainer: GANTrainer, sampler: GlobalBatchSampler, dataset: ImageDataset, totalSteps: Int) {
        let m = config.model
        let name = m.architecture == .dcgan ? "DCGAN" : "MLP GAN"
        print("swiftgan train: \(communicator.size) rank\(communicator.size == 1 ? "" : "s") on \(communicator.hostName), \(BLASThreads.count) BLAS thread\(BLASThreads.count == 1 ? "" : "s") per rank")
        print("model: \(name) \(m.imageSize)x\(m.imageSize)x\(m.channels), nz \(m.nz), G \(trainer.generator.arena.count) parameters, D \(trainer.discriminator.arena.count)")
        print("data: \(config.data), \(dataset.count) images; global batch \(config.batchSize) (\(sampler.localBatch) per rank), \(sampler.stepsPerEpoch) steps per epoch, \(totalSteps) steps")
        print("run directory: \(config.runDirectory)")
    }

    private func writeRealGrid(_ dataset: ImageDataset, sampler: GlobalBatchSampler) throws(TrainingError) {
        let n = min(64, dataset.count)
        let images = Tensor(Shape(n, dataset.channels, dataset.height, dataset.width))
        let first = GlobalBatchSampler.permutation(count: dataset.count, seed: config.seed, epoch: 0).prefix(n)
        dataset.fill(images, indices: first)
        try SampleGrid.write(images.data, count: n, channels: dataset.channels, height: dataset.height, width: dataset.width,
                             to: runDirectory.appendingPathComponent("real.png").path)
    }

    private func writeSampleGrid(trainer: GANTrainer, fixed: FixedLatents, step: Int) throws(TrainingError) {
        let images = fixed.generate(with: trainer.generator)
        let m = config.model
        let path = runDirectory.appendingPathComponent(String(format: "samples/step-%07d.png", step)).path
        try SampleGrid.write(images.data, count: images.shape.n, channels: m.channels, height: m.imageSize, width: m.imageSize, to: path)
    }
}

/// The fixed latent batch of the sample grids: 64 vectors from the seed's `fixedLatent` stream,
/// run through G in eval mode (running BN statistics), in chunks of the replica's batch.
final class FixedLatents {
    let count = 64
    let latents: Tensor
    let images: Tensor
    let chunk: Tensor

    init(model: ModelConfig, seed: UInt64) {
        latents = Tensor(model.latentShape.batch(count))
        images = Tensor(model.imageShape.batch(count))
        chunk = Tensor(model.latentShape.batch(count))
        let random = Philox(seed: seed)
        for i in 0..<count {
            random.normals(stream: RandomStream.fixedLatent, index: UInt64(i), into: latents.data + i * model.nz, count: model.nz)
        }
    }

    func generate(with generator: Network) -> Tensor {
        let wasTraining = generator.training
        generator.training = false
        defer { generator.training = wasTraining }
        let nz = latents.shape.perSample, per = images.shape.perSample
        var start = 0
        while start < count {
            let n = min(generator.maxBatch, count - start)
            chunk.setBatch(n)
            chunk.data.update(from: latents.data + start * nz, count: n * nz)
            let y = generator.forward(chunk)
            (images.data + start * per).update(from: y.data, count: n * per)
            start += n
        }
        return images
    }
}
