import Neural

/// The DCGAN of pytorch/examples `dcgan/main.py`, for square sizes `4·2^k`:
/// 4×4 kernels, bias-free convolutions, BatchNorm on every G layer but the output and on
/// every D layer but the first, ReLU and Tanh in G, LeakyReLU(0.2) in D, one logit out
/// (main.py's final Sigmoid is folded into the loss, `BCEWithLogits`).
/// Each doubling of the image size adds one stride-2 layer to each network.
/// Weights `N(0, 0.02)`, BN scales `N(1, 0.02)`, BN shifts 0, as main.py's `weights_init`.
public enum DCGAN {
    public static let supportedSizes = [32, 64, 128]

    /// Stride-2 layers per network: 3 for 32, 4 for 64, 5 for 128.
    static func doublings(_ size: Int) -> Int {
        var k = 0, s = 4
        while s < size { s *= 2; k += 1 }
        precondition(s == size && k >= 1, "DCGAN image size \(size) is not 4·2^k")
        return k
    }

    /// For 64×64 (`k = 4`), as main.py:
    /// ```
    /// z (nz, 1, 1) → ConvT 4/1/0 → (ngf*8, 4, 4) → BN, ReLU
    ///             → ConvT 4/2/1 → (ngf*4, 8, 8) → BN, ReLU
    ///             → ConvT 4/2/1 → (ngf*2, 16, 16) → BN, ReLU
    ///             → ConvT 4/2/1 → (ngf, 32, 32) → BN, ReLU
    ///             → ConvT 4/2/1 → (nc, 64, 64) → Tanh
    /// ```
    public static func generator(_ config: ModelConfig, batch: Int) -> Network {
        let k = doublings(config.imageSize)
        var ch = config.ngf << (k - 1)
        let b = NetworkBuilder(input: config.latentShape.batch(batch))
        b.convTranspose2d(ch, kernel: 4, stride: 1, padding: 0)
        b.batchNorm()
        b.activation(.relu)
        for _ in 0..<(k - 1) {
            b.convTranspose2d(ch / 2, kernel: 4, stride: 2, padding: 1)
            b.batchNorm()
            b.activation(.relu)
            ch /= 2
        }
        b.convTranspose2d(config.channels, kernel: 4, stride: 2, padding: 1)
        b.activation(.tanh)
        return b.build()
    }

    /// For 64×64, as main.py:
    /// ```
    /// x (nc, 64, 64) → Conv 4/2/1 → (ndf, 32, 32) → LeakyReLU
    ///               → Conv 4/2/1 → (ndf*2, 16, 16) → BN, LeakyReLU
    ///               → Conv 4/2/1 → (ndf*4, 8, 8) → BN, LeakyReLU
    ///               → Conv 4/2/1 → (ndf*8, 4, 4) → BN, LeakyReLU
    ///               → Conv 4/1/0 → (1, 1, 1) logit
    /// ```
    public static func discriminator(_ config: ModelConfig, batch: Int) -> Network {
        let k = doublings(config.imageSize)
        var ch = config.ndf
        let b = NetworkBuilder(input: config.imageShape.batch(batch))
        b.conv2d(ch, kernel: 4, stride: 2, padding: 1)
        b.activation(.leakyReLU(slope: 0.2))
        for _ in 0..<(k - 1) {
            b.conv2d(ch * 2, kernel: 4, stride: 2, padding: 1)
            b.batchNorm()
            b.activation(.leakyReLU(slope: 0.2))
            ch *= 2
        }
        b.conv2d(1, kernel: 4, stride: 1, padding: 0)
        return b.build()
    }
}
