import Neural

/// The fully connected GAN of Goodfellow et al. (2014) as commonly written for MNIST,
/// with PyTorch's default Linear initialisation `U(−1/√fan_in, 1/√fan_in)`:
/// ```
/// G: z (nz) → 256 → 512 → 1024 → (nc·size·size), LeakyReLU(0.2) between, Tanh out
/// D: x (nc·size·size) → 1024 → 512 → 256 → 1, LeakyReLU(0.2) and Dropout(0.3) between
/// ```
/// For MNIST (`size` 28, `nc` 1) that is 100→256→512→1024→784 and 784→1024→512→256→1.
public struct MLPGAN: Backbone {
    public init() {}
    public var generatorPrefix: String { "model" }
    public var trunkPrefix: String { "model" }

    public func validate(_ config: ModelConfig) throws(ModelError) {
        guard config.imageSize >= 4 && config.imageSize <= 128 else {
            throw ModelError("--image-size \(config.imageSize) is out of range for the MLP GAN (4 to 128)")
        }
    }

    public func generator(_ b: NetworkBuilder, _ config: ModelConfig) {
        for width in [256, 512, 1024] {
            b.linear(width)
            b.activation(.leakyReLU(slope: 0.2))
        }
        b.linear(config.imageShape.perSample)
        b.activation(.tanh)
        b.reshape(config.imageShape)
    }

    public func trunk(_ b: NetworkBuilder, _ config: ModelConfig) {
        for width in [1024, 512, 256] {
            b.linear(width)
            b.activation(.leakyReLU(slope: 0.2))
            b.dropout(0.3)
        }
    }

    public func project(_ b: NetworkBuilder, outputs: Int) { b.linear(outputs) }

    public func qHidden(_ b: NetworkBuilder, _ config: ModelConfig) {
        b.linear(128, bias: false)
        b.batchNorm()
        b.activation(.leakyReLU(slope: 0.2))
    }
}
