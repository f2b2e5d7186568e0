@preconcurrency import CTurboJPEG
import Foundation

/// JPEG decoding through TurboJPEG 2.1 (`tjDecompressHeader3`, `tjDecompress2`).
public enum JPEG {
    /// Decodes to 8-bit grey (`channels` 1) or RGB (3), interleaved `(height, width, channels)`.
    /// A truncated or corrupt stream is an error even where the header parses.
    public static func decode(_ data: Data, channels: Int, name: String) throws(DataError) -> (width: Int, height: Int, pixels: [UInt8]) {
        guard let handle = tjInitDecompress() else { throw DataError("\(name): cannot start the JPEG decoder") }
        defer { tjDestroy(handle) }
        var width: Int32 = 0, height: Int32 = 0, subsampling: Int32 = 0, colorspace: Int32 = 0
        let size = UInt(data.count)
        let header = data.withUnsafeBytes { raw in
            tjDecompressHeader3(handle, raw.bindMemory(to: UInt8.self).baseAddress, size, &width, &height, &subsampling, &colorspace)
        }
        guard !data.isEmpty, header == 0 else { throw DataError("\(name): not a readable JPEG (\(errorText(handle)))") }
        guard width > 0, height > 0, width <= 1 << 15, height <= 1 << 15 else {
            throw DataError("\(name): implausible JPEG size \(width)×\(height)")
        }
        var pixels = [UInt8](repeating: 0, count: Int(width) * Int(height) * channels)
        let format = channels == 1 ? Int32(TJPF_GRAY.rawValue) : Int32(TJPF_RGB.rawValue)
        let result = data.withUnsafeBytes { raw in
            pixels.withUnsafeMutableBufferPointer { out in
                tjDecompress2(handle, raw.bindMemory(to: UInt8.self).baseAddress, size, out.baseAddress,
                              width, 0, height, format, TJFLAG_ACCURATEDCT | TJFLAG_STOPONWARNING)
            }
        }
        guard result == 0 else { throw DataError("\(name): corrupt or truncated JPEG (\(errorText(handle)))") }
        return (Int(width), Int(height), pixels)
    }

    private static func errorText(_ handle: tjhandle) -> String {
        guard let text = tjGetErrorStr2(handle) else { return "unknown error" }
        return String(cString: text)
    }
}
