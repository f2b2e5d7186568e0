import Data
import Foundation
import Neural

/// An 8×8 (or smaller) grid of images in [-1, 1], 2-pixel black borders as torchvision's
/// `make_grid`, written as a PNG.
public enum SampleGrid {
    /// `images (n, C, H, W)` → PNG at `path`, `columns` images per row.
    public static func write(_ images: UnsafePointer<Float>, count n: Int, channels: Int, height: Int, width: Int,
                             columns: Int = 8, labels: Bool = false, to path: String) throws(InferenceError) {
        let grid = pixels(images, count: n, channels: channels, height: height, width: width, columns: columns, labels: labels)
        do { try PNG.write(path: path, width: grid.width, height: grid.height, channels: channels, pixels: grid.pixels) } catch {
            throw InferenceError("\(path): \(error.description)")
        }
    }

    /// The grid's interleaved pixels `(height, width, channels)`; with `labels`, each image
    /// carries its index in its top-left corner (white digits on a black box).
    public static func pixels(_ images: UnsafePointer<Float>, count n: Int, channels: Int, height: Int, width: Int,
                              columns: Int = 8, labels: Bool = false) -> (width: Int, height: Int, pixels: [UInt8]) {
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
        if labels {
            for i in 0..<n {
                label(String(i), into: &pixels, gridWidth: gridW, channels: channels,
                      x: pad + (i % cols) * (width + pad), y: pad + (i / cols) * (height + pad))
            }
        }
        return (gridW, gridH, pixels)
    }

    /// 3×5 digits, one row of three bits per line, top line first.
    static let font: [[UInt8]] = [
        [7, 5, 5, 5, 7], [2, 6, 2, 2, 7], [7, 1, 7, 4, 7], [7, 1, 7, 1, 7], [5, 5, 7, 1, 1],
        [7, 4, 7, 1, 7], [7, 4, 7, 5, 7], [7, 1, 1, 1, 1], [7, 5, 7, 5, 7], [7, 5, 7, 1, 7],
    ]

    /// Draws `text` (digits) at `(x, y)`: a black box with white 3×5 digits, one pixel apart.
    static func label(_ text: String, into pixels: inout [UInt8], gridWidth: Int, channels: Int, x: Int, y: Int) {
        let digits = text.compactMap { $0.wholeNumberValue }
        let boxW = 4 * digits.count + 1, boxH = 7
        for dy in 0..<boxH { for dx in 0..<boxW { for c in 0..<channels { pixels[((y + dy) * gridWidth + x + dx) * channels + c] = 0 } } }
        for (k, d) in digits.enumerated() {
            for (row, bits) in font[d].enumerated() {
                for col in 0..<3 where bits & (4 >> col) != 0 {
                    for c in 0..<channels { pixels[((y + 1 + row) * gridWidth + x + 1 + 4 * k + col) * channels + c] = 255 }
                }
            }
        }
    }

    /// `v` in [-1, 1] → a byte, rounded and clamped; NaN becomes 0 (black) instead of trapping.
    @inline(__always)
    static func byte(_ v: Float) -> UInt8 {
        let scaled = ((v + 1) * 127.5).rounded()
        return scaled >= 255 ? 255 : scaled > 0 ? UInt8(scaled) : 0
    }
}
