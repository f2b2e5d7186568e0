import Foundation
import Models
import Neural
import Storage

/// A training checkpoint in the safetensors format: everything needed to continue exactly.
///
/// Tensors (float32 unless noted):
/// - `netG.<name>`, `netD.<name>`: parameters and BatchNorm buffers under pytorch/examples'
///   `state_dict()` names (`main.0.weight`, `main.1.running_mean`, `main.1.num_batches_tracked`
///   as int64, …), so that after stripping the prefix PyTorch's `load_state_dict(strict=True)`
///   accepts them;
/// - `optimizerG.exp_avg`, `optimizerG.exp_avg_sq`, and the same for D: Adam's m and v as flat
///   arenas in parameter order.
///
/// `__metadata__`: `format` (`swiftgan-checkpoint`), `version`, `step`, `epoch`, `seed`,
/// `ranks` (written with), `optimizerG.step`, `optimizerD.step`, `config` (the resolved
/// configuration as JSON), and `content_fnv1a64`: `SafeTensorsFile.contentDigest` of every
/// tensor (name, dtype, shape, bytes) and every other metadata entry, so an edited step or a
/// swapped tensor name is caught, while a re-save by Python's `safetensors` still verifies.
///
/// Version 1 files (checksum `payload_fnv1a64` over the tensor bytes only) are still read.
public struct Checkpoint {
    public static let format = "swiftgan-checkpoint"
    public static let version = 2
    static let checksumKey = "content_fnv1a64"
    static let legacyChecksumKey = "payload_fnv1a64"

    public var config: TrainingConfig
    public var step: Int
    public var epoch: Int
    public var ranks: Int
    public var file: SafeTensorsFile

    // MARK: Writing

    /// Captures the trainer's complete state.
    public init(trainer: GANTrainer, config: TrainingConfig, epoch: Int) {
        self.config = config
        step = trainer.step
        self.epoch = epoch
        ranks = trainer.communicator.size
        var file = SafeTensorsFile()
        Self.add(trainer.generator, prefix: "netG", to: &file)
        Self.add(trainer.discriminator, prefix: "netD", to: &file)
        for (network, name) in [(trainer.generator, "optimizerG"), (trainer.discriminator, "optimizerD")] {
            let arena = network.arena
            file.add("\(name).exp_avg", shape: [arena.count], floats: UnsafeBufferPointer(start: arena.adamM, count: arena.count))
            file.add("\(name).exp_avg_sq", shape: [arena.count], floats: UnsafeBufferPointer(start: arena.adamV, count: arena.count))
        }
        file.metadata = [
            "format": Self.format,
            "version": String(Self.version),
            "step": String(step),
            "epoch": String(epoch),
            "seed": String(config.seed),
            "ranks": String(ranks),
            "optimizerG.step": String(trainer.optimizerG.step),
            "optimizerD.step": String(trainer.optimizerD.step),
            "config": String(decoding: config.json(), as: UTF8.self),
        ]
        file.metadata[Self.checksumKey] = String(file.contentDigest(excluding: Self.checksumKey), radix: 16)
        self.file = file
    }

    /// Parameters in arena order, with each BatchNorm's buffers after its parameters, as
    /// PyTorch's `state_dict()` orders them.
    static func add(_ network: Network, prefix: String, to file: inout SafeTensorsFile) {
        let arena = network.arena
        for slice in arena.slices {
            file.add("\(prefix).\(slice.name)", shape: slice.shape, floats: UnsafeBufferPointer(start: arena.value(slice), count: slice.count))
            if let bn = network.batchNorms.first(where: { "\($0.name).bias" == slice.name }) {
                file.add("\(prefix).\(bn.name).running_mean", shape: [bn.channels], floats: UnsafeBufferPointer(start: bn.runningMean, count: bn.channels))
                file.add("\(prefix).\(bn.name).running_var", shape: [bn.channels], floats: UnsafeBufferPointer(start: bn.runningVar, count: bn.channels))
                file.add("\(prefix).\(bn.name).num_batches_tracked", shape: [], int64s: [Int64(bn.batchesTracked)])
            }
        }
    }

    /// Version 1's checksum: FNV-1a (64-bit) over every tensor's bytes in file order.
    static func legacyChecksum(_ file: SafeTensorsFile) -> UInt64 {
        var hash = FNV1a()
        for name in file.names { file[name]!.data.withUnsafeBytes { hash.add($0) } }
        return hash.value
    }

    public func serialized() -> Data { file.serialized() }

    // MARK: Reading

