import Foundation
import Storage

/// A TensorBoard event file (`events.out.tfevents.<time>.<host>`) written without TensorFlow:
/// TFRecord frames (`u64 length`, `u32 masked CRC-32C of the length`, the bytes, `u32 masked
/// CRC-32C of the bytes`) around `Event` protocol buffers: first `file_version
/// "brain.Event:2"`, then events holding a `Summary` of scalars (`simple_value`) or a PNG image.
///
/// Appends are flushed as they happen, as TensorBoard reads files that are still growing.
public final class TensorBoardWriter {
    public let path: String
    private let handle: FileHandle

    public init(directory: String, wallTime: Double = Date().timeIntervalSince1970) throws(StorageError) {
        path = "\(directory)/events.out.tfevents.\(Int(wallTime)).\(TemporaryFile.host)"
        guard FileManager.default.createFile(atPath: path, contents: nil), let handle = FileHandle(forWritingAtPath: path) else {
            throw StorageError.system(path, "cannot create")
        }
        self.handle = handle
        var event = Protobuf()
        event.double(1, wallTime)
        event.int(2, 0)
        event.string(3, "brain.Event:2")
        try write(event)
    }

    deinit { try? handle.close() }

    /// One TFRecord frame.
    public static func frame(_ record: [UInt8]) -> [UInt8] {
        var out: [UInt8] = []
        let length = withUnsafeBytes(of: UInt64(record.count).littleEndian) { Array($0) }
        out += length
        withUnsafeBytes(of: CRC32C.masked(length).littleEndian) { out += $0 }
        out += record
        withUnsafeBytes(of: CRC32C.masked(record).littleEndian) { out += $0 }
        return out
    }

    private func write(_ event: Protobuf) throws(StorageError) {
        do { try handle.write(contentsOf: Data(Self.frame(event.bytes))) } catch { throw StorageError.system(path, "write failed") }
    }

    private func event(step: Int, wallTime: Double, values: [Protobuf]) throws(StorageError) {
        var summary = Protobuf()
        for v in values { summary.message(1, v) }
        var event = Protobuf()
        event.double(1, wallTime)
        event.int(2, Int64(step))
        event.message(5, summary)
        try write(event)
    }

    /// Scalars `tag → value` at `step`.
    public func scalars(_ values: [(String, Double)], step: Int, wallTime: Double = Date().timeIntervalSince1970) throws(StorageError) {
        try event(step: step, wallTime: wallTime, values: values.map { tag, value in
            var v = Protobuf()
            v.string(1, tag)
            v.float(2, Float(value))
            return v
        })
    }

    /// A PNG image under `tag` at `step`.
    public func image(_ tag: String, png: [UInt8], width: Int, height: Int, channels: Int, step: Int,
                      wallTime: Double = Date().timeIntervalSince1970) throws(StorageError) {
        var image = Protobuf()
        image.int(1, Int64(height))
        image.int(2, Int64(width))
        image.int(3, Int64(channels))
        image.data(4, png)
        var v = Protobuf()
        v.string(1, tag)
        v.message(4, image)
        try event(step: step, wallTime: wallTime, values: [v])
    }
}
