import Neural

/// The DCGAN of pytorch/examples `dcgan/main.py`, for square sizes `4·2^k`:
/// 4×4 kernels, bias-free convolutions, BatchNorm on every G layer but the output and on
/// every D layer but the first, ReLU and Tanh in G, LeakyReLU(0.2) in D, one logit out
/// (main.py's final Sigmoid is folded into the loss, `BCEWithLogits`).
/// Each doubling of the image size adds one stride-2 layer to each network.
/// Weights `N(0, 0.02)`, BN scales `N(1, 0.02)`, BN shifts 0, as main.py's `weights_init`.
public struct DCGAN: Backbone {
    public static let supportedSizes = [32, 64, 128]

    public init() {}
    public var generatorPrefix: String { "main" }
    public var trunkPrefix: String { "main" }

    /// Stride-2 layers per network: 3 for 32, 4 for 64, 5 for 128.
    static func doublings(_ size: Int) -> Int {
        var k = 0, s = 4
        while s < size { s *= 2; k += 1 }
        precondition(s == size && k >= 1, "DCGAN image size \(size) is not 4·2^k")
        return k
    }

    public func validate(_ config: ModelConfig) throws(ModelError) {
        guard Self.supportedSizes.contains(config.imageSize) else {
            throw ModelError("--image-size \(config.imageSize) cannot be produced by the DCGAN; use one of \(Self.supportedSizes.map(String.init).joined(separator: ", "))")
        }
    }

    /// For 64×64 (`k = 4`), as main.py (`nz` is the whole input width):
    /// ```
    /// z (nz, 1, 1) → ConvT 4/1/0 → (ngf*8, 4, 4) → BN, ReLU
    ///             → ConvT 4/2/1 → (ngf*4, 8, 8) → BN, ReLU
    ///             → ConvT 4/2/1 → (ngf*2, 16, 16) → BN, ReLU
    ///             → ConvT 4/2/1 → (ngf, 32, 32) → BN, ReLU
    ///             → ConvT 4/2/1 → (nc, 64, 64) → Tanh
    /// ```
    public func generator(_ b: NetworkBuilder, _ config: ModelConfig) {
        let k = Self.doublings(config.imageSize)
        var ch = config.ngf << (k - 1)
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
    }

    /// For 64×64, as main.py up to its last layer (which is a head here):
    /// ```
    /// x (nc, 64, 64) → Conv 4/2/1 → (ndf, 32, 32) → LeakyReLU
    ///               → Conv 4/2/1 → (ndf*2, 16, 16) → BN, LeakyReLU
    ///               → Conv 4/2/1 → (ndf*4, 8, 8) → BN, LeakyReLU
    ///               → Conv 4/2/1 → (ndf*8, 4, 4) → BN, LeakyReLU
    /// ```
    public func trunk(_ b: NetworkBuilder, _ config: ModelConfig) {
        let k = Self.doublings(config.imageSize)
        var ch = config.ndf
        b.conv2d(ch, kernel: 4, stride: 2, padding: 1)
        b.activation(.leakyReLU(slope: 0.2))
        for _ in 0..<(k - 1) {
            b.conv2d(ch * 2, kernel: 4, stride: 2, padding: 1)
            b.batchNorm()
            b.activation(.leakyReLU(slope: 0.2))
            ch *= 2
        }
    }

    /// main.py's last layer: `Conv 4/1/0 → (outputs, 1, 1)`.
    public func project(_ b: NetworkBuilder, outputs: Int) {
        b.conv2d(outputs, kernel: 4, stride: 1, padding: 0)
    }

    /// `Conv 4/1/0 → (2·ndf, 1, 1)` (128 at the default width), BN, LeakyReLU(0.2).
    public func qHidden(_ b: NetworkBuilder, _ config: ModelConfig) {
        b.conv2d(2 * config.ndf, kernel: 4, stride: 1, padding: 0)
        b.batchNorm()
        b.activation(.leakyReLU(slope: 0.2))
    }
}
