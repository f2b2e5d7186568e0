import ArgumentParser
import Distributed
import Foundation
import Neural
import Training

struct Train: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Train G and D; under mpirun every rank trains on its slice of each global batch.")

    @Option(help: "fashion-mnist (Debian's dataset-fashion-mnist), a directory of MNIST-format IDX files, or a packed file from swiftgan prepare.")
    var data = "fashion-mnist"

    @OptionGroup var modelOptions: ModelOptions

    @OptionGroup var scheduleOptions: ScheduleOptions

    @Option(parsing: .unconditional, help: "Global batch size, split evenly over the ranks (default 64; 32 for keras-celeba).")
    var batchSize: Int?

    @Option(parsing: .unconditional, help: "Training iterations (the schedule's D and G steps each). Overrides --epochs.")
    var steps: Int?

    @Option(parsing: .unconditional, help: "Epochs over the dataset (default 1 when --steps is not given).")
    var epochs: Int?

    @Option(parsing: .unconditional, help: "Seed of all randomness: initialisation, data order, latents, dropout.")
    var seed: UInt64 = 1

    @Option(help: "Run directory for config.json, metrics.jsonl, real.png and samples/ (default runs/<data>-<model>).")
    var runDir: String?

    @Option(parsing: .unconditional, help: "Print a log line every N steps.")
    var logEvery = 50

    @Option(parsing: .unconditional, help: "Write a sample grid every N steps (and at the end).")
    var sampleEvery = 200

    @Option(parsing: .unconditional, help: "Write a checkpoint every N steps (and at the end, and when stopped by SIGTERM or SIGINT).")
    var checkpointEvery = 500

    @Option(parsing: .unconditional, help: "Keep the newest K checkpoints.")
    var keep = 3

    @Option(help: "auto (the newest valid checkpoint in the run directory; a fresh start if it has none) or a checkpoint path.")
    var resume: String?

    @Flag(help: "Start over in a run directory that holds an earlier run; its files are moved into previous-<date>-<time>/, never deleted.")
    var restart = false

    @Option(parsing: .unconditional, help: "Compare a digest of the parameters across ranks every N steps and stop on any difference (0: never).")
    var checkReplicas = 0

    @Option(parsing: .unconditional, help: "Adam learning rate (D's, and G's unless --lr-g is given).")
    var lr: Float = 2e-4

    @Option(parsing: .unconditional, help: "G's Adam learning rate (default --lr; 1e-3 for infogan, as the paper).")
    var lrG: Float?

    @Option(parsing: .unconditional, help: "InfoGAN: weight of the categorical information term.")
    var lambdaCat: Float = 1

    @Option(parsing: .unconditional, help: "InfoGAN: weight of the continuous information term (Gaussian NLL, sigma 1).")
    var lambdaCont: Float = 0.1

    @Option(parsing: .unconditional, help: "Samples per micro-batch: every sum over samples is formed per micro-batch and combined exactly, so every rank count that divides the batch into micro-batches gives the same bits (default: the largest divisor of --batch-size up to 16; 0: floating-point reductions).")
    var microBatch: Int?

    @Option(parsing: .unconditional, help: "Adam beta1.")
    var beta1: Float = 0.5

    @Option(parsing: .unconditional, help: "Evaluate every N steps (and at the end): SWD, and with --classifier the Fréchet distance, precision/recall and class coverage (0: never).")
    var evalEvery = 0

    @Option(parsing: .unconditional, help: "Samples per evaluation.")
    var evalCount = 2000

    @Option(help: "The classifier for --eval-every's feature metrics (swiftgan classifier train).")
    var classifier: String?

    @Option(help: "End the job when one step runs longer than this many seconds, naming the rank, host and phase it is stuck in: auto (10 x the median step, at least 30 s; 600 s for the first), a number, or 0 (never).")
    var stallTimeout = "auto"

    @OptionGroup var threads: ThreadOptions

    func run() throws {
        var config = TrainingConfig()
        config.model = try modelOptions.config(defaultSize: 32, defaultChannels: 1, data: data)
        config.data = data
        config.batchSize = batchSize ?? (config.model.architecture == .kerasCeleba ? 32 : 64)
        config.schedule = try scheduleOptions.schedule(for: config.model)
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
        config.restart = restart
        config.checkReplicasEvery = checkReplicas
        config.learningRate = lr
        config.generatorLearningRate = lrG ?? (config.model.architecture == .infogan ? 1e-3 : nil)
        config.beta1 = beta1
        config.categoricalWeight = lambdaCat
        config.continuousWeight = lambdaCont
        config.microBatch = microBatch
        config.evalEvery = evalEvery
        config.evalCount = evalCount
        config.classifier = classifier
        if stallTimeout != "auto" {
            guard let seconds = Double(stallTimeout) else {
                throw ValidationError("--stall-timeout takes auto, 0 (off) or a number of seconds, got '\(stallTimeout)'")
            }
            config.stallTimeout = seconds
        }
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
