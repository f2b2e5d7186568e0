import Neural

/// Sliced Wasserstein distance between two image sets, as Karras et al. 2018 (ProGAN,
/// `metrics/sliced_wasserstein.py`) compute it:
/// - a Laplacian pyramid of each image, from full resolution down to 16 pixels (`pyrDown`:
///   the 5×5 binomial filter, mirror borders, every second pixel; each level less the
///   upsampled next one, the coarsest kept as it is);
/// - per level, `patches` random 7×7 neighbourhoods per image, as `C·49`-vectors, each set
///   normalised per channel to zero mean and unit deviation;
/// - `repeats` × `directions` random unit directions; the projections of both sets sorted and
///   compared: the mean absolute difference, averaged over directions and repeats;
/// - reported ×10³ per level (finest first) and their average.
/// Random choices come from Philox keyed by `seed` and the image index, so the result does not
/// depend on how images are spread over ranks; image `i` of either set gets the same patch
/// positions (ProGAN draws them independently per set), so two identical sets give exactly 0.
public enum SlicedWasserstein {
    public static let patchSize = 7
    static let filter: [Float] = [1, 4, 6, 4, 1]

    public struct Result: Sendable {
        /// ×10³, finest level first.
        public let levels: [Double]
        public var average: Double { levels.reduce(0, +) / Double(max(levels.count, 1)) }
    }

    /// Resolutions of the levels: `size`, `size/2`, … while at least 16 (just `size` when it is smaller).
    public static func resolutions(_ size: Int) -> [Int] {
        var out = [size], s = size
        while s % 2 == 0 && s / 2 >= 16 { s /= 2; out.append(s) }
        return out
    }

    /// Mirror (reflect without repeating the edge) index into `0..<n`.
    @inline(__always)
    static func mirror(_ i: Int, _ n: Int) -> Int {
        if n == 1 { return 0 }
        var j = i
        while j < 0 || j >= n { j = j < 0 ? -j : 2 * (n - 1) - j }
        return j
    }

    /// `cv2.pyrDown` on one `(h, w)` plane: binomial filter with mirror borders, even pixels.
    public static func down(_ x: [Float], height h: Int, width w: Int) -> [Float] {
        let oh = (h + 1) / 2, ow = (w + 1) / 2
        var out = [Float](repeating: 0, count: oh * ow)
        for y in 0..<oh {
            for x0 in 0..<ow {
                var s: Float = 0
                for a in 0..<5 {
                    let row = mirror(2 * y + a - 2, h) * w
                    for b in 0..<5 { s += filter[a] * filter[b] * x[row + mirror(2 * x0 + b - 2, w)] }
                }
                out[y * ow + x0] = s / 256
            }
        }
        return out
    }

    /// `cv2.pyrUp` to `(h, w)`: zeros between the pixels, then the binomial filter ×4.
    public static func up(_ x: [Float], height h: Int, width w: Int) -> [Float] {
        let sw = (w + 1) / 2
        var sparse = [Float](repeating: 0, count: h * w)
        for y in stride(from: 0, to: h, by: 2) { for x0 in stride(from: 0, to: w, by: 2) { sparse[y * w + x0] = x[(y / 2) * sw + x0 / 2] } }
        var out = [Float](repeating: 0, count: h * w)
        for y in 0..<h {
            for x0 in 0..<w {
                var s: Float = 0
                for a in 0..<5 {
                    let row = mirror(y + a - 2, h) * w
                    for b in 0..<5 { s += filter[a] * filter[b] * sparse[row + mirror(x0 + b - 2, w)] }
                }
                out[y * w + x0] = s * 4 / 256
            }
        }
        return out
    }

    /// The Laplacian pyramid levels of one `(C, S, S)` image, each `(C, s, s)`.
    public static func pyramid(_ image: UnsafeBufferPointer<Float>, channels c: Int, size: Int) -> [[Float]] {
        let sizes = resolutions(size)
        var gaussian: [[Float]] = [Array(image)]
        for k in 1..<sizes.count {
            let s = sizes[k - 1]
            var level: [Float] = []
            for ch in 0..<c { level += down(Array(gaussian[k - 1][(ch * s * s)..<((ch + 1) * s * s)]), height: s, width: s) }
            gaussian.append(level)
        }
        for k in 0..<(sizes.count - 1) {
            let s = sizes[k], t = sizes[k + 1]
            for ch in 0..<c {
                let upper = up(Array(gaussian[k + 1][(ch * t * t)..<((ch + 1) * t * t)]), height: s, width: s)
                for i in 0..<(s * s) { gaussian[k][ch * s * s + i] -= upper[i] }
            }
        }
        return gaussian
    }

    /// Patch centres `(y, x)` for image `index` at a level of side `s`: `count` draws in
    /// `[3, s − 3)`.
    public static func centres(index: Int, level: Int, side s: Int, count: Int, seed: UInt64) -> [(Int, Int)] {
        let random = Philox(seed: seed)
        let h = patchSize / 2
        return (0..<count).map { p in
            let stream = UInt64(0x5D00 + level * 2)
            let i = UInt64(index * count + p)
            return (h + random.integer(stream: stream, index: i, below: s - 2 * h),
                    h + random.integer(stream: stream + 1, index: i, below: s - 2 * h))
        }
    }

