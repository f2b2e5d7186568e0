import Neural

/// The MNIST network of the InfoGAN paper (Chen et al. 2016, appendix C.1), 28×28 images:
/// ```
/// G: input (74) → Linear 1024, BN, ReLU → Linear 7·7·128, BN, ReLU → Unflatten (128, 7, 7)
///              → ConvT 64 4/2/1, BN, ReLU → ConvT nc 4/2/1 (bias), Tanh
/// D trunk: x (nc, 28, 28) → Conv 64 4/2/1 (bias), LeakyReLU 0.1
///                         → Conv 128 4/2/1, BN, LeakyReLU 0.1 → Flatten → Linear 1024, BN, LeakyReLU 0.1
/// heads: Linear to their outputs; Q first Linear 128, BN, LeakyReLU 0.1
/// ```
/// Convolutions followed by BatchNorm have no bias; convolutions `N(0, 0.02)`, BN scales
/// `N(1, 0.02)`, Linear layers PyTorch's default, as the common PyTorch ports do.
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
        b.linear(1024)
        b.batchNorm()
        b.activation(.relu)
        b.linear(128 * 7 * 7)
        b.batchNorm()
        b.activation(.relu)
        b.reshape(Shape(1, 128, 7, 7), indexed: true)
        b.convTranspose2d(64, kernel: 4, stride: 2, padding: 1)
        b.batchNorm()
        b.activation(.relu)
        b.convTranspose2d(config.channels, kernel: 4, stride: 2, padding: 1, bias: true)
        b.activation(.tanh)
    }

    public func trunk(_ b: NetworkBuilder, _ config: ModelConfig) {
        b.conv2d(64, kernel: 4, stride: 2, padding: 1, bias: true)
        b.activation(.leakyReLU(slope: 0.1))
        b.conv2d(128, kernel: 4, stride: 2, padding: 1)
        b.batchNorm()
        b.activation(.leakyReLU(slope: 0.1))
        b.flatten()
        b.linear(1024)
        b.batchNorm()
        b.activation(.leakyReLU(slope: 0.1))
    }

    public func project(_ b: NetworkBuilder, outputs: Int) { b.linear(outputs) }

    public func qHidden(_ b: NetworkBuilder) {
        b.linear(128)
        b.batchNorm()
        b.activation(.leakyReLU(slope: 0.1))
    }
}
