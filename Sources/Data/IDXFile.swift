@preconcurrency import CZlib

/// An IDX file (the MNIST format), gzipped or raw: a big-endian header of two zero bytes,
/// a type byte (0x08: unsigned bytes), a dimension count, one UInt32 per dimension, then the data.
public struct IDXFile {
    /// E.g. `[60000, 28, 28]` for images, `[60000]` for labels.
    public let dimensions: [Int]
    public let bytes: [UInt8]

    /// Reads `path` through zlib, which passes uncompressed files through unchanged.
    public init(path: String) throws(DataError) {
        guard let file = gzopen(path, "rb") else { throw DataError("\(path): cannot open (no such file or not readable)") }
        defer { gzclose(file) }
        func read(_ count: Int, into buffer: UnsafeMutableRawPointer) -> Int {
            var done = 0
            while done < count {
                let chunk = Int32(min(count - done, 1 << 30))
                let got = gzread(file, buffer + done, UInt32(chunk))
                if got <= 0 { break }
                done += Int(got)
            }
            return done
        }
        var magic = [UInt8](repeating: 0, count: 4)
        guard magic.withUnsafeMutableBytes({ read(4, into: $0.baseAddress!) }) == 4 else {
            throw DataError("\(path): too short for an IDX header")
        }
        guard magic[0] == 0, magic[1] == 0, magic[2] == 0x08, (1...4).contains(magic[3]) else {
            throw DataError("\(path): not an unsigned-byte IDX file (magic \(magic.map { String($0, radix: 16) }.joined(separator: " ")))")
        }
        var dims = [UInt8](repeating: 0, count: 4 * Int(magic[3]))
        guard dims.withUnsafeMutableBytes({ read($0.count, into: $0.baseAddress!) }) == dims.count else {
            throw DataError("\(path): truncated IDX header")
        }
        dimensions = (0..<Int(magic[3])).map { i in
            dims[4 * i..<4 * i + 4].reduce(0) { $0 << 8 | Int($1) }
        }
        let total = dimensions.reduce(1, *)
        guard total > 0, total <= 1 << 34 else { throw DataError("\(path): implausible IDX dimensions \(dimensions)") }
        var data = [UInt8](repeating: 0, count: total)
        let got = data.withUnsafeMutableBytes { read(total, into: $0.baseAddress!) }
        guard got == total else {
            throw DataError("\(path): truncated IDX data: \(got) of \(total) bytes for dimensions \(dimensions)")
        }
        var extra: UInt8 = 0
        guard read(1, into: &extra) == 0 else { throw DataError("\(path): data continues past the IDX dimensions \(dimensions)") }
        bytes = data
    }
}
