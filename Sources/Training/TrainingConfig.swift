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
    public var learningRate: Float = 2e-4
    public var beta1: Float = 0.5

    public init() {}

    /// Checks every field a user sets; each message names its option.
    public func validate() throws(TrainingError) {
        do { try model.validate() } catch { throw TrainingError(error.description) }
        guard batchSize > 0 else { throw TrainingError("--batch-size must be positive, got \(batchSize)") }
        if let steps, steps <= 0 { throw TrainingError("--steps must be positive, got \(steps)") }
        if let epochs, epochs <= 0 { throw TrainingError("--epochs must be positive, got \(epochs)") }
        guard logEvery > 0 else { throw TrainingError("--log-every must be positive, got \(logEvery)") }
        guard sampleEvery > 0 else { throw TrainingError("--sample-every must be positive, got \(sampleEvery)") }
        guard learningRate > 0, learningRate.isFinite else { throw TrainingError("--lr must be a positive number, got \(learningRate)") }
        guard beta1 >= 0, beta1 < 1 else { throw TrainingError("--beta1 must be in [0, 1), got \(beta1)") }
        guard !runDirectory.isEmpty else { throw TrainingError("--run-dir must not be empty") }
    }

    /// Total steps for a dataset with `stepsPerEpoch` global batches per epoch.
    public func totalSteps(stepsPerEpoch: Int) -> Int {
        steps ?? (epochs ?? 1) * stepsPerEpoch
    }

    public func json() -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        return try! encoder.encode(self) + Data("\n".utf8)
    }
}
