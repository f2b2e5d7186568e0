import Data
import Foundation
import Neural

/// An 8×8 (or smaller) grid of images in [-1, 1], 2-pixel black borders as torchvision's
/// `make_grid`, written as a PNG.
public enum SampleGrid {
    /// `images (n, C, H, W)` → PNG at `path`, `columns` images per row.
    public static func write(_ images: UnsafePointer<Float>, count n: Int, channels: Int, height: Int, width: Int,
                             columns: Int = 8, to path: String) throws(TrainingError) {
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
                        let v = (plane[y * width + x] + 1) * 127.5
                        pixels[((y0 + y) * gridW + x0 + x) * channels + c] = UInt8(min(max(v.rounded(), 0), 255))
                    }
                }
            }
        }
        do { try PNG.write(path: path, width: gridW, height: gridH, channels: channels, pixels: pixels) } catch {
            throw TrainingError(error.description)
        }
    }
}
