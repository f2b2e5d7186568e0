@preconcurrency import CPNG
import Foundation

/// PNG through libpng's simplified `png_image` API (the classic API needs setjmp).
public enum PNG {
    /// Writes 8-bit grey (`channels` 1) or RGB (3) interleaved pixels `(height, width, channels)`
    /// to `path`, atomically: a temporary file in the same directory, then `FileCommit.rename`.
    public static func write(path: String, width: Int, height: Int, channels: Int, pixels: [UInt8]) throws(DataError) {
        precondition(channels == 1 || channels == 3)
        precondition(pixels.count == width * height * channels)
        var image = png_image()
        image.version = UInt32(PNG_IMAGE_VERSION)
        image.width = UInt32(width)
        image.height = UInt32(height)
        image.format = channels == 1 ? UInt32(PNG_FORMAT_GRAY) : UInt32(PNG_FORMAT_RGB)
        let temporary = "\(path).tmp-\(getpid())"
        let ok = pixels.withUnsafeBytes {
            png_image_write_to_file(&image, temporary, 0, $0.baseAddress, Int32(width * channels), nil)
        }
        guard ok != 0 else {
            let message = withUnsafeBytes(of: image.message) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
            png_image_free(&image)
            unlink(temporary)
            throw DataError("\(path): cannot write PNG (\(message))")
        }
        try FileCommit.rename(temporary, to: path)
    }

    /// Reads a PNG as 8-bit grey (`channels` 1) or RGB (3), converting as libpng does.
    /// Returns `(width, height, pixels (height, width, channels))`.
    public static func read(path: String, channels: Int) throws(DataError) -> (width: Int, height: Int, pixels: [UInt8]) {
        var image = png_image()
        image.version = UInt32(PNG_IMAGE_VERSION)
        guard png_image_begin_read_from_file(&image, path) != 0 else {
            let message = withUnsafeBytes(of: image.message) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
            png_image_free(&image)
            throw DataError("\(path): not a readable PNG (\(message))")
        }
        image.format = channels == 1 ? UInt32(PNG_FORMAT_GRAY) : UInt32(PNG_FORMAT_RGB)
        let width = Int(image.width), height = Int(image.height)
        guard width > 0, height > 0, width <= 1 << 15, height <= 1 << 15 else {
            png_image_free(&image)
            throw DataError("\(path): implausible PNG size \(width)×\(height)")
        }
        var pixels = [UInt8](repeating: 0, count: width * height * channels)
        let ok = pixels.withUnsafeMutableBytes {
            png_image_finish_read(&image, nil, $0.baseAddress, Int32(width * channels), nil)
        }
        guard ok != 0 else {
            let message = withUnsafeBytes(of: image.message) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
            png_image_free(&image)
            throw DataError("\(path): corrupt PNG (\(message))")
        }
        return (width, height, pixels)
    }
}
