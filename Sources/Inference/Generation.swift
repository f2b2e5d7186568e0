import Models
import Neural

/// G run over a list of input vectors in eval mode, in batches of its largest batch; G's mode
/// is restored afterwards. Training's sample grids and `sample` both come through here, so
/// `sample` on a checkpoint reproduces the training run's grid exactly.
public enum Generation {
    /// `images (N, C, H, W)` in [-1, 1] for `inputs (N·width)`.
    public static func images(_ generator: Network, inputs: [Float]) -> [Float] {
        let width = generator.inputShape.perSample, per = generator.outputShape.perSample
        let count = inputs.count / width
        let wasTraining = generator.training
        generator.training = false
        defer { generator.training = wasTraining }
        let chunk = Tensor(generator.inputShape)
        var images = [Float](repeating: 0, count: count * per)
        var start = 0
        while start < count {
            let n = min(generator.maxBatch, count - start)
            chunk.setBatch(n)
            inputs.withUnsafeBufferPointer { chunk.data.update(from: $0.baseAddress! + start * width, count: n * width) }
            let y = generator.forward(chunk)
            images.withUnsafeMutableBufferPointer { ($0.baseAddress! + start * per).update(from: y.data, count: n * per) }
            start += n
        }
        return images
    }
}
