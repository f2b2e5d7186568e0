import Models
import Neural

/// Real images above what G makes for D's reading of each: D (eval mode) classifies every real
/// image with its class head (AC-GAN) or its Q head's first categorical code (InfoGAN), and G
/// draws that class or code with fixed noise. A row of agreement shows G and D share a notion
/// of the classes; for InfoGAN it shows which code value stands for which real category.
public enum PredictionStrip {
    /// The head and columns D predicts with, or nil for models without one.
    static func predictor(_ model: ModelConfig) -> (head: Int, classes: Int)? {
        let c = model.conditioning
        if c.classes > 0 { return (1, c.classes) }
        if let first = c.categorical.first { return (c.classes > 0 ? 2 : 1, first) }
        return nil
    }

    /// D's predicted class of each of `real (n, C, H, W)`.
    public static func predictions(_ discriminator: Network, model: ModelConfig, real: Tensor) -> [Int]? {
        guard let (head, classes) = predictor(model) else { return nil }
        let wasTraining = discriminator.training
        discriminator.training = false
        defer { discriminator.training = wasTraining }
        discriminator.forward(real, heads: [head])
        let out = discriminator.heads[head].output!, width = discriminator.heads[head].width
        return (0..<real.shape.n).map { s in
            let row = out.data + s * width
            var best = 0
            for j in 1..<classes where row[j] > row[best] { best = j }
            return best
        }
    }

    /// `2n` images: the `n` real ones, then G's for D's predicted class of each (fixed noise `j`
    /// for column `j`); nil for unconditional models.
    public static func images(generator: Network, discriminator: Network, model: ModelConfig, seed: UInt64, real: Tensor) -> [Float]? {
        guard let predicted = predictions(discriminator, model: model, real: real) else { return nil }
        let c = model.conditioning, n = real.shape.n
        var inputs = SampleSheets.noise(c, count: n, seed: seed)
        for (s, k) in predicted.enumerated() {
            if c.classes > 0 {
                SampleSheets.condition(&inputs, c, sample: s, class: k)
            } else {
                SampleSheets.condition(&inputs, c, sample: s, codes: [k] + Array(repeating: 0, count: c.categorical.count - 1))
            }
        }
        return Array(real.buffer) + Generation.images(generator, inputs: inputs)
    }
}
