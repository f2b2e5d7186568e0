import Foundation
import Models
import Neural
import Storage

/// A training checkpoint: the trainer's state list in a `CheckpointFile`, with the run's
/// configuration. Tensors (float32 unless noted):
/// - `netG.<name>`, `netD.<name>`: parameters and BatchNorm buffers under PyTorch `state_dict()`
///   names (`main.0.weight`, `main.1.running_mean`, `main.1.num_batches_tracked` as int64, …), so
///   that after stripping the prefix the reference modules' `load_state_dict(strict=True)` accepts them;
/// - `optimizerG.exp_avg`, `optimizerG.exp_avg_sq`, and the same for D: Adam's m and v as flat
///   arenas in parameter order.
/// Metadata: see `CheckpointFile`; counters `step`, `optimizerG.step`, `optimizerD.step`.
public struct Checkpoint {
    public var config: TrainingConfig
    public var contents: CheckpointFile
    public var step: Int { contents.step }
    public var epoch: Int { contents.epoch }
    public var ranks: Int { contents.ranks }
    /// The safetensors file (`inspect` reads it; tools may edit it).
    public var file: SafeTensorsFile {
        get { contents.file }
        set { contents.file = newValue }
    }

    /// Captures the trainer's complete state.
    public init(trainer: GANTrainer, config: TrainingConfig, epoch: Int) {
        self.config = config
        contents = CheckpointFile(state: trainer.state, metadata: [
            "epoch": String(epoch),
            "seed": String(config.seed),
            "ranks": String(trainer.communicator.size),
            "config": String(decoding: config.json(), as: UTF8.self),
        ])
    }

    /// Reads and validates a checkpoint: format, version, checksum, and the configuration.
    public init(contentsOf url: URL) throws(TrainingError) {
        contents = try io { () throws(StorageError) in try CheckpointFile(contentsOf: url.path) }
        do { config = try JSONDecoder().decode(TrainingConfig.self, from: contents.configJSON) } catch {
            throw TrainingError("\(url.path): checkpoint configuration is unreadable")
        }
        do { try config.validate() } catch { throw TrainingError("\(url.path): checkpoint configuration is invalid (\(error.description))") }
    }

    public func serialized() -> Data { contents.serialized() }

    /// Loads the complete state into `trainer`, whose networks must have this checkpoint's shapes.
    public func restore(into trainer: GANTrainer) throws(TrainingError) {
        try io { () throws(StorageError) in try contents.restore(trainer.state) }
    }
}
