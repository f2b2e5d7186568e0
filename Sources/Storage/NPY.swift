import Foundation

/// NumPy's `.npy` format for float32 arrays: the magic `\x93NUMPY`, a version, a header
/// length, a Python-dict header `{'descr': '<f4', 'fortran_order': False, 'shape': (…), }`
/// padded to a multiple of 64 bytes, then the data in C order.
public enum NPY {
    /// Reads a little-endian float32, C-ordered array; anything else is a clear error.
    public static func read(_ path: String) throws(StorageError) -> (shape: [Int], values: [Float]) {
        let bytes = try RegularFile.read(path)
        guard bytes.count >= 10, bytes[0] == 0x93, Array(bytes[1..<6]) == Array("NUMPY".utf8) else {
            throw StorageError("\(path): not a .npy file")
        }
        let major = bytes[6]
        let headerLength: Int, headerStart: Int
        switch major {
        case 1: headerLength = Int(bytes[8]) | Int(bytes[9]) << 8; headerStart = 10
        case 2, 3:
            guard bytes.count >= 12 else { throw StorageError("\(path): truncated .npy header") }
            headerLength = (0..<4).reduce(0) { $0 | Int(bytes[8 + $1]) << (8 * $1) }; headerStart = 12
        default: throw StorageError("\(path): unsupported .npy version \(major)")
        }
        guard headerStart + headerLength <= bytes.count else { throw StorageError("\(path): truncated .npy header") }
        let header = String(decoding: bytes[headerStart..<(headerStart + headerLength)], as: UTF8.self)
        guard header.contains("'descr': '<f4'") else { throw StorageError("\(path): expected float32 ('<f4') data") }
        guard header.contains("'fortran_order': False") else { throw StorageError("\(path): Fortran-ordered arrays are not supported") }
        guard let open = header.range(of: "'shape': ("), let close = header[open.upperBound...].firstIndex(of: ")") else {
            throw StorageError("\(path): .npy header has no shape")
        }
        let dims = header[open.upperBound..<close].split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        var shape: [Int] = []
        for d in dims {
            guard let n = Int(d), n >= 0 else { throw StorageError("\(path): bad dimension '\(d)' in .npy shape") }
            shape.append(n)
        }
        let count = shape.reduce(1) { $0.multipliedReportingOverflow(by: $1).overflow ? Int.max : $0 * $1 }
        let dataStart = headerStart + headerLength
        guard count <= (bytes.count - dataStart) / 4, bytes.count - dataStart == count * 4 else {
            throw StorageError("\(path): \(bytes.count - dataStart) data bytes for shape \(shape)")
        }
        let values = bytes.withUnsafeBytes { raw in
            (0..<count).map { Float(bitPattern: UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: dataStart + 4 * $0, as: UInt32.self))) }
        }
        return (shape, values)
    }

    /// Writes a float32 C-ordered array (version 1.0), atomically.
    public static func write(_ path: String, shape: [Int], values: UnsafeBufferPointer<Float>) throws(StorageError) {
        precondition(shape.reduce(1, *) == values.count)
        let shapeText = shape.count == 1 ? "(\(shape[0]),)" : "(" + shape.map(String.init).joined(separator: ", ") + ")"
        var header = "{'descr': '<f4', 'fortran_order': False, 'shape': \(shapeText), }"
        while (10 + header.utf8.count + 1) % 64 != 0 { header += " " }
        header += "\n"
        var data = Data([0x93] + Array("NUMPY".utf8) + [1, 0, UInt8(header.utf8.count & 255), UInt8(header.utf8.count >> 8)])
        data.append(Data(header.utf8))
        data.append(Data(buffer: values))
        try AtomicFile.write(data, to: path)
    }
}
