import ArgumentParser
import Distributed
import Foundation
import Neural
import Training

struct Train: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Train G and D; under mpirun every rank trains on its slice of each global batch.")

    @Option(help: "fashion-mnist (Debian's dataset-fashion-mnist) or a directory of MNIST-format IDX files.")
    var data = "fashion-mnist"

    @OptionGroup var modelOptions: ModelOptions

    @Option(help: "Global batch size, split evenly over the ranks.")
    var batchSize = 64

    @Option(help: "Training steps (one D and one G update each). Overrides --epochs.")
    var steps: Int?

    @Option(help: "Epochs over the dataset (default 1 when --steps is not given).")
    var epochs: Int?

    @Option(help: "Seed of all randomness: initialisation, data order, latents, dropout.")
    var seed: UInt64 = 1

    @Option(help: "Run directory for config.json, metrics.jsonl, real.png and samples/ (default runs/<data>-<model>).")
    var runDir: String?

    @Option(help: "Print a log line every N steps.")
    var logEvery = 50

    @Option(help: "Write a sample grid every N steps (and at the end).")
    var sampleEvery = 200

    @Option(help: "Write a checkpoint every N steps (and at the end, and when stopped by SIGTERM or SIGINT).")
    var checkpointEvery = 500

    @Option(help: "Keep the newest K checkpoints.")
    var keep = 3

    @Option(help: "auto (the newest valid checkpoint in the run directory, else a fresh start) or a checkpoint path.")
    var resume: String?

    @Option(help: "Compare a digest of the parameters across ranks every N steps and stop on any difference (0: never).")
    var checkReplicas = 0

    @Option(help: "Adam learning rate.")
    var lr: Float = 2e-4

    @Option(help: "Adam beta1.")
    var beta1: Float = 0.5

    @OptionGroup var threads: ThreadOptions

    func run() throws {
        var config = TrainingConfig()
        config.model = modelOptions.config(defaultSize: 32, defaultChannels: 1)
        config.data = data
        config.batchSize = batchSize
        config.steps = steps
        config.epochs = epochs
        config.seed = seed
        let dataName = data == "fashion-mnist" ? data : URL(fileURLWithPath: data).lastPathComponent
        config.runDirectory = runDir ?? "runs/\(dataName)-\(config.model.architecture.rawValue)"
        config.logEvery = logEvery
        config.sampleEvery = sampleEvery
        config.checkpointEvery = checkpointEvery
        config.keep = keep
        config.resume = resume
        config.checkReplicasEvery = checkReplicas
        config.learningRate = lr
        config.beta1 = beta1
        try config.validate()
        try threads.apply()
        let communicator = try makeCommunicator()
        do {
            try TrainingRun(config: config, communicator: communicator).run()
        } catch {
            fail(error, on: communicator)
        }
        (communicator as? MPICommunicator)?.finalize()
    }
}
