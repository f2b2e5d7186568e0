import Data
import Foundation
import Neural

/// An 8×8 (or smaller) grid of images in [-1, 1], 2-pixel black borders as torchvision's
/// `make_grid`, written as a PNG.
public enum SampleGrid {
    /// `images (n, C, H, W)` → PNG at `path`, `columns` images per row.
    public static func write(_ images: UnsafePointer<Float>, count n: Int, channels: Int, height: Int, width: Int,
                             columns: Int = 8, to path: String) throws(InferenceError) {
        let grid = pixels(images, count: n, channels: channels, height: height, width: width, columns: columns)
        do { try PNG.write(path: path, width: grid.width, height: grid.height, channels: channels, pixels: grid.pixels) } catch {
            throw InferenceError("\(path): \(error.description)")
        }
    }

    /// The grid's interleaved pixels `(height, width, channels)`.
    public static func pixels(_ images: UnsafePointer<Float>, count n: Int, channels: Int, height: Int, width: Int,
                              columns: Int = 8) -> (width: Int, height: Int, pixels: [UInt8]) {
        let pad = 2
        let cols = min(columns, n), rows = (n + cols - 1) / cols
        let gridW = cols * (width + pad) + pad, gridH = rows * (height + pad) + pad
        var pixels = [UInt8](repeating: 0, count: gridW * gridH * channels)
        for i in 0..<n {
            let x0 = pad + (i % cols) * (width + pad), y0 = pad + (i / cols) * (height + pad)
            for c in 0..<channels {
                let plane = images + (i * channels + c) * height * width
                for y in 0..<height {
                    for x in 0..<width {
                        pixels[((y0 + y) * gridW + x0 + x) * channels + c] = Self.byte(plane[y * width + x])
                    }
                }
            }
        }
        return (gridW, gridH, pixels)
    }

    /// `v` in [-1, 1] → a byte, rounded and clamped; NaN becomes 0 (black) instead of trapping.
    @inline(__always)
    static func byte(_ v: Float) -> UInt8 {
        let scaled = ((v + 1) * 127.5).rounded()
        return scaled >= 255 ? 255 : scaled > 0 ? UInt8(scaled) : 0
    }
}
