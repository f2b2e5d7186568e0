/// A stride-2 convolution as a stride-1 one on a space-to-depth input.
///
/// Pad `x (n, C, H, W)` by `p` on every side and fold each 2×2 cell of the padded image into
/// channels: `x' (n, 4C, (H + 2p)/2, (W + 2p)/2)` with `x'[g·C + c, i, j] = xpad[c, 2i + dh, 2j + dw]`,
/// `g = 2·dh + dw`. A `k×k` stride-2 convolution of `x` is then a `k/2 × k/2` stride-1 one of `x'`
/// without padding, with weights `W'[o, g·C + c, a, b] = W[o, c, 2a + dh, 2b + dw]`: output pixel
/// `(i, j)` reads padded rows `2i + 2a + dh`. The input gradient comes back the same way
/// (`unfold`, the padding dropped). Only the pixels are moved, so the sums are the same
/// terms as the direct convolution's (in another order).
///
/// Why: oneDNN 2.6.3's direct kernel is slow on a small output (D's 256 → 512 layer, 8×8 → 4×4:
/// 38 ms forward, 29.5 input gradient per 64 images, one thread, Emerald Rapids); on the folded
/// input, 1,024 channels into a 2×2 kernel, it takes 27 and 27 (`../shared/reference/perf`-style
/// timings of both forms). The weight gradient stays direct (43 against 45 folded). Larger
/// outputs gain nothing (D's 32 → 16 layer: 25.6 against 24.1 forward), hence the rule. In a
/// whole step (one thread, medians of interleaved `bench` runs): D's layer forward 122 → 94 ms,
/// 64×64×3 52.5 → 54.3 img/s, 32×32×1 (its 128 → 256 layer) 298 → 311. With oneDNN held to
/// AVX2 (8-channel blocks) folding is slower (that layer's forward 181 → 257 ms per step), so
/// it needs 16-channel blocks (AVX-512).
enum SpaceToDepth {
    /// Whether a convolution runs folded: stride 2, an even kernel, equal padding on both sides
    /// of an even padded size, whole 16-channel blocks, and at most 16 output pixels.
    static func applies(input: Shape, layout: Layout, kernel: Int, stride: Int, padding: Padding, outputPositions: Int) -> Bool {
        guard case let .blocked(b) = layout, b == 16, stride == 2, kernel % 2 == 0, padding.before == padding.after else { return false }
        let p = padding.before
        return input.c % b == 0 && (input.h + 2 * p) % 2 == 0 && (input.w + 2 * p) % 2 == 0 && outputPositions <= 16
    }

    /// The folded shape of `input` padded by `p`.
    static func shape(_ input: Shape, padding p: Int) -> Shape {
        Shape(input.n, 4 * input.c, (input.h + 2 * p) / 2, (input.w + 2 * p) / 2)
    }

    /// `x (n, C, H, W)` → `x'` (`shape(x, p)`), both in the blocked layout with `b`-channel blocks:
    /// whole blocks move, so channel `g·C + c` of `x'` is in block `g·C/b + c/b`. The folded
    /// padding (never written) must be zero.
    static func fold(_ x: UnsafePointer<Float>, _ input: Shape, padding p: Int, block b: Int, into y: UnsafeMutablePointer<Float>) {
        forEachPixel(input, padding: p, block: b) { pixel, folded in (y + folded).update(from: x + pixel, count: b) }
    }

    /// The adjoint of `fold` on the pixels it wrote: `dx (n, C, H, W) = dx'` at the unpadded
    /// positions (the gradient at the padding is dropped).
    static func unfold(_ dxFolded: UnsafePointer<Float>, _ input: Shape, padding p: Int, block b: Int, into dx: UnsafeMutablePointer<Float>) {
        forEachPixel(input, padding: p, block: b) { pixel, folded in (dx + pixel).update(from: dxFolded + folded, count: b) }
    }

    /// Calls `body` with the offsets of each block of `b` channels of each pixel of `input` and
    /// of its place in the folded tensor, in memory order of `input`.
    @inline(__always)
    private static func forEachPixel(_ input: Shape, padding p: Int, block b: Int, _ body: (Int, Int) -> Void) {
        let blocks = input.c / b, (H, W) = (input.h, input.w)
        let folded = shape(input, padding: p), (H2, W2) = (folded.h, folded.w)
        for n in 0..<input.n {
            for cb in 0..<blocks {
                for h in 0..<H {
                    let ph = h + p, dh = ph & 1, i = ph >> 1
                    var pixel = (((n * blocks + cb) * H + h) * W) * b
                    for w in 0..<W {
                        let pw = w + p, g = 2 * dh + (pw & 1)
                        body(pixel, ((((n * 4 + g) * blocks + cb) * H2 + i) * W2 + (pw >> 1)) * b)
                        pixel += b
                    }
                }
            }
        }
    }

    /// `W (O, C, k, k)` (PyTorch's layout) → `W' (O, 4C, k/2, k/2)`.
    static func foldWeights(_ w: UnsafePointer<Float>, outChannels O: Int, channels C: Int, kernel k: Int, into folded: UnsafeMutablePointer<Float>) {
        let half = k / 2
        for o in 0..<O {
            for g in 0..<4 {
                let (dh, dw) = (g >> 1, g & 1)
                for c in 0..<C {
                    let source = w + (o * C + c) * k * k
                    let target = folded + ((o * 4 + g) * C + c) * half * half
                    for a in 0..<half {
                        for bb in 0..<half { target[a * half + bb] = source[(2 * a + dh) * k + 2 * bb + dw] }
                    }
                }
            }
        }
    }
}
