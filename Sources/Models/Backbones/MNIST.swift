import Neural

/// The MNIST network of the InfoGAN paper (Chen et al. 2016, appendix C.1), 28×28 images, with
/// its widths as multiples of `ngf` and `ndf` (the paper's network at the default 64):
/// ```
/// G: input (74) → Linear 16·ngf (1024), BN, ReLU → Linear 7·7·2·ngf, BN, ReLU → Unflatten (2·ngf, 7, 7)
///              → ConvT ngf (64) 4/2/1, BN, ReLU → ConvT nc 4/2/1 (bias), Tanh
/// D trunk: x (nc, 28, 28) → Conv ndf (64) 4/2/1 (bias), LeakyReLU 0.1
///                         → Conv 2·ndf (128) 4/2/1, BN, LeakyReLU 0.1 → Flatten → Linear 16·ndf (1024), BN, LeakyReLU 0.1
/// heads: Linear to their outputs; Q first Linear 2·ndf (128), BN, LeakyReLU 0.1
/// ```
/// Layers followed by BatchNorm have no bias (BN subtracts it: its gradient is zero, and Adam
/// would turn the rounding noise left in it into ±lr steps); convolutions `N(0, 0.02)`, BN
/// scales `N(1, 0.02)`, Linear layers PyTorch's default, as the common PyTorch ports do.
public struct MNISTBackbone: Backbone {
    public init() {}
    public var generatorPrefix: String { "main" }
    public var trunkPrefix: String { "trunk" }

    public func validate(_ config: ModelConfig) throws(ModelError) {
        guard config.imageSize == 28 else {
            throw ModelError("--image-size \(config.imageSize) cannot be produced by the MNIST backbone; it makes 28x28 images (use --backbone dcgan for 32, 64 or 128)")
        }
    }

    public func generator(_ b: NetworkBuilder, _ config: ModelConfig) {
        let ngf = config.ngf
        b.linear(16 * ngf, bias: false)
        b.batchNorm()
        b.activation(.relu)
        b.linear(2 * ngf * 7 * 7, bias: false)
        b.batchNorm()
        b.activation(.relu)
        b.reshape(Shape(1, 2 * ngf, 7, 7), indexed: true)
        b.convTranspose2d(ngf, kernel: 4, stride: 2, padding: 1)
        b.batchNorm()
        b.activation(.relu)
        b.convTranspose2d(config.channels, kernel: 4, stride: 2, padding: 1, bias: true)
        b.activation(.tanh)
    }

    public func trunk(_ b: NetworkBuilder, _ config: ModelConfig) {
        let ndf = config.ndf
        b.conv2d(ndf, kernel: 4, stride: 2, padding: 1, bias: true)
        b.activation(.leakyReLU(slope: 0.1))
        b.conv2d(2 * ndf, kernel: 4, stride: 2, padding: 1)
        b.batchNorm()
        b.activation(.leakyReLU(slope: 0.1))
        b.flatten()
        b.linear(16 * ndf, bias: false)
        b.batchNorm()
        b.activation(.leakyReLU(slope: 0.1))
    }

    public func project(_ b: NetworkBuilder, outputs: Int) { b.linear(outputs) }

    public func qHidden(_ b: NetworkBuilder, _ config: ModelConfig) {
        b.linear(2 * config.ndf, bias: false)
        b.batchNorm()
        b.activation(.leakyReLU(slope: 0.1))
    }
}
