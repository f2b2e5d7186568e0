@preconcurrency import CTurboJPEG
import Foundation

/// JPEG decoding through TurboJPEG 2.1 (`tjDecompressHeader3`, `tjDecompress2`).
public enum JPEG {
    /// Decodes to 8-bit grey (`channels` 1) or RGB (3), interleaved `(height, width, channels)`.
    /// A truncated or corrupt stream is an error even where the header parses. CMYK and YCCK
    /// JPEGs (print workflows) are decoded to CMYK and converted as Pillow does
    /// (`CMYKToRGB`).
    public static func decode(_ bytes: [UInt8], channels: Int, name: String) throws(DataError) -> (width: Int, height: Int, pixels: [UInt8]) {
        guard !bytes.isEmpty else { throw DataError("\(name): empty file") }
        guard let handle = tjInitDecompress() else { throw DataError("\(name): cannot start the JPEG decoder") }
        defer { tjDestroy(handle) }
        var width: Int32 = 0, height: Int32 = 0, subsampling: Int32 = 0, colorspace: Int32 = 0
        let size = UInt(bytes.count)
        let header = bytes.withUnsafeBufferPointer {
            tjDecompressHeader3(handle, $0.baseAddress, size, &width, &height, &subsampling, &colorspace)
        }
        guard header == 0 else { throw DataError("\(name): not a readable JPEG (\(errorText(handle)))") }
        guard width > 0, height > 0, width <= 1 << 15, height <= 1 << 15 else {
            throw DataError("\(name): implausible JPEG size \(width)×\(height)")
        }
        let cmyk = colorspace == Int32(TJCS_CMYK.rawValue) || colorspace == Int32(TJCS_YCCK.rawValue)
        let decodedChannels = cmyk ? 4 : channels
        let format = cmyk ? TJPF_CMYK : channels == 1 ? TJPF_GRAY : TJPF_RGB
        var decoded = [UInt8](repeating: 0, count: Int(width) * Int(height) * decodedChannels)
        let result = bytes.withUnsafeBufferPointer { input in
            decoded.withUnsafeMutableBufferPointer { out in
                tjDecompress2(handle, input.baseAddress, size, out.baseAddress,
                              width, 0, height, Int32(format.rawValue), TJFLAG_ACCURATEDCT | TJFLAG_STOPONWARNING)
            }
        }
        guard result == 0 else { throw DataError("\(name): corrupt or truncated JPEG (\(errorText(handle)))") }
        guard cmyk else { return (Int(width), Int(height), decoded) }
        return (Int(width), Int(height), CMYKToRGB.convert(decoded, inverted: hasAdobeMarker(bytes), channels: channels))
    }

    /// Whether the stream carries an Adobe APP14 segment, whose CMYK samples are stored
    /// inverted (Pillow reads them as `CMYK;I`).
    static func hasAdobeMarker(_ bytes: [UInt8]) -> Bool {
        var i = 2
        while i + 9 < bytes.count, bytes[i] == 0xFF {
            let marker = bytes[i + 1]
            if marker == 0xDA || marker == 0xD9 { return false }  // start of scan: no more headers
            let length = Int(bytes[i + 2]) << 8 | Int(bytes[i + 3])
            if marker == 0xEE && Array(bytes[(i + 4)..<(i + 9)]) == Array("Adobe".utf8) { return true }
            i += 2 + length
        }
        return false
    }

    private static func errorText(_ handle: tjhandle) -> String {
        guard let text = tjGetErrorStr2(handle) else { return "unknown error" }
        return String(cString: text)
    }
}

/// CMYK → RGB (and on to grey) as Pillow converts: with `k' = 255 − K`,
/// `R = k' − C·k'/255` (rounded as Pillow's `MULDIV255`), likewise G from M and B from Y.
enum CMYKToRGB {
    static func convert(_ cmyk: [UInt8], inverted: Bool, channels: Int) -> [UInt8] {
        let count = cmyk.count / 4
        var out = [UInt8](repeating: 0, count: count * channels)
        for i in 0..<count {
            var v = (0..<4).map { Int(cmyk[4 * i + $0]) }
            if inverted { v = v.map { 255 - $0 } }
            let nk = 255 - v[3]
            let rgb = (0..<3).map { c -> Int in
                let t = v[c] * nk + 128
                return max(0, min(255, nk - ((t >> 8) + t) >> 8))
            }
            if channels == 3 {
                for c in 0..<3 { out[3 * i + c] = UInt8(rgb[c]) }
            } else {
                out[i] = PNG.luma(UInt8(rgb[0]), UInt8(rgb[1]), UInt8(rgb[2]))
            }
        }
        return out
    }
}
