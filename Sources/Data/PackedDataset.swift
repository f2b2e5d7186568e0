@preconcurrency import CZlib
import Foundation
import Storage

/// The packed dataset file that `swiftgan prepare` writes and training memory-maps.
///
/// Layout (little-endian), a 64-byte header then the payload:
/// ```
/// 0   magic "SGANPACK"          8 bytes
/// 8   version (1)               u32
/// 12  channels, height, width   3 × u32
/// 24  count                     u64
/// 32  has labels (0 or 1)       u32
/// 36  classes (0 if unlabeled)  u32
/// 40  CRC-32 of the payload     u32
/// 44  reserved (zeros)          20 bytes
/// 64  pixels                    count × channels × height × width uint8, NCHW
///     labels                    count × int32 (if has labels)
/// ```
public enum PackedDataset {
    public static let magic = Array("SGANPACK".utf8)
    public static let version: UInt32 = 1
    public static let headerSize = 64

    public struct Header: Equatable, Sendable {
        public var channels: Int
        public var height: Int
        public var width: Int
        public var count: Int
        public var hasLabels: Bool
        public var classes: Int
        public var checksum: UInt32

        public var sampleSize: Int { channels * height * width }
        /// Pixel and label bytes; nil when the header's numbers overflow (a damaged header).
        public var payloadSize: Int? {
            let (pixels, o1) = count.multipliedReportingOverflow(by: sampleSize)
            let (total, o2) = pixels.addingReportingOverflow(hasLabels ? 4 * count : 0)
            return o1 || o2 ? nil : total
        }

        func encoded() -> [UInt8] {
            var b = PackedDataset.magic
            func u32(_ v: Int) { b += (0..<4).map { UInt8(truncatingIfNeeded: v >> (8 * $0)) } }
            u32(Int(PackedDataset.version)); u32(channels); u32(height); u32(width)
            b += (0..<8).map { UInt8(truncatingIfNeeded: count >> (8 * $0)) }
            u32(hasLabels ? 1 : 0); u32(classes); u32(Int(checksum))
            b += [UInt8](repeating: 0, count: PackedDataset.headerSize - b.count)
            return b
        }

        static func decode(_ b: [UInt8], path: String) throws(DataError) -> Header {
            guard b.count == PackedDataset.headerSize else { throw DataError("\(path): too short for a packed dataset header") }
            guard Array(b[0..<8]) == PackedDataset.magic else { throw DataError("\(path): not a packed dataset (wrong magic); make one with swiftgan prepare") }
            func u32(_ at: Int) -> Int { (0..<4).reduce(0) { $0 | Int(b[at + $1]) << (8 * $1) } }
            let version = u32(8)
            guard version == Int(PackedDataset.version) else {
                throw DataError("\(path): packed dataset version \(version) is not supported (this build reads version \(PackedDataset.version))")
            }
            let count = (0..<8).reduce(0) { $0 | Int(b[24 + $1]) << (8 * $1) }
            let h = Header(channels: u32(12), height: u32(16), width: u32(20), count: count,
                           hasLabels: u32(32) == 1, classes: u32(36), checksum: UInt32(u32(40)))
            guard h.channels == 1 || h.channels == 3, (1...4096).contains(h.height), (1...4096).contains(h.width),
                  h.count > 0, h.count < 1 << 40, u32(32) <= 1 else {
                throw DataError("\(path): implausible packed dataset header (\(h.count) images of \(h.channels)×\(h.height)×\(h.width))")
            }
            return h
        }
    }

    /// CRC-32 (zlib) of `bytes`, continuing from `crc`.
    static func crc(_ crc: UInt32, _ bytes: UnsafeRawBufferPointer) -> UInt32 {
        var value = UInt(crc)
        var offset = 0
        while offset < bytes.count {
            let n = min(bytes.count - offset, 1 << 30)
            value = crc32(value, bytes.baseAddress!.assumingMemoryBound(to: UInt8.self) + offset, UInt32(n))
            offset += n
        }
        return UInt32(value)
    }

    /// Reads and checks only the header (for the image size and channels before loading).
    public static func header(_ path: String) throws(DataError) -> Header {
        let bytes: [UInt8]
        do {
            let fd = try RegularFile.open(path)
            defer { close(fd) }
            var b = [UInt8](repeating: 0, count: headerSize)
            let n = b.withUnsafeMutableBytes { Foundation.read(fd, $0.baseAddress, headerSize) }
            bytes = Array(b.prefix(max(n, 0)))
        } catch { throw DataError(error.description) }
        guard !bytes.isEmpty else { throw DataError("\(path): empty file") }
        return try Header.decode(bytes, path: path)
    }

