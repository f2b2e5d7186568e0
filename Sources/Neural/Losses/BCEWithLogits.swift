import Foundation

/// Binary cross-entropy on a logit, as PyTorch's `BCEWithLogitsLoss` (equivalently `BCELoss`
/// after a sigmoid, which pytorch/examples uses, without its overflow):
/// `ℓ(z, t) = max(z, 0) − z·t + log(1 + exp(−|z|))`, `∂ℓ/∂z = σ(z) − t`.
public enum BCEWithLogits {
    /// `σ(z)`, evaluated without overflow.
    @inline(__always)
    public static func sigmoid(_ z: Float) -> Float {
        z >= 0 ? 1 / (1 + Foundation.exp(-z)) : Foundation.exp(z) / (1 + Foundation.exp(z))
    }

    /// One sample: the loss, its derivative, and `σ(z)` (main.py's `D(x)`, `D(G(z))`).
    @inline(__always)
    public static func sample(_ z: Float, target t: Float) -> (loss: Float, gradient: Float, probability: Float) {
        let s = sigmoid(z)
        return (max(z, 0) - z * t + Foundation.log1p(Foundation.exp(-abs(z))), s - t, s)
    }

    /// `z (n, 1, 1, 1)` logits and a constant target `t`, mean over the batch → `dz = (σ(z) − t)/n`;
    /// returns the mean loss and the mean probability `σ(z)`.
    @discardableResult
    public static func loss(logits z: Tensor, target t: Float, gradient dz: Tensor) -> (loss: Float, meanProbability: Float) {
        let n = z.count
        dz.setBatch(z.shape.n)
        var total = 0.0, probability = 0.0
        for i in 0..<n {
            let r = sample(z.data[i], target: t)
            total += Double(r.loss)
            probability += Double(r.probability)
            dz.data[i] = r.gradient / Float(n)
        }
        return (Float(total / Double(n)), Float(probability / Double(n)))
    }
}
