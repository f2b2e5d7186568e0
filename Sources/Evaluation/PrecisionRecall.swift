import Neural

/// Improved precision and recall (Kynkäänniemi et al. 2019) of generated features `F` against
/// real features `R`, with `k` nearest neighbours:
/// - each sample's radius is the distance to its k-th nearest neighbour within its own set;
/// - precision: the share of fake samples inside some real sample's radius ball;
/// - recall: the share of real samples inside some fake sample's radius ball.
/// Distances come from one GEMM per block (`‖a‖² + ‖b‖² − 2 a·b`, clamped at 0).
public enum PrecisionRecall {
    /// Squared distances `(na, nb)` between rows of `a (na, d)` and `b (nb, d)`.
    static func distances(_ a: [Float], _ na: Int, _ b: [Float], _ nb: Int, _ d: Int) -> [Float] {
        var out = [Float](repeating: 0, count: na * nb)
        a.withUnsafeBufferPointer { ap in b.withUnsafeBufferPointer { bp in out.withUnsafeMutableBufferPointer { op in
            gemm(transA: false, transB: true, m: na, n: nb, k: d, alpha: -2, a: ap.baseAddress!, lda: d, b: bp.baseAddress!, ldb: d,
                 beta: 0, c: op.baseAddress!, ldc: nb)
        } } }
        func norms(_ x: [Float], _ n: Int) -> [Float] { (0..<n).map { i in (0..<d).reduce(0) { $0 + x[i * d + $1] * x[i * d + $1] } } }
        let sa = norms(a, na), sb = norms(b, nb)
        for i in 0..<na { for j in 0..<nb { out[i * nb + j] = max(out[i * nb + j] + sa[i] + sb[j], 0) } }
        return out
    }

    /// Each row's squared distance to its k-th nearest other row.
    static func radii(_ x: [Float], _ n: Int, _ d: Int, k: Int) -> [Float] {
        let block = 1024
        var out = [Float](repeating: 0, count: n)
        var start = 0
        while start < n {
            let m = min(block, n - start)
            let rows = Array(x[(start * d)..<((start + m) * d)])
            let dist = distances(rows, m, x, n, d)
            for i in 0..<m {
                var row = Array(dist[(i * n)..<((i + 1) * n)])
                row[start + i] = .infinity  // not its own neighbour
                row.sort()
                out[start + i] = row[k - 1]
            }
            start += m
        }
        return out
    }

    /// The share of `query` rows inside the radius ball of some `reference` row.
    static func coverage(_ query: [Float], _ nq: Int, _ reference: [Float], _ nr: Int, radii: [Float], _ d: Int) -> Double {
        let block = 1024
        var inside = 0, start = 0
        while start < nq {
            let m = min(block, nq - start)
            let dist = distances(Array(query[(start * d)..<((start + m) * d)]), m, reference, nr, d)
            for i in 0..<m where (0..<nr).contains(where: { dist[i * nr + $0] <= radii[$0] }) { inside += 1 }
            start += m
        }
        return Double(inside) / Double(nq)
    }

    public static func compute(real: [Float], realCount: Int, fake: [Float], fakeCount: Int, dimension d: Int, k: Int = 3) -> (precision: Double, recall: Double) {
        let realRadii = radii(real, realCount, d, k: k), fakeRadii = radii(fake, fakeCount, d, k: k)
        return (coverage(fake, fakeCount, real, realCount, radii: realRadii, d), coverage(real, realCount, fake, fakeCount, radii: fakeRadii, d))
    }
}
