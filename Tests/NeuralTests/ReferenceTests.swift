import Neural
import TestSupport
import XCTest

/// The fast paths (batched im2col/col2im + one GEMM) against direct, naive loops.
/// Tolerance 1e-5 of the largest magnitude: both are float32 sums of the same terms in
/// different orders.
final class ReferenceTests: XCTestCase {
    static let tolerance = 1e-5

    func random(_ shape: Shape, seed: UInt64) -> Tensor {
        let t = Tensor(shape)
        Philox(seed: seed).normals(stream: 1, index: 0, into: t.data, count: t.count)
        return t
    }

    /// Direct convolution: `y[n, o, i, j] = Σ_{c, a, b} w[o, c, a, b] · x[n, c, i·s − p + a, j·s − p + b]`
    /// with `p = before`, over an input padded with `before` zeros above/left and `after` below/right.
    func naiveConv(_ x: Tensor, _ w: UnsafeBufferPointer<Float>, outChannels: Int, k: Int, s: Int, p: Int, after: Int? = nil) -> [Float] {
        let (N, C, H, W) = (x.shape.n, x.shape.c, x.shape.h, x.shape.w)
        let q = after ?? p
        let OH = (H + p + q - k) / s + 1, OW = (W + p + q - k) / s + 1
        var y = [Float](repeating: 0, count: N * outChannels * OH * OW)
        for n in 0..<N { for o in 0..<outChannels { for i in 0..<OH { for j in 0..<OW {
            var sum: Float = 0
            for c in 0..<C { for a in 0..<k { for b in 0..<k {
                let ii = i * s - p + a, jj = j * s - p + b
                if ii >= 0 && ii < H && jj >= 0 && jj < W {
                    sum += w[((o * C + c) * k + a) * k + b] * x.data[((n * C + c) * H + ii) * W + jj]
                }
            } } }
            y[((n * outChannels + o) * OH + i) * OW + j] = sum
        } } } }
        return y
    }

    /// Direct transposed convolution: every input pixel scatters `w[c, o, :, :]` into the full
    /// output `(H − 1)·s + k`, of which `p` rows/columns are cut at the top/left and `after` at the
    /// bottom/right.
    func naiveConvTranspose(_ x: Tensor, _ w: UnsafeBufferPointer<Float>, outChannels: Int, k: Int, s: Int, p: Int, after: Int? = nil) -> [Float] {
        let (N, C, H, W) = (x.shape.n, x.shape.c, x.shape.h, x.shape.w)
        let q = after ?? p
        let OH = (H - 1) * s - p - q + k, OW = (W - 1) * s - p - q + k
        var y = [Float](repeating: 0, count: N * outChannels * OH * OW)
        for n in 0..<N { for c in 0..<C { for i in 0..<H { for j in 0..<W {
            let v = x.data[((n * C + c) * H + i) * W + j]
            for o in 0..<outChannels { for a in 0..<k { for b in 0..<k {
                let oi = i * s - p + a, oj = j * s - p + b
                if oi >= 0 && oi < OH && oj >= 0 && oj < OW {
                    y[((n * outChannels + o) * OH + oi) * OW + oj] += v * w[((c * outChannels + o) * k + a) * k + b]
                }
            } } }
        } } } }
        return y
    }

    /// Adam's eight-wide update does each lane's scalar operations in the same order, so it must
    /// give the scalar reference's bits exactly (no tolerance), also for the tail past the last
    /// whole vector and for zero, tiny and huge gradients.
    func testVectorAdamIsTheScalarUpdateBitForBit() {
        let count = 1_003
        let buffers = (0..<8).map { _ in UnsafeMutablePointer<Float>.allocate(capacity: count) }
        defer { buffers.forEach { $0.deallocate() } }
        let random = Philox(seed: 5)
        for (k, b) in buffers.enumerated() { random.normals(stream: UInt64(k), index: 0, into: b, count: count) }
        let (p, g, m, v) = (buffers[0], buffers[1], buffers[2], buffers[3])
        let (rp, rg, rm, rv) = (buffers[4], buffers[5], buffers[6], buffers[7])
        for i in 0..<count {
            v[i] = abs(v[i])
            if i % 7 == 0 { g[i] = 0 }
            if i % 11 == 0 { g[i] = 1e-30 }
            if i % 13 == 0 { g[i] = -3e18 }
            if i % 17 == 0 { v[i] = 0 }
        }
        for (a, b) in [(p, rp), (g, rg), (m, rm), (v, rv)] { b.update(from: a, count: count) }
        for (stepSize, correction) in [(Float(4e-4), Float(0.0447)), (1e-3, 0.3), (2e-4, 0.9)] {
            Adam.update(p, g, m, v, 3..<count, beta1: 0.5, beta2: 0.999, epsilon: 1e-8, stepSize: stepSize, sqrtCorrection2: correction)
            Adam.updateReference(rp, rg, rm, rv, 3..<count, beta1: 0.5, beta2: 0.999, epsilon: 1e-8, stepSize: stepSize, sqrtCorrection2: correction)
            for (a, b, name) in [(p, rp, "p"), (m, rm, "m"), (v, rv, "v")] {
                let differing = (0..<count).filter { a[$0].bitPattern != b[$0].bitPattern }
                XCTAssertEqual(differing, [], "\(name) differs from the scalar update")
            }
        }
    }

