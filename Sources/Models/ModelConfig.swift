import Neural

/// The architecture and its hyperparameters: everything that fixes the shapes of G and D.
public struct ModelConfig: Codable, Equatable, Sendable {
    public enum Architecture: String, Codable, Sendable, CaseIterable {
        /// Radford et al. (2015), as pytorch/examples `dcgan/main.py`.
        case dcgan
        /// The fully connected GAN of Goodfellow et al. (2014) as commonly written for MNIST.
        case mlp
    }

    public var architecture: Architecture
    /// Square images of `imageSize × imageSize` pixels with `channels` channels.
    public var imageSize: Int
    public var channels: Int
    /// Latent size `nz`, generator and discriminator widths `ngf`, `ndf`.
    public var nz: Int
    public var ngf: Int
    public var ndf: Int

    public init(architecture: Architecture = .dcgan, imageSize: Int = 32, channels: Int = 1,
                nz: Int = 100, ngf: Int = 64, ndf: Int = 64) {
        self.architecture = architecture
        self.imageSize = imageSize
        self.channels = channels
        self.nz = nz
        self.ngf = ngf
        self.ndf = ndf
    }

    /// Per-sample image shape `(1, channels, imageSize, imageSize)`.
    public var imageShape: Shape { Shape(1, channels, imageSize, imageSize) }
    /// Per-sample latent shape `(1, nz, 1, 1)`.
    public var latentShape: Shape { Shape(1, nz, 1, 1) }

    /// Checks that the architecture can produce these shapes; the message names the option.
    public func validate() throws(ModelError) {
        guard channels == 1 || channels == 3 else {
            throw ModelError("--channels must be 1 or 3, got \(channels)")
        }
        guard nz > 0, ngf > 0, ndf > 0 else {
            throw ModelError("--nz, --ngf and --ndf must be positive (got \(nz), \(ngf), \(ndf))")
        }
        switch architecture {
        case .dcgan:
            guard DCGAN.supportedSizes.contains(imageSize) else {
                throw ModelError("--image-size \(imageSize) cannot be produced by the DCGAN; use one of \(DCGAN.supportedSizes.map(String.init).joined(separator: ", "))")
            }
        case .mlp:
            guard imageSize >= 4 && imageSize <= 128 else {
                throw ModelError("--image-size \(imageSize) is out of range for the MLP GAN (4 to 128)")
            }
        }
    }

    /// The generator `z (n, nz, 1, 1)` → `image (n, channels, size, size)` in [-1, 1].
    public func generator(batch: Int) -> Network {
        switch architecture {
        case .dcgan: DCGAN.generator(self, batch: batch)
        case .mlp: MLPGAN.generator(self, batch: batch)
        }
    }

    /// The discriminator `image (n, channels, size, size)` → `logit (n, 1, 1, 1)`.
    public func discriminator(batch: Int) -> Network {
        switch architecture {
        case .dcgan: DCGAN.discriminator(self, batch: batch)
        case .mlp: MLPGAN.discriminator(self, batch: batch)
        }
    }
}

/// A model configuration the architecture cannot build.
public struct ModelError: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}
