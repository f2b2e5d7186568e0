import Foundation
import Storage

/// Hand edits of checkpoints, as a damaged disk, a careless user or another tool would make
/// them: with the checksum left alone (corruption) or recomputed (a file that is intact but
/// holds bad values).
public enum CheckpointEditing {
    public static func load(_ path: String) throws -> SafeTensorsFile {
        try SafeTensorsFile(contentsOf: URL(fileURLWithPath: path))
    }

    /// Writes `file`, first recomputing its version-2 checksum when `reseal` is true.
    public static func save(_ file: SafeTensorsFile, to path: String, reseal: Bool) throws {
        var f = file
        if reseal { f.metadata["content_fnv1a64"] = String(f.contentDigest(excluding: "content_fnv1a64"), radix: 16) }
        try f.serialized().write(to: URL(fileURLWithPath: path))
    }

    /// The same tensors and metadata in another order, as Python's `safetensors` re-saves a file.
    public static func reordered(_ file: SafeTensorsFile) -> SafeTensorsFile {
        var out = SafeTensorsFile()
        for name in file.names.reversed() {
            let e = file[name]!
            out.add(name, dtype: e.dtype, shape: e.shape, data: e.data)
        }
        out.metadata = file.metadata
        return out
    }

    /// Version 1 of the format: checksum over the tensor bytes in file order only.
    public static func asVersion1(_ file: SafeTensorsFile) -> SafeTensorsFile {
        var f = file
        f.metadata["content_fnv1a64"] = nil
        f.metadata["version"] = "1"
        var hash = FNV1a()
        for name in f.names { f[name]!.data.withUnsafeBytes { hash.add($0) } }
        f.metadata["payload_fnv1a64"] = String(hash.value, radix: 16)
        return f
    }

    public static func floats(_ values: [Float]) -> Data { values.withUnsafeBufferPointer { Data(buffer: $0) } }
}
