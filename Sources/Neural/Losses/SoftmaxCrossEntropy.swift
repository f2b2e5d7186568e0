import Foundation

/// Cross-entropy of `k` logits against a class index, as PyTorch's `CrossEntropyLoss`
/// (softmax applied once, inside the loss, never to the head's output as well):
/// `ℓ(z, y) = logsumexp(z) − z_y`, `∂ℓ/∂z_j = softmax(z)_j − [j = y]`.
public enum SoftmaxCrossEntropy {
    /// One sample's `k` logits at `z` and its class `y`: writes `scale · ∂ℓ/∂z` added into
    /// `gradient`, returns the loss and whether the largest logit is `y` (accuracy).
    @inline(__always)
    public static func sample(_ z: UnsafePointer<Float>, classes k: Int, label y: Int, scale: Float,
                              gradient: UnsafeMutablePointer<Float>) -> (loss: Float, correct: Bool) {
        precondition(y >= 0 && y < k, "class \(y) outside 0..<\(k)")
        var top = z[0], best = 0
        for j in 1..<k where z[j] > top { top = z[j]; best = j }
        var total: Float = 0
        for j in 0..<k { total += Foundation.exp(z[j] - top) }
        let logSum = top + Foundation.log(total)
        for j in 0..<k {
            let p = Foundation.exp(z[j] - logSum)
            gradient[j] += scale * (p - (j == y ? 1 : 0))
        }
        return (logSum - z[y], best == y)
    }

    /// `z (n, k)` and labels, mean over the batch → `dz`; returns the mean loss and accuracy.
    @discardableResult
    public static func loss(logits z: Tensor, labels: [Int32], gradient dz: Tensor) -> (loss: Float, accuracy: Float) {
        let n = z.shape.n, k = z.shape.perSample
        precondition(labels.count == n)
        dz.setBatch(n)
        dz.fill(0)
        var total = 0.0, correct = 0
        for i in 0..<n {
            let r = sample(z.data + i * k, classes: k, label: Int(labels[i]), scale: 1 / Float(n), gradient: dz.data + i * k)
            total += Double(r.loss)
            if r.correct { correct += 1 }
        }
        return (Float(total / Double(n)), Float(correct) / Float(n))
    }
}
