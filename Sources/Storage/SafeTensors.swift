import Foundation

/// The safetensors format (huggingface/safetensors), readable by numpy and PyTorch users
/// without SwiftGAN: an 8-byte little-endian header length `N`, a UTF-8 JSON header of `N`
/// bytes mapping each tensor name to `{dtype, shape, data_offsets: [begin, end]}` plus an
/// optional `__metadata__` string map, then the raw little-endian tensor data; offsets are
/// relative to the end of the header.
///
/// Reading validates everything before trusting it: header length against the file size and
/// a hard cap, dtypes, shapes against byte ranges, ranges inside the data and not overlapping.
public struct SafeTensorsFile {
    public enum DType: String, Sendable {
        case f32 = "F32", f64 = "F64", i64 = "I64", i32 = "I32", u8 = "U8"
        public var size: Int {
            switch self {
            case .f32, .i32: 4
            case .f64, .i64: 8
            case .u8: 1
            }
        }
    }

    public struct Entry: Sendable {
        public let name: String
        public let dtype: DType
        public let shape: [Int]
        public let data: Data
        public var count: Int { shape.reduce(1, *) }
    }

    /// Header sizes above this are refused before any allocation.
    public static let maxHeaderBytes = 100 << 20

    public private(set) var entries: [String: Entry] = [:]
    /// Insertion order for writing; reading keeps the file's offset order.
    public private(set) var names: [String] = []
    public var metadata: [String: String] = [:]

    public init() {}

    // MARK: Building

    public mutating func add(_ name: String, dtype: DType, shape: [Int], data: Data) {
        precondition(entries[name] == nil, "duplicate tensor \(name)")
        precondition(shape.reduce(1, *) * dtype.size == data.count, "\(name): shape \(shape) does not match \(data.count) bytes")
        entries[name] = Entry(name: name, dtype: dtype, shape: shape, data: data)
        names.append(name)
    }

    /// Replaces the bytes of an existing tensor, keeping its name, dtype and shape.
    public mutating func replace(_ name: String, data: Data) {
        guard let e = entries[name] else { preconditionFailure("no tensor \(name)") }
        precondition(e.data.count == data.count, "\(name): \(data.count) bytes for \(e.data.count)")
        entries[name] = Entry(name: name, dtype: e.dtype, shape: e.shape, data: data)
    }

    /// Renames a tensor, keeping its place in the write order.
    public mutating func rename(_ name: String, to newName: String) {
        guard let e = entries.removeValue(forKey: name) else { preconditionFailure("no tensor \(name)") }
        precondition(entries[newName] == nil, "duplicate tensor \(newName)")
        entries[newName] = Entry(name: newName, dtype: e.dtype, shape: e.shape, data: e.data)
        names = names.map { $0 == name ? newName : $0 }
    }

    public mutating func add(_ name: String, shape: [Int], floats: UnsafeBufferPointer<Float>) {
        add(name, dtype: .f32, shape: shape, data: Data(buffer: floats))
    }

    public mutating func add(_ name: String, shape: [Int], floats: [Float]) {
        floats.withUnsafeBufferPointer { add(name, shape: shape, floats: $0) }
    }

    public mutating func add(_ name: String, shape: [Int], int64s: [Int64]) {
        int64s.withUnsafeBufferPointer { add(name, dtype: .i64, shape: shape, data: Data(buffer: $0)) }
    }

    // MARK: Serialising

    /// The complete file contents.
    public func serialized() -> Data {
        var header = "{"
        var offset = 0
        var first = true
        if !metadata.isEmpty {
            header += "\"__metadata__\":{"
            header += metadata.keys.sorted().map { "\(jsonString($0)):\(jsonString(metadata[$0]!))" }.joined(separator: ",")
            header += "}"
            first = false
        }
        for name in names {
            let e = entries[name]!
            if !first { header += "," }
            first = false
            header += "\(jsonString(name)):{\"dtype\":\"\(e.dtype.rawValue)\",\"shape\":[\(e.shape.map(String.init).joined(separator: ","))],\"data_offsets\":[\(offset),\(offset + e.data.count)]}"
            offset += e.data.count
        }
        header += "}"
        var headerBytes = Data(header.utf8)
        while headerBytes.count % 8 != 0 { headerBytes.append(0x20) }
        var out = Data(capacity: 8 + headerBytes.count + offset)
        withUnsafeBytes(of: UInt64(headerBytes.count).littleEndian) { out.append(contentsOf: $0) }
        out.append(headerBytes)
        for name in names { out.append(entries[name]!.data) }
        return out
    }

    // MARK: Parsing

    /// Reads a regular file through a memory map (a FIFO or device is refused, never read).
    public init(contentsOf url: URL) throws(SafeTensorsError) {
        let map: MappedFile
        do { map = try RegularFile.map(url.path) } catch { throw SafeTensorsError(error.description) }
        let data = Data(bytesNoCopy: UnsafeMutableRawPointer(mutating: map.base), count: map.size,
                        deallocator: .custom { _, _ in withExtendedLifetime(map) {} })
        try self.init(data: data, source: url.path)
    }