    /// Reads and validates a checkpoint: format, version, checksum, and the configuration.
    public init(contentsOf url: URL) throws(TrainingError) {
        do { file = try SafeTensorsFile(contentsOf: url) } catch { throw TrainingError(error.description) }
        let path = url.path
        let meta = file.metadata
        guard meta["format"] == Self.format else { throw TrainingError("\(path): not a SwiftGAN checkpoint (format \(meta["format"] ?? "missing"))") }
        guard let version = meta["version"].flatMap(Int.init), version == Self.version || version == 1 else {
            throw TrainingError("\(path): checkpoint version \(meta["version"] ?? "missing") is not supported (this build reads versions 1 and \(Self.version))")
        }
        let verified = version == 1
            ? meta[Self.legacyChecksumKey].flatMap { UInt64($0, radix: 16) } == Self.legacyChecksum(file)
            : meta[Self.checksumKey].flatMap { UInt64($0, radix: 16) } == file.contentDigest(excluding: Self.checksumKey)
        guard verified else { throw TrainingError("\(path): checksum mismatch; the checkpoint is corrupt") }
        guard let step = meta["step"].flatMap(Int.init), let epoch = meta["epoch"].flatMap(Int.init),
              let ranks = meta["ranks"].flatMap(Int.init), let configText = meta["config"] else {
            throw TrainingError("\(path): checkpoint metadata is incomplete")
        }
        guard step >= 0, epoch >= 0, ranks >= 1 else {
            throw TrainingError("\(path): checkpoint metadata is out of range (step \(step), epoch \(epoch), ranks \(ranks))")
        }
        do { config = try JSONDecoder().decode(TrainingConfig.self, from: Data(configText.utf8)) } catch {
            throw TrainingError("\(path): checkpoint configuration is unreadable")
        }
        do { try config.validate() } catch { throw TrainingError("\(path): checkpoint configuration is invalid (\(error.description))") }
        self.step = step
        self.epoch = epoch
        self.ranks = ranks
    }

    /// Loads the complete state into `trainer`, whose networks must have this checkpoint's shapes.
    public func restore(into trainer: GANTrainer) throws(TrainingError) {
        try restore(trainer.generator, prefix: "netG")
        try restore(trainer.discriminator, prefix: "netD")
        for (network, name) in [(trainer.generator, "optimizerG"), (trainer.discriminator, "optimizerD")] {
            try copy("\(name).exp_avg", shape: [network.arena.count], into: network.arena.adamM)
            try copy("\(name).exp_avg_sq", shape: [network.arena.count], into: network.arena.adamV, nonNegative: true)
        }
        guard let g = file.metadata["optimizerG.step"].flatMap(Int.init), let d = file.metadata["optimizerD.step"].flatMap(Int.init),
              g >= 0, d >= 0 else {
            throw TrainingError("checkpoint metadata lacks valid optimizer steps")
        }
        trainer.optimizerG.step = g
        trainer.optimizerD.step = d
        trainer.step = step
    }

    /// Loads one network's parameters and BatchNorm buffers (`prefix`: `netG` or `netD`).
    public func restore(_ network: Network, prefix: String) throws(TrainingError) {
        for slice in network.arena.slices {
            try copy("\(prefix).\(slice.name)", shape: slice.shape, into: network.arena.value(slice))
        }
        for bn in network.batchNorms {
            try copy("\(prefix).\(bn.name).running_mean", shape: [bn.channels], into: bn.runningMean)
            try copy("\(prefix).\(bn.name).running_var", shape: [bn.channels], into: bn.runningVar, nonNegative: true)
            let name = "\(prefix).\(bn.name).num_batches_tracked"
            guard let entry = file[name], entry.dtype == .i64, entry.count == 1 else {
                throw TrainingError("checkpoint lacks the int64 scalar \(name)")
            }
            let tracked = entry.data.withUnsafeBytes { Int64(littleEndian: $0.loadUnaligned(as: Int64.self)) }
            guard tracked >= 0 else { throw TrainingError("checkpoint tensor \(name) is negative (\(tracked))") }
            bn.batchesTracked = Int(tracked)
        }
    }

    /// Copies a float32 tensor of `shape`; every value must be finite (and not negative, for
    /// variances), so a damaged or hand-edited checkpoint is refused with its tensor named
    /// instead of producing NaN images or a crash later.
    private func copy(_ name: String, shape: [Int], into destination: UnsafeMutablePointer<Float>,
                      nonNegative: Bool = false) throws(TrainingError) {
        guard let entry = file[name] else { throw TrainingError("checkpoint lacks tensor \(name)") }
        guard entry.shape == shape, entry.dtype == .f32 else {
            throw TrainingError("checkpoint tensor \(name) is \(entry.dtype.rawValue) \(entry.shape), expected F32 \(shape)")
        }
        entry.data.withUnsafeBytes { raw in
            UnsafeMutableRawPointer(destination).copyMemory(from: raw.baseAddress!, byteCount: raw.count)
        }
        for i in 0..<entry.count where !destination[i].isFinite || (nonNegative && destination[i] < 0) {
            throw TrainingError("checkpoint tensor \(name) holds \(destination[i]) at index \(i)\(nonNegative ? " (it must be finite and not negative)" : " (it must be finite)"); the checkpoint is unusable")
        }
    }
}
