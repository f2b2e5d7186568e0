import Foundation
import Models

/// Everything that determines a training run, validated once, printed at start and saved as
/// `config.json` in the run directory.
public struct TrainingConfig: Codable, Equatable, Sendable {
    public var model = ModelConfig()
    /// `fashion-mnist` (Debian's package) or a directory holding `train-images-idx3-ubyte[.gz]`
    /// and `train-labels-idx1-ubyte[.gz]` (MNIST, Fashion-MNIST).
    public var data = "fashion-mnist"
    /// Global batch `B`, split evenly over the ranks.
    public var batchSize = 64
    /// Either a step count or a number of epochs (`steps` wins when both are set).
    public var steps: Int?
    public var epochs: Int?
    public var seed: UInt64 = 1
    public var runDirectory = "runs/fashion-mnist-dcgan"
    public var logEvery = 50
    public var sampleEvery = 200
    /// A checkpoint every N steps and at the end; the newest `keep` are kept.
    public var checkpointEvery = 500
    public var keep = 3
    /// `auto` (newest valid checkpoint in the run directory, else a fresh start) or a path.
    public var resume: String?
    /// Start over in a run directory that holds an earlier run (its files are moved aside).
    public var restart = false
    /// Compare a digest of the parameters across ranks every N steps (0: never).
    public var checkReplicasEvery = 0
    /// Adam's learning rate (D's, and G's unless `generatorLearningRate` is set) and β₁.
    public var learningRate: Float = 2e-4
    public var generatorLearningRate: Float?
    public var beta1: Float = 0.5
    /// Samples per micro-batch: sums over samples are formed per micro-batch and combined
    /// exactly, so every rank count that divides the batch into micro-batches gives the same
    /// bits; 0 turns this off (one partial sum per rank, combined in floating point); nil is
    /// `defaultMicroBatch`.
    public var microBatch: Int?
    /// Evaluate every N steps (0: never) on `evalCount` samples, with the feature metrics when a
    /// classifier is given.
    public var evalEvery = 0
    public var evalCount = 2000
    public var classifier: String?
    /// InfoGAN's weights of the categorical and continuous information terms.
    public var categoricalWeight: Float = 1
    public var continuousWeight: Float = 0.1
    /// D and G steps per iteration and how D is updated.
    public var schedule = Schedule()
    /// The stall watchdog's limit on one step in seconds: nil for the automatic one
    /// (`StallWatchdog.limit`), 0 for none.
    public var stallTimeout: Double?

    public init() {}

