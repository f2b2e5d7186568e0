import Foundation

/// Negative log-likelihood of values under a diagonal Gaussian, as PyTorch's
/// `GaussianNLLLoss(full=False, eps=1e-6)`, per element
/// `ℓ = ½·(log v + (x − μ)²/v)` with `v = max(variance, ε)`, averaged over a sample's `d` values.
///
/// - fixed σ = 1 (`v = 1`): `ℓ = ½·(x − μ)²`, half the squared error (InfoGAN's continuous codes);
/// - learned σ: the head gives `μ` and `log v`, `∂ℓ/∂μ = (μ − x)/v`, `∂ℓ/∂log v = ½·(1 − (x − μ)²/v)`
///   (zero where the clamp `v = ε` holds, as PyTorch's clamp).
public enum GaussianNLL {
    public static let epsilon: Float = 1e-6

    /// One sample's `d` means at `mu` (and log-variances at `logVariance`, when learned)
    /// against `x`; adds `scale · ∂ℓ/∂·` into the gradients and returns `ℓ` (the mean over `d`).
    @inline(__always)
    public static func sample(mean mu: UnsafePointer<Float>, logVariance: UnsafePointer<Float>?, target x: UnsafePointer<Float>,
                              count d: Int, scale: Float, meanGradient: UnsafeMutablePointer<Float>,
                              logVarianceGradient: UnsafeMutablePointer<Float>?) -> Float {
        var total: Float = 0
        let per = scale / Float(d)
        for j in 0..<d {
            let diff = mu[j] - x[j]
            if let logVariance, let logVarianceGradient {
                let raw = Foundation.exp(logVariance[j])
                let v = max(raw, epsilon)
                total += 0.5 * (Foundation.log(v) + diff * diff / v)
                meanGradient[j] += per * diff / v
                if raw > epsilon { logVarianceGradient[j] += per * 0.5 * (1 - diff * diff / v) }
            } else {
                total += 0.5 * diff * diff
                meanGradient[j] += per * diff
            }
        }
        return total / Float(d)
    }
}
