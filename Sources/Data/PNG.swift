import CPNG
import Foundation
import Storage

/// PNG files: written through libpng's simplified `png_image` API, read through `cpng_read`
/// (the classic API, without colour management) and converted as Pillow's `convert` does.
public enum PNG {
    /// Writes 8-bit grey (`channels` 1) or RGB (3) interleaved pixels `(height, width, channels)`
    /// to `path`, atomically (`AtomicFile`).
    public static func write(path: String, width: Int, height: Int, channels: Int, pixels: [UInt8]) throws(DataError) {
        let encoded: [UInt8]
        do throws(DataError) { encoded = try encode(width: width, height: height, channels: channels, pixels: pixels) } catch {
            throw DataError("\(path): \(error.description)")
        }
        do { try AtomicFile.write(encoded, to: path) } catch { throw DataError(error.description) }
    }

    /// The PNG file's bytes for 8-bit grey or RGB pixels.
    public static func encode(width: Int, height: Int, channels: Int, pixels: [UInt8]) throws(DataError) -> [UInt8] {
        precondition(channels == 1 || channels == 3)
        precondition(pixels.count == width * height * channels)
        var image = png_image()
        image.version = UInt32(PNG_IMAGE_VERSION)
        image.width = UInt32(width)
        image.height = UInt32(height)
        image.format = channels == 1 ? UInt32(PNG_FORMAT_GRAY) : UInt32(PNG_FORMAT_RGB)
        var size = 0
        // First call sizes the buffer, the second fills it.
        _ = pixels.withUnsafeBytes { png_image_write_to_memory(&image, nil, &size, 0, $0.baseAddress, Int32(width * channels), nil) }
        var encoded = [UInt8](repeating: 0, count: max(size, 1))
        let ok = encoded.withUnsafeMutableBytes { out in
            pixels.withUnsafeBytes { png_image_write_to_memory(&image, out.baseAddress, &size, 0, $0.baseAddress, Int32(width * channels), nil) }
        }
        guard ok != 0 else {
            let message = withUnsafeBytes(of: image.message) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
            png_image_free(&image)
            throw DataError("cannot encode PNG (\(message))")
        }
        return Array(encoded.prefix(size))
    }

    /// Reads a PNG as 8-bit grey (`channels` 1) or RGB (3), as Pillow's `convert('L')` and
    /// `convert('RGB')` would: alpha is dropped (not composited), grey is replicated to RGB,
    /// RGB becomes grey by ITU-R 601-2 luma `(19595 R + 38470 G + 7471 B + 2^15) >> 16`, and
    /// 16-bit samples are scaled linearly (their high byte), with no gamma curve.
    /// Returns `(width, height, pixels (height, width, channels))`.
    public static func read(path: String, channels: Int) throws(DataError) -> (width: Int, height: Int, pixels: [UInt8]) {
        precondition(channels == 1 || channels == 3)
        let fd: Int32
        do { fd = try RegularFile.open(path) } catch { throw DataError(error.description) }
        defer { close(fd) }
        var image = cpng_image()
        guard cpng_read(fd, &image, 1 << 15) == 0 else {
            let message = withUnsafeBytes(of: image.message) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
            throw DataError("\(path): not a readable PNG (\(message))")
        }
        defer { cpng_free(&image) }
        let width = Int(image.width), height = Int(image.height), source = Int(image.channels)
        let count = width * height
        let src = UnsafeBufferPointer(start: image.pixels, count: count * source)
        var pixels = [UInt8](repeating: 0, count: count * channels)
        let colour = source >= 3
        for i in 0..<count {
            let p = i * source
            if channels == 3 {
                for c in 0..<3 { pixels[3 * i + c] = src[p + (colour ? c : 0)] }
            } else if colour {
                pixels[i] = luma(src[p], src[p + 1], src[p + 2])
            } else {
                pixels[i] = src[p]
            }
        }
        return (width, height, pixels)
    }

    /// Pillow's `L` from RGB: ITU-R 601-2 luma in 16-bit fixed point, rounded.
    @inline(__always)
    static func luma(_ r: UInt8, _ g: UInt8, _ b: UInt8) -> UInt8 {
        let sum: UInt32 = 19595 * UInt32(r) + 38470 * UInt32(g) + 7471 * UInt32(b) + 0x8000
        return UInt8(sum >> 16)
    }
}
