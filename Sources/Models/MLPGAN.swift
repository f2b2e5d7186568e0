import Neural

/// The fully connected GAN of Goodfellow et al. (2014) as commonly written for MNIST,
/// with PyTorch's default Linear initialisation `U(−1/√fan_in, 1/√fan_in)`:
/// ```
/// G: z (nz) → 256 → 512 → 1024 → (nc·size·size), LeakyReLU(0.2) between, Tanh out
/// D: x (nc·size·size) → 1024 → 512 → 256 → 1, LeakyReLU(0.2) and Dropout(0.3) between
/// ```
/// For MNIST (`size` 28, `nc` 1) that is 100→256→512→1024→784 and 784→1024→512→256→1.
public enum MLPGAN {
    public static func generator(_ config: ModelConfig, batch: Int) -> Network {
        let b = NetworkBuilder(input: config.latentShape.batch(batch), prefix: "model")
        for width in [256, 512, 1024] {
            b.linear(width)
            b.activation(.leakyReLU(slope: 0.2))
        }
        b.linear(config.imageShape.perSample)
        b.activation(.tanh)
        b.reshape(config.imageShape)
        return b.build()
    }

    public static func discriminator(_ config: ModelConfig, batch: Int) -> Network {
        let b = NetworkBuilder(input: config.imageShape.batch(batch), prefix: "model")
        for width in [1024, 512, 256] {
            b.linear(width)
            b.activation(.leakyReLU(slope: 0.2))
            b.dropout(0.3)
        }
        b.linear(1)
        return b.build()
    }
}
