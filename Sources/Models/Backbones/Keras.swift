import Neural

/// The model of the widely copied Keras CelebA tutorial, 64×64 images, 5×5 kernels and
/// TensorFlow's 'same' padding (asymmetric at stride 2: `Padding.same`), with its capacity
/// `NET_CAPACITY` as `ngf` and `ndf` (the tutorial's at 16):
/// ```
/// G: z (nz) → Dense 4·4·8c, BN → reshape (8c, 4, 4)
///           → 4 × [ConvT f 5×5 stride 2 'same', BN, LeakyReLU 0.3], f = 4c, 2c, c, c → (c, 64, 64)
///           → Conv nc 5×5 'same' (bias), Tanh
/// D trunk: x (nc, 64, 64) → 4 × [Conv f 5×5 'same', BN, Conv f 5×5 stride 2 'same', BN, LeakyReLU 0.3],
///                           f = c, 2c, 4c, 8c → (8c, 4, 4) → GlobalAveragePooling → (8c)
/// heads: Dense to their outputs (the tutorial's sigmoid is folded into the loss)
/// Q: Dense 8c, BN, LeakyReLU 0.3 first
/// ```
/// Keras's initialisation: Glorot-uniform kernels, zero biases, BN `γ = 1`, `β = 0`; Keras's
/// BN (`ε = 1e-3`, moving averages with momentum 0.99, i.e. PyTorch's 0.01). Layers followed by
/// BN have no bias: Keras starts it at zero and its gradient is exactly zero (BN subtracts the
/// batch mean), so it would stay zero; leaving it out gives the same function and keeps Adam
/// from turning rounding noise in it into ±lr steps.
public struct KerasBackbone: Backbone {
    public static let imageSize = 64
    static let kernel = 5
    static let slope: Float = 0.3

    public init() {}
    public var generatorPrefix: String { "main" }
    public var trunkPrefix: String { "main" }

    public func validate(_ config: ModelConfig) throws(ModelError) {
        guard config.imageSize == Self.imageSize else {
            throw ModelError("--image-size \(config.imageSize) cannot be produced by the keras backbone; it makes 64x64 images")
        }
    }

    /// Glorot-uniform for a `k×k` convolution from `input` to `output` channels.
    static func glorot(_ input: Int, _ output: Int, kernel k: Int = kernel) -> Initialization {
        .glorotUniform(fanIn: input * k * k, fanOut: output * k * k)
    }

    static func batchNorm(_ b: NetworkBuilder) {
        b.batchNorm(scaleInit: .constant(1), epsilon: 1e-3, momentum: 0.01)
    }

    public func generator(_ b: NetworkBuilder, _ config: ModelConfig) {
        let c = config.ngf, k = Self.kernel
        b.linear(4 * 4 * 8 * c, bias: false, weightInit: .glorotUniform(fanIn: b.shape.perSample, fanOut: 4 * 4 * 8 * c))
        Self.batchNorm(b)
        b.reshape(Shape(1, 8 * c, 4, 4), indexed: true)
        for f in [4 * c, 2 * c, c, c] {
            b.convTranspose2d(f, kernel: k, stride: 2, padding: .sameTransposed(input: b.shape.h, kernel: k, stride: 2),
                              weightInit: Self.glorot(f, b.shape.c))
            Self.batchNorm(b)
            b.activation(.leakyReLU(slope: Self.slope))
        }
        b.conv2d(config.channels, kernel: k, stride: 1, padding: .same(input: b.shape.h, kernel: k, stride: 1), bias: true,
                 weightInit: Self.glorot(b.shape.c, config.channels), biasInit: .constant(0))
        b.activation(.tanh)
    }

    public func trunk(_ b: NetworkBuilder, _ config: ModelConfig) {
        let c = config.ndf, k = Self.kernel
        for f in [c, 2 * c, 4 * c, 8 * c] {
            b.conv2d(f, kernel: k, stride: 1, padding: .same(input: b.shape.h, kernel: k, stride: 1), weightInit: Self.glorot(b.shape.c, f))
            Self.batchNorm(b)
            b.conv2d(f, kernel: k, stride: 2, padding: .same(input: b.shape.h, kernel: k, stride: 2), weightInit: Self.glorot(f, f))
            Self.batchNorm(b)
            b.activation(.leakyReLU(slope: Self.slope))
        }
        b.globalAveragePool()
    }

    public func project(_ b: NetworkBuilder, outputs: Int) {
        b.linear(outputs, weightInit: .glorotUniform(fanIn: b.shape.perSample, fanOut: outputs), biasInit: .constant(0))
    }

    public func qHidden(_ b: NetworkBuilder, _ config: ModelConfig) {
        b.linear(8 * config.ndf, bias: false, weightInit: .glorotUniform(fanIn: b.shape.perSample, fanOut: 8 * config.ndf))
        Self.batchNorm(b)
        b.activation(.leakyReLU(slope: Self.slope))
    }
}
