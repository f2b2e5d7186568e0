import Foundation

/// Writes small MNIST-format datasets (raw, uncompressed IDX) for tests.
public enum SyntheticIDX {
    /// `count` images of `size×size`: image `i` is a bright square whose position and size depend
    /// on `i % 10`, its label; returns the pixel bytes written.
    @discardableResult
    public static func write(directory: URL, count: Int, size: Int = 28) throws -> [UInt8] {
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        var pixels = [UInt8](repeating: 0, count: count * size * size)
        for i in 0..<count {
            let label = i % 10, side = 6 + label, x0 = label, y0 = (i / 10) % (size - side)
            for y in y0..<(y0 + side) { for x in x0..<(x0 + side) { pixels[(i * size + y) * size + x] = UInt8(150 + label * 10) } }
        }
        try (header(magicDimensions: 3, dims: [count, size, size]) + pixels)
            .write(to: directory.appendingPathComponent("train-images-idx3-ubyte"))
        try (header(magicDimensions: 1, dims: [count]) + (0..<count).map { UInt8($0 % 10) })
            .write(to: directory.appendingPathComponent("train-labels-idx1-ubyte"))
        return pixels
    }

    public static func header(magicDimensions: Int, dims: [Int]) -> [UInt8] {
        var bytes: [UInt8] = [0, 0, 8, UInt8(magicDimensions)]
        for d in dims { bytes += [UInt8(d >> 24 & 255), UInt8(d >> 16 & 255), UInt8(d >> 8 & 255), UInt8(d & 255)] }
        return bytes
    }
}

extension Array where Element == UInt8 {
    public func write(to url: URL) throws { try Data(self).write(to: url) }
}

