import Neural

/// The architecture and its hyperparameters: everything that fixes the shapes of G and D.
/// A model is a backbone (`Backbone`) and a conditioning (`Conditioning`); the architecture
/// names a common pairing, and `--backbone` may change its backbone.
public struct ModelConfig: Codable, Equatable, Sendable {
    public enum Architecture: String, Codable, Sendable, CaseIterable {
        /// Radford et al. (2015), as pytorch/examples `dcgan/main.py`.
        case dcgan
        /// The fully connected GAN of Goodfellow et al. (2014) as commonly written for MNIST.
        case mlp
        /// Odena et al. (2017): G takes a class, D also classifies.
        case acgan
        /// Chen et al. (2016): G takes latent codes that a Q head on D's trunk recovers.
        case infogan
        /// The unconditional GAN of the Keras CelebA tutorial (`KerasBackbone`), trained with
        /// its schedule (separate D updates on real and fake batches, batch 32).
        case kerasCeleba = "keras-celeba"

        /// The backbone it pairs with unless `--backbone` says otherwise.
        public var defaultBackbone: BackboneName {
            switch self {
            case .dcgan, .acgan: .dcgan
            case .mlp: .mlp
            case .infogan: .mnist
            case .kerasCeleba: .keras
            }
        }

        /// Its name in prose.
        public var title: String {
            switch self {
            case .dcgan: "DCGAN"
            case .mlp: "MLP GAN"
            case .acgan: "AC-GAN"
            case .infogan: "InfoGAN"
            case .kerasCeleba: "Keras-style CelebA GAN"
            }
        }
    }

    public enum BackboneName: String, Codable, Sendable, CaseIterable {
        case dcgan, mlp, mnist, keras

        /// The image size it makes unless `--image-size` says otherwise (nil: the command's default).
        public var defaultImageSize: Int? {
            switch self {
            case .dcgan: nil
            case .mlp, .mnist: 28
            case .keras: KerasBackbone.imageSize
            }
        }

        /// The default `ngf` and `ndf` (the Keras tutorial's NET_CAPACITY for keras).
        public var defaultWidth: Int { self == .keras ? 16 : 64 }
    }

    public var architecture: Architecture
    /// nil: the architecture's own (`Architecture.defaultBackbone`).
    public var backbone: BackboneName?
    /// Square images of `imageSize × imageSize` pixels with `channels` channels.
    public var imageSize: Int
    public var channels: Int
    /// Noise size `nz`, generator and discriminator widths `ngf`, `ndf`.
    public var nz: Int
    public var ngf: Int
    public var ndf: Int
    /// AC-GAN: the number of classes (from the dataset's labels).
    public var classes: Int
    /// InfoGAN: categorical code sizes and the number of continuous codes.
    public var categorical: [Int]
    public var continuous: Int

    public init(architecture: Architecture = .dcgan, backbone: BackboneName? = nil, imageSize: Int = 32, channels: Int = 1,
                nz: Int = 100, ngf: Int = 64, ndf: Int = 64, classes: Int = 0, categorical: [Int] = [], continuous: Int = 0) {
        self.architecture = architecture
        self.backbone = backbone
        self.imageSize = imageSize
        self.channels = channels
        self.nz = nz
        self.ngf = ngf
        self.ndf = ndf
        self.classes = classes
        self.categorical = categorical
        self.continuous = continuous
    }