    /// Every key is optional, so that configurations saved by earlier versions (in checkpoints)
    /// read with today's defaults for what they lack.
    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        var d = TrainingConfig()
        d.model = try c.decodeIfPresent(ModelConfig.self, forKey: .model) ?? d.model
        d.data = try c.decodeIfPresent(String.self, forKey: .data) ?? d.data
        d.batchSize = try c.decodeIfPresent(Int.self, forKey: .batchSize) ?? d.batchSize
        d.steps = try c.decodeIfPresent(Int.self, forKey: .steps)
        d.epochs = try c.decodeIfPresent(Int.self, forKey: .epochs)
        d.seed = try c.decodeIfPresent(UInt64.self, forKey: .seed) ?? d.seed
        d.runDirectory = try c.decodeIfPresent(String.self, forKey: .runDirectory) ?? d.runDirectory
        d.logEvery = try c.decodeIfPresent(Int.self, forKey: .logEvery) ?? d.logEvery
        d.sampleEvery = try c.decodeIfPresent(Int.self, forKey: .sampleEvery) ?? d.sampleEvery
        d.checkpointEvery = try c.decodeIfPresent(Int.self, forKey: .checkpointEvery) ?? d.checkpointEvery
        d.keep = try c.decodeIfPresent(Int.self, forKey: .keep) ?? d.keep
        d.resume = try c.decodeIfPresent(String.self, forKey: .resume)
        d.restart = try c.decodeIfPresent(Bool.self, forKey: .restart) ?? d.restart
        d.checkReplicasEvery = try c.decodeIfPresent(Int.self, forKey: .checkReplicasEvery) ?? d.checkReplicasEvery
        d.learningRate = try c.decodeIfPresent(Float.self, forKey: .learningRate) ?? d.learningRate
        d.generatorLearningRate = try c.decodeIfPresent(Float.self, forKey: .generatorLearningRate)
        d.beta1 = try c.decodeIfPresent(Float.self, forKey: .beta1) ?? d.beta1
        d.microBatch = try c.decodeIfPresent(Int.self, forKey: .microBatch)
        d.evalEvery = try c.decodeIfPresent(Int.self, forKey: .evalEvery) ?? d.evalEvery
        d.evalCount = try c.decodeIfPresent(Int.self, forKey: .evalCount) ?? d.evalCount
        d.classifier = try c.decodeIfPresent(String.self, forKey: .classifier)
        d.categoricalWeight = try c.decodeIfPresent(Float.self, forKey: .categoricalWeight) ?? d.categoricalWeight
        d.continuousWeight = try c.decodeIfPresent(Float.self, forKey: .continuousWeight) ?? d.continuousWeight
        d.schedule = try c.decodeIfPresent(Schedule.self, forKey: .schedule) ?? d.schedule
        d.stallTimeout = try c.decodeIfPresent(Double.self, forKey: .stallTimeout)
        self = d
    }

    /// Each field with the option that sets it, as text: for naming what differs.
    var fields: [(option: String, value: String)] {
        [("--model", model.architecture.rawValue), ("--backbone", model.resolvedBackbone.rawValue),
         ("--image-size", "\(model.imageSize)"), ("--channels", "\(model.channels)"),
         ("--nz", "\(model.nz)"), ("--ngf", "\(model.ngf)"), ("--ndf", "\(model.ndf)"), ("classes", "\(model.classes)"),
         ("--categorical", model.categorical.map(String.init).joined(separator: ",")), ("--continuous", "\(model.continuous)"),
         ("--data", data), ("--batch-size", "\(batchSize)"), ("--seed", "\(seed)"), ("--lr", "\(learningRate)"),
         ("--lr-g", generatorLearningRate.map { "\($0)" } ?? "-"), ("--beta1", "\(beta1)"),
         ("--lambda-cat", "\(categoricalWeight)"), ("--lambda-cont", "\(continuousWeight)"),
         ("--d-steps", "\(schedule.dSteps)"), ("--g-steps", "\(schedule.gSteps)"), ("--d-update", schedule.dUpdate.rawValue), ("--micro-batch", microBatch.map(String.init) ?? "auto"),
         ("--eval-every", "\(evalEvery)"), ("--eval-count", "\(evalCount)"), ("--classifier", classifier ?? "-"),
         ("--steps", steps.map(String.init) ?? "-"), ("--epochs", epochs.map(String.init) ?? "-"),
         ("--run-dir", runDirectory), ("--log-every", "\(logEvery)"), ("--sample-every", "\(sampleEvery)"),
         ("--checkpoint-every", "\(checkpointEvery)"), ("--keep", "\(keep)"), ("--resume", resume ?? "-"),
         ("--restart", "\(restart)"), ("--check-replicas", "\(checkReplicasEvery)"),
         ("--stall-timeout", stallTimeout.map { "\($0)" } ?? "auto")]
    }

    /// Options a resumed run must share with its checkpoint: everything that shapes the
    /// model, the data order and the optimizer. Steps, epochs, logging, checkpointing, the
    /// schedule (the checkpoint keeps the data cursor) and the rank count may change.
    static let resumeInvariant: Set<String> = ["--model", "--backbone", "--image-size", "--channels", "--nz", "--ngf", "--ndf",
                                               "classes", "--categorical", "--continuous", "--data", "--batch-size", "--seed",
                                               "--lr", "--lr-g", "--beta1", "--lambda-cat", "--lambda-cont"]

    /// `(option, mine, theirs)` for each field among `options` that differs from `other`.
    func differences(from other: TrainingConfig, among options: Set<String>? = nil) -> [(String, String, String)] {
        zip(fields, other.fields).compactMap { mine, theirs in
            guard options?.contains(mine.option) ?? true, mine.value != theirs.value else { return nil }
            return (mine.option, mine.value, theirs.value)
        }
    }

    /// Checks every field a user sets; each message names its option.
    public func validate() throws(TrainingError) {
        do { try model.validate() } catch { throw TrainingError(error.description) }
        guard batchSize > 0 else { throw TrainingError("--batch-size must be positive, got \(batchSize)") }
        if let steps, steps <= 0 { throw TrainingError("--steps must be positive, got \(steps)") }
        if let epochs, epochs <= 0 { throw TrainingError("--epochs must be positive, got \(epochs)") }
        guard logEvery > 0 else { throw TrainingError("--log-every must be positive, got \(logEvery)") }
        guard sampleEvery > 0 else { throw TrainingError("--sample-every must be positive, got \(sampleEvery)") }
        guard learningRate > 0, learningRate.isFinite else { throw TrainingError("--lr must be a positive number, got \(learningRate)") }
        if let g = generatorLearningRate, !(g > 0 && g.isFinite) { throw TrainingError("--lr-g must be a positive number, got \(g)") }
        guard categoricalWeight >= 0, categoricalWeight.isFinite, continuousWeight >= 0, continuousWeight.isFinite else {
            throw TrainingError("--lambda-cat and --lambda-cont must be finite and not negative")
        }
        guard evalEvery >= 0 else { throw TrainingError("--eval-every must not be negative, got \(evalEvery)") }
        guard evalCount >= 16 else { throw TrainingError("--eval-count must be at least 16, got \(evalCount)") }
        if let microBatch, microBatch < 0 { throw TrainingError("--micro-batch must not be negative, got \(microBatch)") }
        if let microBatch, microBatch > 0 {
            guard batchSize % microBatch == 0 else { throw TrainingError("--micro-batch \(microBatch) does not divide --batch-size \(batchSize)") }
            guard batchSize / microBatch <= 2048 else { throw TrainingError("--micro-batch \(microBatch) makes more than 2048 micro-batches of --batch-size \(batchSize); raise it") }
        }
        try schedule.validate()
        if let stallTimeout, !(stallTimeout >= 0 && stallTimeout.isFinite) {
            throw TrainingError("--stall-timeout must be auto, 0 (off) or a number of seconds, got \(stallTimeout)")
        }
        guard beta1 >= 0, beta1 < 1 else { throw TrainingError("--beta1 must be in [0, 1), got \(beta1)") }
        guard !runDirectory.isEmpty else { throw TrainingError("--run-dir must not be empty") }
        guard checkpointEvery > 0 else { throw TrainingError("--checkpoint-every must be positive, got \(checkpointEvery)") }
        guard keep > 0 else { throw TrainingError("--keep must be positive, got \(keep)") }
        guard checkReplicasEvery >= 0 else { throw TrainingError("--check-replicas must not be negative, got \(checkReplicasEvery)") }
        if let resume, resume.isEmpty { throw TrainingError("--resume needs auto or a checkpoint path") }
        if restart && resume != nil { throw TrainingError("--restart starts over and --resume continues; give one of them") }
    }

    /// The default micro-batch: the largest divisor of the global batch up to 16, so that it
    /// depends on the global batch alone (measured cost of exact reductions at 16: within 5% of
    /// floating-point ones on the DCGAN at 32 and 64 pixels).
    public var defaultMicroBatch: Int {
        var m = min(16, batchSize)
        while batchSize % m != 0 { m -= 1 }
        return m
    }

    /// The micro-batch for `localBatch` samples per rank, or nil for floating-point reductions:
    /// an explicit `--micro-batch` must divide it; the default falls back (with the reason) when
    /// it does not.
    public func resolvedMicroBatch(localBatch: Int) throws(TrainingError) -> (size: Int?, note: String?) {
        if let microBatch {
            guard microBatch > 0 else { return (nil, nil) }
            guard localBatch % microBatch == 0 else {
                throw TrainingError("--micro-batch \(microBatch) does not divide the \(localBatch) samples per rank (--batch-size \(batchSize) over \(batchSize / localBatch) ranks); choose a divisor of \(localBatch), or 0 for floating-point reductions", collective: true)
            }
            return (microBatch, nil)
        }
        let m = defaultMicroBatch
        guard localBatch % m == 0 else {
            return (nil, "warning: \(localBatch) samples per rank are not a multiple of the default micro-batch \(m); reductions are floating point, so results depend on the rank count (pass --micro-batch with a divisor of \(localBatch) to make them exact)")
        }
        return (m, nil)
    }

    /// Total iterations for a dataset with `batchesPerEpoch` global batches per epoch: `--steps`,
    /// or as many as `--epochs` of batches feed (each iteration takes `--d-steps` of them), at least 1.
    public func totalSteps(batchesPerEpoch: Int) -> Int {
        steps ?? max((epochs ?? 1) * batchesPerEpoch / schedule.dSteps, 1)
    }

    public func json() -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        return try! encoder.encode(self) + Data("\n".utf8)
    }
}
