@preconcurrency import CZlib
import Foundation
import Storage

/// An IDX file (the MNIST format), gzipped or raw: a big-endian header of two zero bytes,
/// a type byte (0x08: unsigned bytes), a dimension count, one UInt32 per dimension, then the data.
///
/// A gzipped file is read to its end, so zlib checks its trailer: a CRC-32 or length that does
/// not match the data (a corrupted byte) is an error, never silently wrong pixels.
public struct IDXFile {
    /// E.g. `[60000, 28, 28]` for images, `[60000]` for labels.
    public let dimensions: [Int]
    public let bytes: [UInt8]

    /// The largest payload accepted: 16 GiB.
    static let maxBytes = 1 << 34

    /// Reads `path` through zlib, which passes uncompressed files through unchanged.
    public init(path: String) throws(DataError) {
        let fd: Int32
        do { fd = try RegularFile.open(path) } catch { throw DataError(error.description) }
        guard let file = gzdopen(fd, "rb") else {
            close(fd)
            throw DataError("\(path): cannot open")
        }
        defer { gzclose(file) }
        /// Reads up to `count` bytes; -1 on a zlib error (corrupt data, bad CRC or length).
        func read(_ count: Int, into buffer: UnsafeMutableRawPointer) -> Int {
            var done = 0
            while done < count {
                let chunk = UInt32(min(count - done, 1 << 30))
                let got = gzread(file, buffer + done, chunk)
                if got < 0 { return -1 }
                if got == 0 { break }
                done += Int(got)
            }
            return done
        }
        func corrupt() -> DataError {
            var code: Int32 = 0
            let text = gzerror(file, &code).map { String(cString: $0) } ?? "unknown error"
            return DataError("\(path): corrupt gzip data (\(text))")
        }
        var magic = [UInt8](repeating: 0, count: 4)
        let gotMagic = magic.withUnsafeMutableBytes { read(4, into: $0.baseAddress!) }
        guard gotMagic >= 0 else { throw corrupt() }
        guard gotMagic == 4 else { throw DataError("\(path): too short for an IDX header") }
        guard magic[0] == 0, magic[1] == 0, magic[2] == 0x08, (1...4).contains(magic[3]) else {
            throw DataError("\(path): not an unsigned-byte IDX file (magic \(magic.map { String($0, radix: 16) }.joined(separator: " ")))")
        }
        var dims = [UInt8](repeating: 0, count: 4 * Int(magic[3]))
        let gotDims = dims.withUnsafeMutableBytes { read($0.count, into: $0.baseAddress!) }
        guard gotDims >= 0 else { throw corrupt() }
        guard gotDims == dims.count else { throw DataError("\(path): truncated IDX header") }
        dimensions = (0..<Int(magic[3])).map { i in
            dims[4 * i..<4 * i + 4].reduce(0) { $0 << 8 | Int($1) }
        }
        var total = 1
        for d in dimensions {
            let (product, overflow) = total.multipliedReportingOverflow(by: d)
            guard !overflow, product <= Self.maxBytes else { throw DataError("\(path): implausible IDX dimensions \(dimensions)") }
            total = product
        }
        guard total > 0 else { throw DataError("\(path): implausible IDX dimensions \(dimensions)") }
        var data = [UInt8](repeating: 0, count: total)
        let got = data.withUnsafeMutableBytes { read(total, into: $0.baseAddress!) }
        guard got >= 0 else { throw corrupt() }
        guard got == total else {
            throw DataError("\(path): truncated IDX data: \(got) of \(total) bytes for dimensions \(dimensions)")
        }
        var extra: UInt8 = 0
        let after = read(1, into: &extra)
        guard after >= 0 else { throw corrupt() }
        guard after == 0 else { throw DataError("\(path): data continues past the IDX dimensions \(dimensions)") }
        bytes = data
    }
}
