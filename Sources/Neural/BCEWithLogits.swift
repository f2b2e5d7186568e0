import Foundation

/// Binary cross-entropy on logits, averaged over the batch, as PyTorch's
/// `BCEWithLogitsLoss(reduction: mean)` (equivalently `BCELoss` after a sigmoid, which
/// pytorch/examples uses, without its overflow):
/// `loss = mean_i [max(z_i, 0) − z_i·t_i + log(1 + exp(−|z_i|))]`, `dz_i = (σ(z_i) − t_i)/n`.
public enum BCEWithLogits {
    /// `z (n, 1, 1, 1)` logits and a constant target `t` → `dz (n, 1, 1, 1)`;
    /// returns the mean loss and the mean probability `σ(z)` (main.py's `D(x)`, `D(G(z))`).
    @discardableResult
    public static func loss(logits z: Tensor, target t: Float, gradient dz: Tensor) -> (loss: Float, meanProbability: Float) {
        let n = z.count
        dz.setBatch(z.shape.n)
        var total = 0.0, probability = 0.0
        for i in 0..<n {
            let v = z.data[i]
            total += Double(max(v, 0) - v * t + Foundation.log1p(Foundation.exp(-abs(v))))
            let s = v >= 0 ? 1 / (1 + Foundation.exp(-v)) : Foundation.exp(v) / (1 + Foundation.exp(v))
            probability += Double(s)
            dz.data[i] = (s - t) / Float(n)
        }
        return (Float(total / Double(n)), Float(probability / Double(n)))
    }
}