    func testConv2dMatchesDirectConvolution() {
        for (k, s, p, q, h, w) in [(4, 2, 1, 1, 16, 16), (3, 1, 1, 1, 7, 9), (4, 1, 0, 0, 4, 4), (5, 3, 2, 2, 11, 8), (4, 2, 1, 1, 5, 7),
                                   (5, 2, 1, 2, 8, 8), (5, 2, 2, 2, 7, 9), (3, 2, 0, 1, 6, 6), (5, 1, 2, 2, 5, 4)] {
            let shape = Shape(3, 4, h, w)
            let b = NetworkBuilder(input: shape)
            b.conv2d(5, kernel: k, stride: s, padding: Padding(before: p, after: q))
            let net = b.build()
            net.arena.initialize(seed: 1, network: 0)
            let x = random(shape, seed: UInt64(k * 100 + h))
            let y = net.forward(x)
            let expected = naiveConv(x, net.arena.values("main.0.weight"), outChannels: 5, k: k, s: s, p: p, after: q)
            let c = Comparison(y.values, expected)
            XCTAssertLessThanOrEqual(c.relative, Self.tolerance, "k\(k) s\(s) p\(p),\(q) \(h)x\(w): \(c)")
        }
    }

    func testConvTranspose2dMatchesDirectScatter() {
        for (k, s, p, q, h, w) in [(4, 1, 0, 0, 1, 1), (4, 2, 1, 1, 4, 4), (3, 2, 1, 1, 5, 3), (4, 2, 1, 1, 8, 8), (5, 3, 2, 2, 4, 6),
                                   (5, 2, 1, 2, 4, 4), (5, 2, 1, 2, 3, 5), (3, 2, 0, 1, 4, 4)] {
            let shape = Shape(2, 6, h, w)
            let b = NetworkBuilder(input: shape)
            b.convTranspose2d(3, kernel: k, stride: s, padding: Padding(before: p, after: q))
            let net = b.build()
            net.arena.initialize(seed: 2, network: 0)
            let x = random(shape, seed: UInt64(k * 10 + h))
            let y = net.forward(x)
            let expected = naiveConvTranspose(x, net.arena.values("main.0.weight"), outChannels: 3, k: k, s: s, p: p, after: q)
            let c = Comparison(y.values, expected)
            XCTAssertLessThanOrEqual(c.relative, Self.tolerance, "k\(k) s\(s) p\(p),\(q) \(h)x\(w): \(c)")
        }
    }

    /// col2im is the adjoint of im2col: ⟨im2col(x), c⟩ = ⟨x, col2im(c)⟩ for all x, c.
    func testCol2imIsTheAdjointOfIm2col() {
        for (k, s, p, q, h, w) in [(4, 2, 1, 1, 8, 8), (3, 1, 1, 1, 5, 7), (5, 3, 2, 2, 9, 4), (5, 2, 1, 2, 8, 6), (5, 2, 2, 2, 7, 7)] {
            let g = ConvGeometry(channels: 2, height: h, width: w, kernel: k, stride: s, padding: Padding(before: p, after: q))
            let n = 3
            let x = random(Shape(n, 2, h, w), seed: 1)
            let rows = g.patch, columns = n * g.positions
            let c = random(Shape(rows * columns, 1), seed: 2)
            let cols = Tensor(Shape(rows * columns, 1))
            im2col(x.data, batch: n, g, into: cols.data)
            let back = Tensor(x.shape)
            col2im(c.data, batch: n, g, addingInto: back.data)
            var lhs = 0.0, rhs = 0.0
            for i in 0..<cols.count { lhs += Double(cols.data[i]) * Double(c.data[i]) }
            for i in 0..<x.count { rhs += Double(x.data[i]) * Double(back.data[i]) }
            XCTAssertEqual(lhs, rhs, accuracy: 1e-9 * Double(cols.count) + 1e-4 * abs(lhs), "k\(k) s\(s) p\(p)")
        }
    }

    func testGEMMMatchesNaiveProductForAllTranspositions() {
        let m = 7, n = 5, k = 9
        let a = random(Shape(m * k, 1), seed: 3), b = random(Shape(k * n, 1), seed: 4)
        for transA in [false, true] {
            for transB in [false, true] {
                var c = [Float](repeating: 0, count: m * n)
                c.withUnsafeMutableBufferPointer {
                    gemm(transA: transA, transB: transB, m: m, n: n, k: k, a: a.data, lda: transA ? m : k,
                         b: b.data, ldb: transB ? k : n, beta: 0, c: $0.baseAddress!, ldc: n)
                }
                var expected = [Float](repeating: 0, count: m * n)
                for i in 0..<m { for j in 0..<n { for l in 0..<k {
                    let av = transA ? a.data[l * m + i] : a.data[i * k + l]
                    let bv = transB ? b.data[j * k + l] : b.data[l * n + j]
                    expected[i * n + j] += av * bv
                } } }
                let cmp = Comparison(c, expected)
                XCTAssertLessThanOrEqual(cmp.relative, Self.tolerance, "transA \(transA) transB \(transB): \(cmp)")
            }
        }
    }
}
