import Data
import Distributed
import Foundation
import Evaluation
import Inference
import Monitoring
import Models
import Neural
import Storage

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
        try agreeOnConfiguration()
        try checkMemory(model: config.model, localBatch: max(config.batchSize / communicator.size, 1))
        let (directory, checkpoint) = try openRunDirectory()
        let model = config.model
        let dataset = try loadData(config.data, model: model, split: .train)!
        let sampler: GlobalBatchSampler
        do {
            sampler = try GlobalBatchSampler(sampleCount: dataset.count, globalBatch: config.batchSize,
                                             rank: communicator.rank, ranks: communicator.size, seed: config.seed)
        } catch { throw TrainingError(error.description, collective: true) }
        let (microBatch, microBatchNote) = try config.resolvedMicroBatch(localBatch: sampler.localBatch)
        let totalSteps = config.totalSteps(batchesPerEpoch: sampler.batchesPerEpoch)
        let trainer = GANTrainer(model: model,
                                 objective: .of(model, categoricalWeight: config.categoricalWeight, continuousWeight: config.continuousWeight),
                                 schedule: config.schedule, learningRate: config.learningRate, generatorLearningRate: config.generatorLearningRate, beta1: config.beta1,
                                 localBatch: sampler.localBatch, communicator: communicator, seed: config.seed, microBatch: microBatch ?? 0)
        let launch = try LaunchReport.gather(communicator)
        reportStart(launch: launch, trainer: trainer, sampler: sampler, dataset: dataset, totalSteps: totalSteps, microBatch: microBatch)
        if let microBatchNote { print(microBatchNote) }
        try restore(checkpoint, into: trainer)
        try ReplicaState.broadcast(trainer)
        try ReplicaState.verifyIdentical(trainer, step: trainer.step)
        if trainer.step > totalSteps {
            throw TrainingError("--steps/--epochs ask for \(totalSteps) steps, but the checkpoint is already at step \(trainer.step); ask for more to continue", collective: true)
        }
        if trainer.step == totalSteps && checkpoint.found {
            print("nothing to do: the checkpoint at step \(trainer.step) has reached the \(totalSteps) steps asked for")
            return nil
        }
        let resumed = checkpoint.found
        if let directory {
            try io { () throws(StorageError) in try AtomicFile.write(config.json(), to: directory.url.appendingPathComponent("config.json").path) }
            try writeRealGrid(dataset, write: !resumed)
        }
        let monitor = communicator.isRoot
            ? try RunMonitor(directory: runDirectory, objective: trainer.objective, keepingThrough: resumed ? trainer.step : 0,
                             totalSteps: totalSteps, title: "SwiftGAN run \(config.runDirectory)", summary: reportSummary(trainer), print: print)
            : nil
        let sheets = SampleSheets.training(model, seed: config.seed)
        let strip = communicator.isRoot ? try stripImages(model: model, training: dataset, count: min(8, trainer.localBatch)) : nil
        let evaluation = try evaluationSetup(model: model, training: dataset)
        StopSignal.install()
        let watchdog = config.stallTimeout == 0 ? nil
            : StallWatchdog(timeout: config.stallTimeout, phase: trainer.phase, identity: "rank \(communicator.rank) on \(communicator.hostName)")
        defer { watchdog?.stop() }

        var last: StepMetrics?
        var intervalStart = Date()
        var intervalSteps = 0
        let runStart = Date(), startStep = trainer.step
        // Real images per iteration (one batch per D step).
        let imagesPerStep = config.batchSize * config.schedule.dSteps
        while trainer.step < totalSteps {
            let t = trainer.step, firstBatch = trainer.batches
            watchdog?.stepStarted(t)
            let metrics = try trainer.trainStep(loadReal: { j in
                let indices = sampler.indices(batch: firstBatch + j)
                dataset.fill(trainer.real, indices: indices)
                dataset.fillLabels(trainer.realLabels, indices: indices)
            }, stopRequested: { StopSignal.requested })
            watchdog?.stepEnded()
            last = metrics
            intervalSteps += 1
            let done = trainer.step
            guard metrics.isFinite else {
                if let monitor, let alarm = monitor.alarms.observe(Dictionary(uniqueKeysWithValues: zip(metrics.names, metrics.values.map(Double.init)))) {
                    try monitor.raise(alarm, step: done)
                }
                throw TrainingError("step \(t + 1): non-finite loss (\(trainer.objective.line(metrics))); no checkpoint written; lower --lr or change --seed", collective: true)
            }
            let epoch = sampler.epoch(ofBatch: firstBatch)
            let elapsedRun = Date().timeIntervalSince(runStart)
            monitor?.progress(step: done, imagesPerSecond: Double((done - startStep) * imagesPerStep) / max(elapsedRun, 1e-9),
                              stepsPerSecond: Double(done - startStep) / max(elapsedRun, 1e-9))
            if done % config.logEvery == 0 || done == totalSteps || metrics.stopRequested {
                let elapsed = Date().timeIntervalSince(intervalStart)
                let rate = Double(intervalSteps * imagesPerStep) / max(elapsed, 1e-9)
                try monitor?.step(done, epoch: epoch, values: metrics, imagesPerSecond: rate, totalSteps: totalSteps)
                intervalStart = Date()
                intervalSteps = 0
            }
            if config.checkReplicasEvery > 0 && done % config.checkReplicasEvery == 0 {
                try ReplicaState.verifyIdentical(trainer, step: done)
            }
            if let evaluation, config.evalEvery > 0 && (done % config.evalEvery == 0 || done == totalSteps) {
                let report = try evaluation.evaluator.run(generator: trainer.generator, discriminator: trainer.discriminator,
                                                          classifier: evaluation.classifier, real: dataset, test: evaluation.test,
                                                          communicator: communicator)
                try monitor?.evaluation(done, report.values, histogram: report.coverage?.histogram)
            }
            if communicator.isRoot && (done % config.sampleEvery == 0 || done == totalSteps) {
                try writeSampleGrids(trainer: trainer, sheets: sheets, strip: strip, step: done, monitor: monitor)
            }
            if done % config.checkpointEvery == 0 || done == totalSteps || metrics.stopRequested {
                try writeCheckpoint(trainer, store: directory?.store, epoch: epoch)
            }
            if metrics.stopRequested {
                monitor?.say("stopped by signal after step \(done); checkpoint \(runDirectory.appendingPathComponent(String(format: "checkpoints/step-%07d.safetensors", done)).path)")
                break
            }
        }
        return last
    }

    /// The classifier, the test split and the evaluator for `--eval-every`, or nil.
    private func evaluationSetup(model: ModelConfig, training: ImageDataset) throws -> (evaluator: Evaluator, classifier: Classifier?, test: ImageDataset?)? {
        guard config.evalEvery > 0 else { return nil }
        var classifier: Classifier?
        if let path = config.classifier {
            do { classifier = try Classifier.load(path, batch: 64).0 } catch {
                throw TrainingError("--classifier \(error.description)", collective: true)
            }
        }
        let test = try loadData(config.data, model: model, split: .test)
        return (Evaluator(model: model, count: config.evalCount, seed: config.seed), classifier, test)
    }

    private func reportSummary(_ trainer: GANTrainer) -> [String] {
        let m = config.model
        return ["model \(m.architecture.rawValue) (\(m.resolvedBackbone.rawValue) backbone), \(m.imageSize)x\(m.imageSize)x\(m.channels), G \(trainer.generator.arena.count) parameters, D \(trainer.discriminator.arena.count)",
                "data \(config.data), global batch \(config.batchSize) on \(communicator.size) rank\(communicator.size == 1 ? "" : "s"), seed \(config.seed)"]
    }

    /// What `--resume` found: rank 0 holds the checkpoint; every rank knows whether there is one.
    struct Found {
        var checkpoint: Checkpoint?
        var found: Bool
    }

    /// Rank 0 locks and prepares the run directory and applies `--resume`/`--restart`;
    /// every rank learns the verdict, so all stop together or go on together.
    /// - fresh start: refused where an earlier run left files (they would be overwritten);
    /// - `--restart`: earlier files are moved into `previous-…/`, then a fresh start;
    /// - `--resume auto`: the newest valid checkpoint; checkpoints that all fail to read are an
    ///   error (never a silent fresh start over them); no checkpoint at all is a fresh start;
    /// - `--resume PATH`: that file, or an error.
    private func openRunDirectory() throws -> (RunDirectory?, Found) {
        var directory: RunDirectory?
        var found: (Checkpoint, URL)?
        var failure: TrainingError?
        if communicator.isRoot {
            do throws(TrainingError) {
                let dir = try RunDirectory(config.runDirectory, keep: config.keep, print: print)
                directory = dir
                found = try applyResumePolicy(dir)
            } catch { failure = error }
        }
        var verdict = [failure == nil ? 0.0 : 1.0, found == nil ? 0.0 : 1.0]
        try communicator.allreduceMax(&verdict, count: 2)
        if let failure { throw TrainingError(failure.description, collective: true) }
        if verdict[0] > 0 { throw TrainingError("rank 0 could not open the run directory", collective: true) }
        if let (checkpoint, url) = found {
            print("resumed from \(url.path) at step \(checkpoint.step) (written by \(checkpoint.ranks) rank\(checkpoint.ranks == 1 ? "" : "s"))")
        }
        return (directory, Found(checkpoint: found?.0, found: verdict[1] > 0))
    }

    private func applyResumePolicy(_ dir: RunDirectory) throws(TrainingError) -> (Checkpoint, URL)? {
        let path = config.runDirectory
        if config.restart {
            if dir.holdsRun { print("--restart: the earlier run's files are now in \(try dir.moveAside())") }
            return nil
        }
        guard let resume = config.resume else {
            if dir.holdsRun {
                let newest = dir.store.list().first.map { " (newest checkpoint: step \($0.step))" } ?? ""
                throw TrainingError("--run-dir \(path) already holds a run\(newest); pass --resume auto to continue it, or --restart to start over (its files are kept in \(path)/previous-…)")
            }
            return nil
        }
        if resume != "auto" {
            let url = URL(fileURLWithPath: resume)
            let checkpoint: Checkpoint
            do { checkpoint = try Checkpoint(contentsOf: url) } catch { throw TrainingError("--resume \(resume): \(error.description)") }
            try checkInvariants(checkpoint)
            return (checkpoint, url)
        }
        var reasons: [String] = []
        if let (checkpoint, url) = dir.store.newestValid(skipped: { reasons.append($0); self.print("resume: \($0)") }) {
            try checkInvariants(checkpoint)
            return (checkpoint, url)
        }
        let files = dir.store.list()
        if !files.isEmpty {
            throw TrainingError("--resume auto: none of the \(files.count) checkpoint\(files.count == 1 ? "" : "s") in \(dir.store.directory.path) can be read (\(reasons.first ?? "")); pass --restart to start over (they are kept in \(path)/previous-…)")
        }
        if dir.holdsRun {
            print("resume: no checkpoint in \(dir.store.directory.path); starting fresh (the earlier run's files are now in \(try dir.moveAside()))")
        } else {
            print("resume: no checkpoint in \(dir.store.directory.path); starting fresh")
        }
        return nil
    }

    private func checkInvariants(_ checkpoint: Checkpoint) throws(TrainingError) {
        if let (option, mine, theirs) = config.differences(from: checkpoint.config, among: TrainingConfig.resumeInvariant).first {
            throw TrainingError("--resume: \(option) is \(mine) but the checkpoint was trained with \(theirs)")
        }
    }

    /// Rank 0 loads the checkpoint into its trainer (the broadcast that follows copies it to
    /// every rank); a failure is shared so that every rank stops.
    private func restore(_ found: Found, into trainer: GANTrainer) throws {
        var failure: TrainingError?
        if let checkpoint = found.checkpoint {
            do { try checkpoint.restore(into: trainer) } catch { failure = error }
        }
        var verdict = failure == nil ? 0.0 : 1.0
        try communicator.allreduceMax(&verdict, count: 1)
        if let failure { throw TrainingError("--resume: \(failure.description)", collective: true) }
        if verdict > 0 { throw TrainingError("rank 0 could not restore the checkpoint", collective: true) }
    }

    /// Rank 0's configuration is the job's: every rank compares its own with it, and a rank
    /// whose command line differs stops the job, naming the option.
    private func agreeOnConfiguration() throws {
        guard communicator.size > 1 else { return }
        let mine = Array(config.json())
        var length = mine.count
        try communicator.broadcast(&length, count: MemoryLayout<Int>.size, root: 0)
        var rootText = communicator.isRoot ? mine : [UInt8](repeating: 0, count: length)
        try rootText.withUnsafeMutableBytes { raw in try communicator.broadcast(raw.baseAddress!, count: length, root: 0) }
        guard let rootConfig = try? JSONDecoder().decode(TrainingConfig.self, from: Data(rootText)) else {
            throw TrainingError("rank \(communicator.rank): cannot read rank 0's configuration")
        }
        if let (option, mine, theirs) = config.differences(from: rootConfig).first {
            throw TrainingError("\(option) is \(mine) on this rank but \(theirs) on rank 0; every rank must run the same command line")
        }
    }

    /// Rank 0 writes; the others wait at a barrier so that no rank runs ahead of a checkpoint.
    private func writeCheckpoint(_ trainer: GANTrainer, store: CheckpointStore?, epoch: Int) throws {
        if let store {
            guard trainer.generator.arena.allFinite && trainer.discriminator.arena.allFinite else {
                throw TrainingError("step \(trainer.step): non-finite parameters; the last good checkpoint is kept", collective: true)
            }
            try store.write(Checkpoint(trainer: trainer, config: config, epoch: epoch))
        }
        try communicator.barrier()
    }

    private func reportStart(launch: LaunchReport, trainer: GANTrainer, sampler: GlobalBatchSampler, dataset: ImageDataset, totalSteps: Int, microBatch: Int?) {
        let m = config.model
        let name = m.architecture.title
        let lines = launch.lines
        print("swiftgan train: \(lines[0])")
        for warning in lines.dropFirst() { print(warning) }
        let c = m.conditioning
        var conditioning = ""
        if c.classes > 0 { conditioning += ", \(c.classes) classes" }
        if !c.categorical.isEmpty { conditioning += ", categorical codes \(c.categorical.map(String.init).joined(separator: ","))" }
        if c.continuous > 0 { conditioning += ", \(c.continuous) continuous codes" }
        print("model: \(name) (\(m.resolvedBackbone.rawValue) backbone) \(m.imageSize)x\(m.imageSize)x\(m.channels), nz \(m.nz)\(conditioning), G \(trainer.generator.arena.count) parameters, D \(trainer.discriminator.arena.count)")
        print(microBatch.map { "reductions: exact, over micro-batches of \($0) samples (the same bits on every rank count that divides the batch into them)" }
              ?? "reductions: floating-point allreduce (results depend on the rank count up to summation order)")
        print("data: \(config.data), \(dataset.count) images; global batch \(config.batchSize) (\(sampler.localBatch) per rank), \(sampler.batchesPerEpoch) batches per epoch, \(totalSteps) steps")
        if !config.schedule.isDefault { print("schedule: \(config.schedule)") }
        print("run directory: \(config.runDirectory)")
    }

    /// Real images for the report's judged strip (the first of `real.png`'s).
    private var judgedReal: [Float]?

    /// The first 64 images of epoch 0's order.
    private func writeRealGrid(_ dataset: ImageDataset, write: Bool) throws(TrainingError) {
        let n = min(64, dataset.count)
        let images = Tensor(Shape(n, dataset.channels, dataset.height, dataset.width))
        let first = GlobalBatchSampler.permutation(count: dataset.count, seed: config.seed, epoch: 0).prefix(n)
        dataset.fill(images, indices: first)
        judgedReal = Array(images.buffer)
        guard write else { return }
        do {
            try SampleGrid.write(images.data, count: n, channels: dataset.channels, height: dataset.height, width: dataset.width,
                                 to: runDirectory.appendingPathComponent("real.png").path)
        } catch { throw TrainingError(error.description) }
    }

    /// The dataset at the model's size, as a training error naming `--data`.
    private func loadData(_ spec: String, model: ModelConfig, split: FashionMNIST.Split) throws(TrainingError) -> ImageDataset? {
        do { return try DatasetSource.load(spec, size: model.imageSize, channels: model.channels, split: split) } catch {
            throw TrainingError(error.description)
        }
    }

    /// Refuses, before allocating, a configuration whose networks and buffers would not fit in
    /// the memory this process can get; the message gives the estimate and what to lower.
    private func checkMemory(model: ModelConfig, localBatch: Int) throws(TrainingError) {
        let micro = config.microBatch ?? config.defaultMicroBatch
        let needed = model.estimatedBytes(batch: localBatch, partials: micro > 0 ? (localBatch + micro - 1) / micro : 0)
        let available = SystemMemory.available()
        if needed > available {
            throw TrainingError("this configuration needs about \(SystemMemory.describe(needed)) per rank (networks, activations and optimizer state at \(localBatch) samples per rank), but \(SystemMemory.describe(available)) is available; lower --batch-size, --ngf or --ndf, or use more ranks", collective: true)
        }
    }

    /// Up to eight real images (D's batch at most) for the prediction strip of conditional models: from the test split
    /// where the data has one, else from the training data.
    private func stripImages(model: ModelConfig, training: ImageDataset, count: Int) throws(TrainingError) -> Tensor? {
        guard model.conditioning.classes > 0 || !model.conditioning.categorical.isEmpty else { return nil }
        let source = (try? loadData(config.data, model: model, split: .test)).flatMap { $0 } ?? training
        let n = min(count, source.count)
        let images = Tensor(model.imageShape.batch(n))
        source.fill(images, indices: GlobalBatchSampler.permutation(count: source.count, seed: config.seed, epoch: 0).prefix(n))
        return images
    }

    /// `samples/step-N.png` (and `-c3.png`, … for further codes), and for conditional models
    /// `samples/step-N-strip.png`: real images above G's images of D's predicted class; the
    /// same grids to TensorBoard, and `report.html` with D's probability of eight samples and
    /// eight real images.
    private func writeSampleGrids(trainer: GANTrainer, sheets: [SampleSheet], strip: Tensor?, step: Int, monitor: RunMonitor?) throws(TrainingError) {
        let m = config.model
        var grids: [(tag: String, png: [UInt8], width: Int, height: Int, channels: Int)] = []
        func write(_ images: [Float], count: Int, columns: Int, suffix: String, tag: String) throws(TrainingError) {
            let grid = images.withUnsafeBufferPointer {
                SampleGrid.pixels($0.baseAddress!, count: count, channels: m.channels, height: m.imageSize, width: m.imageSize, columns: columns)
            }
            let path = runDirectory.appendingPathComponent(String(format: "samples/step-%07d%@.png", step, suffix)).path
            let png: [UInt8]
            do throws(DataError) { png = try PNG.encode(width: grid.width, height: grid.height, channels: m.channels, pixels: grid.pixels) } catch {
                throw TrainingError("\(path): \(error.description)")
            }
            try io { () throws(StorageError) in try AtomicFile.write(png, to: path) }
            grids.append((tag, png, grid.width, grid.height, m.channels))
        }
        for sheet in sheets {
            try write(Generation.images(trainer.generator, inputs: sheet.inputs), count: sheet.count, columns: sheet.columns,
                      suffix: sheet.suffix, tag: "samples" + sheet.suffix)
        }
        if let strip, let images = PredictionStrip.images(generator: trainer.generator, discriminator: trainer.discriminator,
                                                           model: m, seed: config.seed, real: strip) {
            try write(images, count: 2 * strip.shape.n, columns: strip.shape.n, suffix: "-strip", tag: "samples/strip")
        }
        try monitor?.samples(step, grids: grids, judged: judged(trainer))
    }

    /// Eight of G's fixed samples and eight real images (from `real.png`'s order), each with
    /// D's probability (eval mode) that it is real: the Keras tutorials' view.
    private func judged(_ trainer: GANTrainer) -> [ReportPage.Picture] {
        let m = config.model, D = trainer.discriminator, n = min(8, D.maxBatch)
        let inputs = Array(SampleSheets.inputs(m.conditioning, count: n, seed: config.seed))
        let fakes = Generation.images(trainer.generator, inputs: inputs)
        guard let real = judgedReal, real.count >= n * m.imageShape.perSample else { return [] }
        let wasTraining = D.training
        D.training = false
        defer { D.training = wasTraining }
        let x = Tensor(m.imageShape.batch(n))
        var pictures: [ReportPage.Picture] = []
        for (images, label) in [(fakes, "G"), (real, "real")] {
            x.copy(from: Array(images.prefix(n * m.imageShape.perSample)))
            D.forward(x, heads: [0])
            let logits = D.heads[0].output!
            for s in 0..<n {
                let grid = images.withUnsafeBufferPointer {
                    SampleGrid.pixels($0.baseAddress! + s * m.imageShape.perSample, count: 1, channels: m.channels, height: m.imageSize, width: m.imageSize)
                }
                guard let png = try? PNG.encode(width: grid.width, height: grid.height, channels: m.channels, pixels: grid.pixels) else { continue }
                pictures.append(ReportPage.Picture(png: png, caption: String(format: "%@ %.2f", label, BCEWithLogits.sigmoid(logits.data[s]))))
            }
        }
        return pictures
    }
}