    /// The descriptors `(count, C·49)` of one level's patches.
    public static func descriptors(_ level: [Float], channels c: Int, side s: Int, centres: [(Int, Int)]) -> [Float] {
        let h = patchSize / 2, per = c * patchSize * patchSize
        var out = [Float](repeating: 0, count: centres.count * per)
        for (p, (y, x)) in centres.enumerated() {
            var k = 0
            for ch in 0..<c {
                for dy in -h...h { for dx in -h...h { out[p * per + k] = level[(ch * s + y + dy) * s + x + dx]; k += 1 } }
            }
        }
        return out
    }

    /// Zero mean and unit deviation per channel over all patches and positions (ProGAN's
    /// `finalize_descriptors`; population deviation, as `np.std`).
    public static func normalize(_ d: inout [Float], count: Int, channels c: Int) {
        let per = c * patchSize * patchSize, plane = patchSize * patchSize
        for ch in 0..<c {
            var sum = 0.0, squares = 0.0
            for p in 0..<count { for k in 0..<plane { let v = Double(d[p * per + ch * plane + k]); sum += v; squares += v * v } }
            let n = Double(count * plane), mean = sum / n
            let deviation = max((squares / n - mean * mean), 0).squareRoot()
            let scale = deviation > 0 ? 1 / deviation : 0
            for p in 0..<count { for k in 0..<plane { d[p * per + ch * plane + k] = Float((Double(d[p * per + ch * plane + k]) - mean) * scale) } }
        }
    }

    /// Random unit directions `(dimension, count)` for repeat `r`.
    public static func directions(dimension d: Int, count: Int, repeat r: Int, level: Int, seed: UInt64) -> [Float] {
        var dirs = [Float](repeating: 0, count: d * count)
        let random = Philox(seed: seed)
        dirs.withUnsafeMutableBufferPointer { random.normals(stream: UInt64(0x5E00 + level * 16 + r), index: 0, into: $0.baseAddress!, count: d * count) }
        for j in 0..<count {
            var norm = 0.0
            for i in 0..<d { norm += Double(dirs[i * count + j]) * Double(dirs[i * count + j]) }
            let inv = Float(1 / norm.squareRoot())
            for i in 0..<d { dirs[i * count + j] *= inv }
        }
        return dirs
    }

    /// The distance between two descriptor sets `(n, d)` along given directions `(d, k)`:
    /// mean over directions of the mean absolute difference of the sorted projections.
    public static func distance(_ a: [Float], _ b: [Float], count n: Int, dimension d: Int, directions dirs: [Float], directionCount k: Int) -> Double {
        func project(_ x: [Float]) -> [Float] {
            var out = [Float](repeating: 0, count: n * k)
            x.withUnsafeBufferPointer { xp in dirs.withUnsafeBufferPointer { dp in out.withUnsafeMutableBufferPointer { op in
                gemm(transA: false, transB: false, m: n, n: k, k: d, a: xp.baseAddress!, lda: d, b: dp.baseAddress!, ldb: k,
                     beta: 0, c: op.baseAddress!, ldc: k)
            } } }
            return out
        }
        let pa = project(a), pb = project(b)
        var total = 0.0
        var columnA = [Float](repeating: 0, count: n), columnB = [Float](repeating: 0, count: n)
        for j in 0..<k {
            for i in 0..<n { columnA[i] = pa[i * k + j]; columnB[i] = pb[i * k + j] }
            columnA.sort()
            columnB.sort()
            for i in 0..<n { total += Double(abs(columnA[i] - columnB[i])) }
        }
        return total / Double(n * k)
    }

    /// The SWD of two equal-size image sets `(n, C, S, S)` in [-1, 1].
    public static func compute(_ a: [Float], _ b: [Float], count n: Int, channels c: Int, size: Int,
                               patches: Int = 128, repeats: Int = 4, directions k: Int = 128, seed: UInt64 = 1) -> Result {
        let sizes = resolutions(size), per = c * size * size, dimension = c * patchSize * patchSize
        var levelsA = Array(repeating: [Float](), count: sizes.count), levelsB = levelsA
        for (images, index) in [(a, 0), (b, 1)] {
            images.withUnsafeBufferPointer { buffer in
                for i in 0..<n {
                    let pyramid = pyramid(UnsafeBufferPointer(rebasing: buffer[(i * per)..<((i + 1) * per)]), channels: c, size: size)
                    for (l, level) in pyramid.enumerated() {
                        let d = descriptors(level, channels: c, side: sizes[l],
                                            centres: centres(index: i, level: l, side: sizes[l], count: patches, seed: seed))
                        if index == 0 { levelsA[l] += d } else { levelsB[l] += d }
                    }
                }
            }
        }
        var results: [Double] = []
        for l in sizes.indices {
            normalize(&levelsA[l], count: n * patches, channels: c)
            normalize(&levelsB[l], count: n * patches, channels: c)
            var sum = 0.0
            for r in 0..<repeats {
                let dirs = directions(dimension: dimension, count: k, repeat: r, level: l, seed: seed)
                sum += distance(levelsA[l], levelsB[l], count: n * patches, dimension: dimension, directions: dirs, directionCount: k)
            }
            results.append(sum / Double(repeats) * 1e3)
        }
        return Result(levels: results)
    }
}