    public init(data: Data, source: String = "safetensors") throws(SafeTensorsError) {
        func fail(_ why: String) -> SafeTensorsError { SafeTensorsError("\(source): \(why)") }
        guard data.count >= 8 else { throw fail("file of \(data.count) bytes is too short for a header") }
        var length: UInt64 = 0
        for i in 0..<8 { length |= UInt64(data[data.startIndex + i]) << (8 * UInt64(i)) }
        guard length <= UInt64(Self.maxHeaderBytes) else { throw fail("header length \(length) exceeds the limit of \(Self.maxHeaderBytes) bytes") }
        guard length >= 2, 8 + Int(length) <= data.count else {
            throw fail("header length \(length) does not fit in a file of \(data.count) bytes")
        }
        let headerData = data.subdata(in: (data.startIndex + 8)..<(data.startIndex + 8 + Int(length)))
        guard let object = try? JSONSerialization.jsonObject(with: headerData), let header = object as? [String: Any] else {
            throw fail("header is not a JSON object")
        }
        let payloadStart = data.startIndex + 8 + Int(length)
        let payloadSize = data.count - 8 - Int(length)
        var ranges: [(Int, Int, String)] = []
        for (name, value) in header {
            if name == "__metadata__" {
                guard let map = value as? [String: Any] else { throw fail("__metadata__ is not an object") }
                for (k, v) in map {
                    guard let s = v as? String else { throw fail("__metadata__ value for \(k) is not a string") }
                    metadata[k] = s
                }
                continue
            }
            guard let info = value as? [String: Any] else { throw fail("entry \(name) is not an object") }
            guard let dtypeName = info["dtype"] as? String, let dtype = DType(rawValue: dtypeName) else {
                throw fail("entry \(name) has an unsupported dtype \(String(describing: info["dtype"] ?? "none"))")
            }
            guard let shapeAny = info["shape"] as? [Any], shapeAny.count <= 8 else { throw fail("entry \(name) has no valid shape") }
            var shape: [Int] = []
            var elements = 1
            for d in shapeAny {
                guard let n = d as? Int, n >= 0, n <= payloadSize else { throw fail("entry \(name) has an invalid dimension \(d)") }
                shape.append(n)
                let (product, overflow) = elements.multipliedReportingOverflow(by: n)
                guard !overflow, product <= payloadSize else { throw fail("entry \(name) is larger than the file") }
                elements = product
            }
            guard let offsets = info["data_offsets"] as? [Any], offsets.count == 2,
                  let begin = offsets[0] as? Int, let end = offsets[1] as? Int,
                  begin >= 0, begin <= end, end <= payloadSize else {
                throw fail("entry \(name) has data offsets outside the \(payloadSize) data bytes")
            }
            guard end - begin == elements * dtype.size else {
                throw fail("entry \(name): shape \(shape) of \(dtype.rawValue) needs \(elements * dtype.size) bytes, offsets give \(end - begin)")
            }
            ranges.append((begin, end, name))
            let slice = data.subdata(in: (payloadStart + begin)..<(payloadStart + end))
            entries[name] = Entry(name: name, dtype: dtype, shape: shape, data: slice)
        }
        ranges.sort { ($0.0, $0.1) < ($1.0, $1.1) }
        for i in ranges.indices.dropFirst() where ranges[i].0 < ranges[i - 1].1 {
            throw fail("entries \(ranges[i - 1].2) and \(ranges[i].2) overlap")
        }
        names = ranges.map { $0.2 }
    }

    // MARK: Access

    /// FNV-1a over the file's content independent of its layout: every metadata entry but
    /// `excluding`, in key order, then every tensor in name order as (name, dtype, shape,
    /// bytes), each field length-prefixed. Re-saving the same tensors and metadata with another
    /// writer (Python's `safetensors`, which orders and pads differently) keeps the digest;
    /// changing any value, name, shape or metadata entry changes it.
    public func contentDigest(excluding: String) -> UInt64 {
        var hash = FNV1a()
        func field(_ bytes: UnsafeRawBufferPointer) {
            withUnsafeBytes(of: UInt64(bytes.count).littleEndian) { hash.add($0) }
            hash.add(bytes)
        }
        func text(_ s: String) { Array(s.utf8).withUnsafeBytes { field($0) } }
        for key in metadata.keys.sorted() where key != excluding {
            text(key)
            text(metadata[key]!)
        }
        for name in entries.keys.sorted() {
            let e = entries[name]!
            text(name)
            text(e.dtype.rawValue)
            e.shape.map { Int64($0).littleEndian }.withUnsafeBytes { field($0) }
            e.data.withUnsafeBytes { field($0) }
        }
        return hash.value
    }

    public subscript(name: String) -> Entry? { entries[name] }

    /// The values of a float32 tensor.
    public func floats(_ name: String) throws(SafeTensorsError) -> [Float] {
        guard let e = entries[name] else { throw SafeTensorsError("missing tensor \(name)") }
        guard e.dtype == .f32 else { throw SafeTensorsError("tensor \(name) is \(e.dtype.rawValue), expected F32") }
        return e.data.withUnsafeBytes { raw in
            (0..<e.count).map { Float(bitPattern: UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: 4 * $0, as: UInt32.self))) }
        }
    }

    /// The values of an int64 tensor.
    public func int64s(_ name: String) throws(SafeTensorsError) -> [Int64] {
        guard let e = entries[name] else { throw SafeTensorsError("missing tensor \(name)") }
        guard e.dtype == .i64 else { throw SafeTensorsError("tensor \(name) is \(e.dtype.rawValue), expected I64") }
        return e.data.withUnsafeBytes { raw in
            (0..<e.count).map { Int64(littleEndian: raw.loadUnaligned(fromByteOffset: 8 * $0, as: Int64.self)) }
        }
    }
}

public struct SafeTensorsError: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}

private func jsonString(_ s: String) -> String {
    var out = "\""
    for scalar in s.unicodeScalars {
        switch scalar {
        case "\"": out += "\\\""
        case "\\": out += "\\\\"
        case "\n": out += "\\n"
        case "\r": out += "\\r"
        case "\t": out += "\\t"
        case _ where scalar.value < 0x20: out += String(format: "\\u%04x", scalar.value)
        default: out.unicodeScalars.append(scalar)
        }
    }
    return out + "\""
}