    /// Opens `path`, checks header, size and checksum, and maps the pixels.
    public static func open(_ path: String) throws(DataError) -> ImageDataset {
        let map: MappedFile
        do { map = try RegularFile.map(path) } catch { throw DataError(error.description) }
        guard map.size >= headerSize else { throw DataError("\(path): too short for a packed dataset (\(map.size) bytes)") }
        let header = try Header.decode(Array(UnsafeRawBufferPointer(start: map.base, count: headerSize)), path: path)
        guard let payloadSize = header.payloadSize, map.size == headerSize + payloadSize else {
            throw DataError("\(path): size \(map.size) bytes does not match its header (\(header.payloadSize.map { String(headerSize + $0) } ?? "an impossible size") expected); the file is truncated or damaged")
        }
        let payload = UnsafeRawBufferPointer(start: map.base + headerSize, count: payloadSize)
        guard crc(0, payload) == header.checksum else { throw DataError("\(path): checksum mismatch; the file is damaged") }
        let pixels = UnsafeBufferPointer(start: (map.base + headerSize).assumingMemoryBound(to: UInt8.self), count: header.count * header.sampleSize)
        var labels: [Int32]?
        if header.hasLabels {
            let at = map.base + headerSize + header.count * header.sampleSize
            labels = (0..<header.count).map { Int32(littleEndian: at.loadUnaligned(fromByteOffset: 4 * $0, as: Int32.self)) }
            if let bad = labels!.firstIndex(where: { $0 < 0 || Int($0) >= header.classes }) {
                throw DataError("\(path): label \(labels![bad]) of image \(bad) is outside the file's \(header.classes) classes")
            }
        }
        return ImageDataset(count: header.count, channels: header.channels, height: header.height, width: header.width,
                            pixels: pixels, labels: labels, classes: header.classes, storage: map)
    }

    /// Writes a packed file sample by sample through an `AtomicFile`: the header is completed
    /// last, then fsync and rename, so the final name only ever holds a whole file.
    public final class Writer {
        public let path: String
        let file: AtomicFile
        var header: Header
        var labels: [Int32] = []
        var checksum: UInt32 = 0

        public init(path: String, channels: Int, height: Int, width: Int) throws(DataError) {
            self.path = path
            do { file = try AtomicFile(path) } catch { throw DataError("--out \(error.description)") }
            header = Header(channels: channels, height: height, width: width, count: 0, hasLabels: false, classes: 0, checksum: 0)
            try write(header.encoded())
        }

        /// The temporary file being written (for signal cleanup and tests).
        public var temporaryPath: String { file.temporaryPath }

        private func write(_ bytes: [UInt8]) throws(DataError) {
            do { try file.write(bytes) } catch { throw DataError("--out \(error.description)") }
        }

        /// Appends one `(channels, height, width)` image and its label.
        public func append(_ pixels: UnsafeBufferPointer<UInt8>, label: Int32?) throws(DataError) {
            precondition(pixels.count == header.sampleSize)
            do { try file.write(UnsafeRawBufferPointer(pixels)) } catch { throw DataError("--out \(error.description)") }
            checksum = PackedDataset.crc(checksum, UnsafeRawBufferPointer(pixels))
            if let label { labels.append(label) }
            header.count += 1
        }

        /// Completes the file and renames it into place; `classes` > 0 stores the labels.
        public func finish(classes: Int) throws(DataError) {
            header.hasLabels = classes > 0 && labels.count == header.count
            header.classes = header.hasLabels ? classes : 0
            if header.hasLabels {
                let bytes = labels.flatMap { v in (0..<4).map { UInt8(truncatingIfNeeded: v.littleEndian >> (8 * $0)) } }
                try write(bytes)
                bytes.withUnsafeBytes { checksum = PackedDataset.crc(checksum, $0) }
            }
            header.checksum = checksum
            do {
                try file.write(header.encoded(), at: 0)
                try file.commit()
            } catch { throw DataError("--out \(error.description)") }
        }

        public var count: Int { header.count }
    }
}
