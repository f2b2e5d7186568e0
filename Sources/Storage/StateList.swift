import Foundation

/// The complete state of a training run as one list, read by everything that must see all of
/// it: the checkpoint (write and restore), the broadcast that makes replicas identical, and the
/// digest that proves they stay so. Adding state means adding it here, once.
public struct StateList {
    /// A tensor living in the engine's memory.
    public struct Tensor {
        public enum Kind: Sendable { case parameter, buffer, optimizer }
        /// The checkpoint name, e.g. `netG.main.0.weight`.
        public let name: String
        public let shape: [Int]
        public let dtype: SafeTensorsFile.DType
        public let kind: Kind
        public let pointer: UnsafeMutableRawPointer
        /// Restored values must not be negative (variances, Adam's second moment, counters).
        public let nonNegative: Bool
        /// Called after the list wrote this tensor (`markWritten`): its owner's notice that the
        /// memory changed under it (parameters: `ParameterArena.valuesChanged`).
        public let written: (() -> Void)?

        public init(name: String, shape: [Int], dtype: SafeTensorsFile.DType = .f32, kind: Kind,
                    pointer: UnsafeMutableRawPointer, nonNegative: Bool = false, written: (() -> Void)? = nil) {
            self.written = written
            precondition(dtype == .f32 || dtype == .i64)
            self.name = name
            self.shape = shape
            self.dtype = dtype
            self.kind = kind
            self.pointer = pointer
            self.nonNegative = nonNegative
        }

        public var count: Int { shape.reduce(1, *) }
        public var byteCount: Int { count * dtype.size }
        public var bytes: UnsafeMutableRawBufferPointer { UnsafeMutableRawBufferPointer(start: pointer, count: byteCount) }
    }

    /// A scalar kept as checkpoint metadata (step counters).
    public struct Counter {
        public let name: String
        public let get: () -> Int
        public let set: (Int) -> Void
        /// Its value in a checkpoint written before it existed, from that checkpoint's metadata
        /// (nil: such a checkpoint is refused).
        public let absent: (([String: String]) -> Int?)?

        public init(name: String, get: @escaping () -> Int, set: @escaping (Int) -> Void,
                    absent: (([String: String]) -> Int?)? = nil) {
            self.name = name
            self.get = get
            self.set = set
            self.absent = absent
        }
    }

    public var tensors: [Tensor] = []
    public var counters: [Counter] = []

    public init(tensors: [Tensor] = [], counters: [Counter] = []) {
        self.tensors = tensors
        self.counters = counters
    }

    /// A digest of every tensor's bytes and every counter, in list order.
    public var digest: UInt64 {
        var hash = WordDigest()
        for t in tensors { hash.add(UnsafeRawBufferPointer(t.bytes)) }
        for c in counters { withUnsafeBytes(of: Int64(c.get()).littleEndian) { hash.add($0) } }
        return hash.value
    }

    /// Adds every tensor to `file` (F32 or I64) and every counter to its metadata.
    public func write(into file: inout SafeTensorsFile) {
        for t in tensors {
            file.add(t.name, dtype: t.dtype, shape: t.shape, data: Data(bytes: t.pointer, count: t.byteCount))
        }
        for c in counters { file.metadata[c.name] = String(c.get()) }
    }

    /// Restores every tensor and counter from `file`. Names, dtypes and shapes must match; every
    /// float must be finite, and none of a `nonNegative` tensor or a counter may be negative, so
    /// a damaged or hand-edited file is refused with the tensor named, never half-loaded into a
    /// run that would produce NaN or crash later. Nothing is written unless everything checks.
    public func restore(from file: SafeTensorsFile) throws(StorageError) {
        for t in tensors {
            guard let entry = file[t.name] else { throw StorageError("checkpoint lacks tensor \(t.name)") }
            guard entry.shape == t.shape, entry.dtype == t.dtype else {
                throw StorageError("checkpoint tensor \(t.name) is \(entry.dtype.rawValue) \(entry.shape), expected \(t.dtype.rawValue) \(t.shape)")
            }
            try entry.data.withUnsafeBytes { raw in Result { () throws(StorageError) in try Self.check(raw, t) } }.get()
        }
        var values: [Int] = []
        for c in counters {
            let stored = file.metadata[c.name] == nil ? c.absent?(file.metadata) : file.metadata[c.name].flatMap(Int.init)
            guard let v = stored, v >= 0 else {
                throw StorageError("checkpoint metadata \(c.name) is missing or negative (\(file.metadata[c.name] ?? "absent"))")
            }
            values.append(v)
        }
        for t in tensors {
            file[t.name]!.data.withUnsafeBytes { t.pointer.copyMemory(from: $0.baseAddress!, byteCount: t.byteCount) }
        }
        markWritten()
        for (c, v) in zip(counters, values) { c.set(v) }
    }

    /// Tells every tensor's owner that its memory was written (after a restore or a broadcast).
    public func markWritten() {
        for t in tensors { t.written?() }
    }

    private static func check(_ raw: UnsafeRawBufferPointer, _ t: Tensor) throws(StorageError) {
        if t.dtype == .f32 {
            for i in 0..<t.count {
                let v = Float(bitPattern: UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: 4 * i, as: UInt32.self)))
                if !v.isFinite || (t.nonNegative && v < 0) {
                    throw StorageError("checkpoint tensor \(t.name) holds \(v) at index \(i)\(t.nonNegative ? " (it must be finite and not negative)" : " (it must be finite)"); the checkpoint is unusable")
                }
            }
        } else {
            for i in 0..<t.count {
                let v = Int64(littleEndian: raw.loadUnaligned(fromByteOffset: 8 * i, as: Int64.self))
                if v < 0 { throw StorageError("checkpoint tensor \(t.name) is negative (\(v)); the checkpoint is unusable") }
            }
        }
    }
}
