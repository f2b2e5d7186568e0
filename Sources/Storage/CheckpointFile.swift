import Foundation

/// A SwiftGAN checkpoint file: a safetensors file holding a `StateList` and metadata, checked
/// before anything reads it.
///
/// `__metadata__`: `format` (`swiftgan-checkpoint`), `version`, `step`, `epoch`, `seed`, `ranks`
/// (written with), the state list's counters (`optimizerG.step`, …), `config` (the resolved
/// configuration as JSON), and `content_fnv1a64`: `SafeTensorsFile.contentDigest` of every
/// tensor (name, dtype, shape, bytes) and every other metadata entry, so an edited step or a
/// swapped tensor name is caught while a re-save by Python's `safetensors` still verifies.
/// Version 1 files (checksum `payload_fnv1a64` over the tensor bytes only) are still read.
public struct CheckpointFile {
    public static let format = "swiftgan-checkpoint"
    public static let version = 2
    static let checksumKey = "content_fnv1a64"
    static let legacyChecksumKey = "payload_fnv1a64"

    /// The file's contents; edits in memory are written by `serialized()` as they are (the
    /// checksum is not recomputed).
    public var file: SafeTensorsFile
    public let version: Int

    /// A checkpoint of `state` with `metadata` (which must include step, epoch, ranks, seed,
    /// config); `format` names what it holds (`swiftgan-checkpoint`, `swiftgan-classifier`).
    public init(state: StateList, metadata: [String: String], format: String = CheckpointFile.format) {
        var f = SafeTensorsFile()
        state.write(into: &f)
        f.metadata.merge(metadata) { _, new in new }
        f.metadata["format"] = format
        f.metadata["version"] = String(Self.version)
        f.metadata[Self.checksumKey] = String(f.contentDigest(excluding: Self.checksumKey), radix: 16)
        file = f
        version = Self.version
    }

    /// Reads and validates format, version, checksum and the step counters' ranges.
    public init(contentsOf path: String, format: String = CheckpointFile.format) throws(StorageError) {
        do { file = try SafeTensorsFile(contentsOf: URL(fileURLWithPath: path)) } catch { throw StorageError(error.description) }
        let meta = file.metadata
        guard meta["format"] == format else {
            throw StorageError("\(path): not a \(format == Self.format ? "SwiftGAN checkpoint" : format + " file") (format \(meta["format"] ?? "missing"))")
        }
        guard let version = meta["version"].flatMap(Int.init), version == Self.version || version == 1 else {
            throw StorageError("\(path): checkpoint version \(meta["version"] ?? "missing") is not supported (this build reads versions 1 and \(Self.version))")
        }
        self.version = version
        let verified = version == 1
            ? meta[Self.legacyChecksumKey].flatMap { UInt64($0, radix: 16) } == Self.legacyChecksum(file)
            : meta[Self.checksumKey].flatMap { UInt64($0, radix: 16) } == file.contentDigest(excluding: Self.checksumKey)
        guard verified else { throw StorageError("\(path): checksum mismatch; the checkpoint is corrupt") }
        guard let step = integer("step"), let epoch = integer("epoch"), let ranks = integer("ranks"), meta["config"] != nil else {
            throw StorageError("\(path): checkpoint metadata is incomplete")
        }
        guard step >= 0, epoch >= 0, ranks >= 1 else {
            throw StorageError("\(path): checkpoint metadata is out of range (step \(step), epoch \(epoch), ranks \(ranks))")
        }
    }

    /// Version 1's checksum: FNV-1a (64-bit) over every tensor's bytes in file order.
    static func legacyChecksum(_ file: SafeTensorsFile) -> UInt64 {
        var hash = FNV1a()
        for name in file.names { file[name]!.data.withUnsafeBytes { hash.add($0) } }
        return hash.value
    }

    public var metadata: [String: String] { file.metadata }
    public func integer(_ key: String) -> Int? { file.metadata[key].flatMap(Int.init) }
    public var step: Int { integer("step") ?? 0 }
    public var epoch: Int { integer("epoch") ?? 0 }
    public var ranks: Int { integer("ranks") ?? 1 }
    public var configJSON: Data { Data((file.metadata["config"] ?? "{}").utf8) }

    public func serialized() -> Data { file.serialized() }

    /// Loads `state` (all of it, or nothing) from the file.
    public func restore(_ state: StateList) throws(StorageError) { try state.restore(from: file) }
}
