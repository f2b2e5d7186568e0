@preconcurrency import CZlib
import Foundation

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
        public var payloadSize: Int { count * sampleSize + (hasLabels ? 4 * count : 0) }

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

    /// Opens `path`, checks header, size and checksum, and maps the pixels.
    public static func open(_ path: String) throws(DataError) -> ImageDataset {
        let map = try MappedFile(path: path)
        guard map.size >= headerSize else { throw DataError("\(path): too short for a packed dataset (\(map.size) bytes)") }
        let header = try Header.decode(Array(UnsafeRawBufferPointer(start: map.base, count: headerSize)), path: path)
        guard map.size == headerSize + header.payloadSize else {
            throw DataError("\(path): size \(map.size) bytes does not match its header (\(headerSize + header.payloadSize) expected); the file is truncated or damaged")
        }
        let payload = UnsafeRawBufferPointer(start: map.base + headerSize, count: header.payloadSize)
        guard crc(0, payload) == header.checksum else { throw DataError("\(path): checksum mismatch; the file is damaged") }
        let pixels = UnsafeBufferPointer(start: (map.base + headerSize).assumingMemoryBound(to: UInt8.self), count: header.count * header.sampleSize)
        var labels: [Int32]?
        if header.hasLabels {
            let at = map.base + headerSize + header.count * header.sampleSize
            labels = (0..<header.count).map { Int32(littleEndian: at.loadUnaligned(fromByteOffset: 4 * $0, as: Int32.self)) }
        }
        return ImageDataset(count: header.count, channels: header.channels, height: header.height, width: header.width,
                            pixels: pixels, labels: labels, storage: map)
    }

    /// Writes a packed file sample by sample: a temporary file in the target's directory,
    /// the header last, fsync, then a rename, so the final name only ever holds a whole file.
    public final class Writer {
        public let path: String
        let temporary: String
        let file: UnsafeMutablePointer<FILE>
        var header: Header
        var labels: [Int32] = []
        var checksum: UInt32 = 0
        var finished = false

        public init(path: String, channels: Int, height: Int, width: Int) throws(DataError) {
            self.path = path
            let url = URL(fileURLWithPath: path)
            temporary = url.deletingLastPathComponent().appendingPathComponent(".\(url.lastPathComponent).tmp-\(getpid())").path
            guard let f = fopen(temporary, "wb") else {
                throw DataError("--out \(path): cannot create a file there (\(String(cString: strerror(errno))))")
            }
            file = f
            header = Header(channels: channels, height: height, width: width, count: 0, hasLabels: false, classes: 0, checksum: 0)
            let placeholder = header.encoded()
            fwrite(placeholder, 1, placeholder.count, file)
        }

        deinit {
            if !finished {
                fclose(file)
                unlink(temporary)
            }
        }

        /// Appends one `(channels, height, width)` image and its label.
        public func append(_ pixels: UnsafeBufferPointer<UInt8>, label: Int32?) throws(DataError) {
            precondition(pixels.count == header.sampleSize)
            guard fwrite(pixels.baseAddress, 1, pixels.count, file) == pixels.count else {
                throw DataError("--out \(path): write failed (\(String(cString: strerror(errno))))")
            }
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
                fwrite(bytes, 1, bytes.count, file)
                bytes.withUnsafeBytes { checksum = PackedDataset.crc(checksum, $0) }
            }
            header.checksum = checksum
            let encoded = header.encoded()
            guard fseek(file, 0, SEEK_SET) == 0, fwrite(encoded, 1, encoded.count, file) == encoded.count,
                  fflush(file) == 0, fsync(fileno(file)) == 0 else {
                throw DataError("--out \(path): write failed (\(String(cString: strerror(errno))))")
            }
            fclose(file)
            finished = true
            do { try FileCommit.rename(temporary, to: path) } catch { throw DataError("--out \(error.description)") }
        }

        public var count: Int { header.count }
    }
}

/// A read-only memory map of a whole file.
final class MappedFile {
    let base: UnsafeRawPointer
    let size: Int

    init(path: String) throws(DataError) {
        let fd = Foundation.open(path, O_RDONLY)
        guard fd >= 0 else { throw DataError("\(path): cannot open (\(String(cString: strerror(errno))))") }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0 else { throw DataError("\(path): cannot stat") }
        size = Int(info.st_size)
        guard size > 0 else { throw DataError("\(path): empty file") }
        guard let p = mmap(nil, size, PROT_READ, MAP_PRIVATE, fd, 0), p != MAP_FAILED else {
            throw DataError("\(path): cannot map (\(String(cString: strerror(errno))))")
        }
        base = UnsafeRawPointer(p)
    }

    deinit { munmap(UnsafeMutableRawPointer(mutating: base), size) }
}
