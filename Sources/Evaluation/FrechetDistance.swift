/// The Fréchet distance between Gaussians fitted to two sets of feature vectors (the FID
/// formula, Heusel et al. 2017):
/// `d² = ‖μ₁ − μ₂‖² + tr(Σ₁ + Σ₂ − 2 (Σ₁^{1/2} Σ₂ Σ₁^{1/2})^{1/2})`,
/// with unbiased covariances (`numpy.cov`). The matrix square root is taken of the symmetric
/// `Σ₁^{1/2} Σ₂ Σ₁^{1/2}` through two symmetric eigendecompositions, which has the same trace
/// as `sqrtm(Σ₁Σ₂)` of pytorch-fid but no complex round-off to discard.
public enum FrechetDistance {
    /// Mean `(d)` and unbiased covariance `(d, d)` of `count` rows of `d` features, in Double.
    public static func moments(_ x: [Float], count: Int, dimension d: Int) -> (mean: [Double], covariance: [Double]) {
        precondition(x.count == count * d && count > 1)
        var mean = [Double](repeating: 0, count: d)
        for i in 0..<count { for j in 0..<d { mean[j] += Double(x[i * d + j]) } }
        for j in 0..<d { mean[j] /= Double(count) }
        var cov = [Double](repeating: 0, count: d * d)
        var centered = [Double](repeating: 0, count: d)
        for i in 0..<count {
            for j in 0..<d { centered[j] = Double(x[i * d + j]) - mean[j] }
            for a in 0..<d {
                let ca = centered[a]
                for b in a..<d { cov[a * d + b] += ca * centered[b] }
            }
        }
        for a in 0..<d {
            for b in a..<d {
                cov[a * d + b] /= Double(count - 1)
                cov[b * d + a] = cov[a * d + b]
            }
        }
        return (mean, cov)
    }

    /// The distance between two Gaussians `(μ, Σ)` of dimension `d`.
    public static func distance(mean1: [Double], covariance1: [Double], mean2: [Double], covariance2: [Double],
                                dimension d: Int) throws(EvaluationError) -> Double {
        var meanTerm = 0.0
        for j in 0..<d { meanTerm += (mean1[j] - mean2[j]) * (mean1[j] - mean2[j]) }
        let root1 = try SymmetricEigen.squareRoot(covariance1, n: d)
        // M = Σ₁^{1/2} Σ₂ Σ₁^{1/2}, symmetrized against round-off.
        let left = multiply(root1, covariance2, d)
        var m = multiply(left, root1, d)
        for a in 0..<d { for b in (a + 1)..<d { let s = (m[a * d + b] + m[b * d + a]) / 2; m[a * d + b] = s; m[b * d + a] = s } }
        let (values, _) = try SymmetricEigen.decompose(m, n: d)
        let traceRoot = values.reduce(0) { $0 + max($1, 0).squareRoot() }
        var trace = 0.0
        for j in 0..<d { trace += covariance1[j * d + j] + covariance2[j * d + j] }
        return meanTerm + trace - 2 * traceRoot
    }

    /// The distance between the Gaussians of two feature sets.
    public static func distance(_ a: [Float], count countA: Int, _ b: [Float], count countB: Int, dimension d: Int) throws(EvaluationError) -> Double {
        let (m1, c1) = moments(a, count: countA, dimension: d), (m2, c2) = moments(b, count: countB, dimension: d)
        return try distance(mean1: m1, covariance1: c1, mean2: m2, covariance2: c2, dimension: d)
    }

    static func multiply(_ a: [Double], _ b: [Double], _ n: Int) -> [Double] {
        var out = [Double](repeating: 0, count: n * n)
        for i in 0..<n {
            for k in 0..<n {
                let v = a[i * n + k]
                if v == 0 { continue }
                for j in 0..<n { out[i * n + j] += v * b[k * n + j] }
            }
        }
        return out
    }
}