    /// Keys added after version 1 of the checkpoint format are optional.
    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        architecture = try c.decode(Architecture.self, forKey: .architecture)
        backbone = try c.decodeIfPresent(BackboneName.self, forKey: .backbone)
        imageSize = try c.decode(Int.self, forKey: .imageSize)
        channels = try c.decode(Int.self, forKey: .channels)
        nz = try c.decode(Int.self, forKey: .nz)
        ngf = try c.decode(Int.self, forKey: .ngf)
        ndf = try c.decode(Int.self, forKey: .ndf)
        classes = try c.decodeIfPresent(Int.self, forKey: .classes) ?? 0
        categorical = try c.decodeIfPresent([Int].self, forKey: .categorical) ?? []
        continuous = try c.decodeIfPresent(Int.self, forKey: .continuous) ?? 0
    }

    public var resolvedBackbone: BackboneName {
        backbone ?? architecture.defaultBackbone
    }

    public var backboneLayers: any Backbone {
        switch resolvedBackbone {
        case .dcgan: DCGAN()
        case .mlp: MLPGAN()
        case .mnist: MNISTBackbone()
        case .keras: KerasBackbone()
        }
    }

    /// What G takes and what D's heads answer.
    public var conditioning: Conditioning {
        switch architecture {
        case .dcgan, .mlp, .kerasCeleba: Conditioning(noise: nz)
        case .acgan: Conditioning(noise: nz, classes: classes)
        case .infogan: Conditioning(noise: nz, categorical: categorical, continuous: continuous)
        }
    }

    /// Per-sample image shape `(1, channels, imageSize, imageSize)`.
    public var imageShape: Shape { Shape(1, channels, imageSize, imageSize) }
    /// Per-sample generator input shape `(1, width, 1, 1)`.
    public var latentShape: Shape { Shape(1, conditioning.width, 1, 1) }

    /// Checks that the architecture can produce these shapes; the message names the option.
    public func validate() throws(ModelError) {
        guard channels == 1 || channels == 3 else {
            throw ModelError("--channels must be 1 or 3, got \(channels)")
        }
        guard nz > 0, ngf > 0, ndf > 0 else {
            throw ModelError("--nz, --ngf and --ndf must be positive (got \(nz), \(ngf), \(ndf))")
        }
        guard nz <= 1 << 20, ngf <= 1 << 20, ndf <= 1 << 20 else {
            throw ModelError("--nz, --ngf and --ndf must be at most 1048576 (got \(nz), \(ngf), \(ndf))")
        }
        if architecture == .acgan {
            guard classes >= 2 && classes <= 1 << 16 else {
                throw ModelError("the AC-GAN needs labelled data with at least 2 classes (the data has \(classes)); --data must have labels")
            }
        }
        if architecture == .infogan {
            guard categorical.allSatisfy({ $0 >= 2 && $0 <= 1024 }), continuous >= 0, continuous <= 64,
                  !categorical.isEmpty || continuous > 0 else {
                throw ModelError("InfoGAN needs codes: --categorical sizes from 2 to 1024 and --continuous from 0 to 64, not both empty")
            }
        }
        try backboneLayers.validate(self)
    }

    // MARK: Building

    /// The generator `input (n, width, 1, 1)` → `image (n, channels, size, size)` in [-1, 1],
    /// unbuilt, so that its memory can be estimated first.
    public func generatorBuilder(batch: Int, microBatch: Int = 0) -> NetworkBuilder {
        let backbone = backboneLayers
        let b = NetworkBuilder(input: latentShape.batch(batch), prefix: backbone.generatorPrefix)
        b.microBatch = microBatch
        backbone.generator(b, self)
        return b
    }

    /// The discriminator `image (n, channels, size, size)` → its trunk and heads, unbuilt.
    /// With the adversarial head alone, the head continues the trunk's module numbering, as in
    /// the unconditional models' PyTorch Sequentials (DCGAN's logit convolution is `main.11`);
    /// with several heads, each has its own prefix (`adv.0`, `cls.0`, `q.0`, …). Q's final Linear
    /// follows a Flatten (`q.4`), as its PyTorch Sequential needs one after a convolution.
    public func discriminatorBuilder(batch: Int, microBatch: Int = 0) -> NetworkBuilder {
        let backbone = backboneLayers
        let b = NetworkBuilder(input: imageShape.batch(batch), prefix: backbone.trunkPrefix)
        b.microBatch = microBatch
        backbone.trunk(b, self)
        let heads = conditioning.heads
        for head in heads {
            if heads.count == 1 {
                b.head(head.name, prefix: backbone.trunkPrefix, index: b.trunkIndex)
            } else {
                b.head(head.name, prefix: head.name)
            }
            if case .q = head {
                // Q: hidden layers, then a Linear after a Flatten (q.3), whatever the backbone.
                backbone.qHidden(b, self)
                b.flatten()
                b.linear(head.width)
            } else {
                backbone.project(b, outputs: head.width)
            }
        }
        return b
    }

    /// `microBatch`: the samples per micro-batch it will run (0: whole batches).
    public func generator(batch: Int, microBatch: Int = 0) -> Network { generatorBuilder(batch: batch, microBatch: microBatch).build() }
    public func discriminator(batch: Int, microBatch: Int = 0) -> Network { discriminatorBuilder(batch: batch, microBatch: microBatch).build() }

    /// Bytes G and D (parameters, gradients, Adam moments, activations and scratch) need at
    /// `batch`, with `partials` per-micro-batch gradient copies of the larger network and its
    /// fixed-point accumulator (exact reductions).
    public func estimatedBytes(batch: Int, partials: Int = 0) -> Int {
        let g = generatorBuilder(batch: batch), d = discriminatorBuilder(batch: batch)
        let largest = max(g.parameterCount, d.parameterCount)
        return g.estimatedBytes + d.estimatedBytes + (partials > 0 ? (4 * partials + 8) * largest : 0)
    }
}

/// A model configuration the architecture cannot build.
public struct ModelError: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}
