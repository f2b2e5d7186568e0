import ArgumentParser
import Data
import Foundation
import Models

extension ModelConfig.Architecture: ExpressibleByArgument {}
extension ModelConfig.BackboneName: ExpressibleByArgument {}

/// Options that fix the networks' shapes, shared by `train` and `bench`.
struct ModelOptions: ParsableArguments {
    @Option(help: "Architecture: dcgan (Radford et al.), mlp (Goodfellow et al.), acgan (Odena et al., needs labels), infogan (Chen et al.) or keras-celeba (the Keras CelebA tutorial's model and schedule).")
    var model: ModelConfig.Architecture = .dcgan

    @Option(help: "Layers under the conditioning: dcgan (32/64/128 px), mnist (the InfoGAN paper's 28x28 network), mlp or keras (the Keras CelebA tutorial's 64x64 network). Default: the architecture's (acgan: dcgan, infogan: mnist, keras-celeba: keras).")
    var backbone: ModelConfig.BackboneName?

    @Option(parsing: .unconditional, help: "Image side in pixels: 32, 64 or 128 for the dcgan backbone (default 32); 28 for mlp and mnist; 64 for keras.")
    var imageSize: Int?

    @Option(parsing: .unconditional, help: "Image channels: 1 (grey) or 3 (RGB); default 1 for train (Fashion-MNIST), 3 for bench (the 64x64x3 DCGAN); a packed --data file states its own.")
    var channels: Int?

    @Option(parsing: .unconditional, help: "Noise size (default 100; 62 for infogan).")
    var nz: Int?

    @Option(parsing: .unconditional, help: "Generator width (channels of its last hidden layer; default 64, 16 for the keras backbone).")
    var ngf: Int?

    @Option(parsing: .unconditional, help: "Discriminator width (channels of its first layer; default 64, 16 for the keras backbone).")
    var ndf: Int?

    @Option(help: "InfoGAN: sizes of the categorical codes, comma-separated (default 10).")
    var categorical: String?

    @Option(parsing: .unconditional, help: "InfoGAN: number of continuous codes U(-1, 1) (default 2).")
    var continuous: Int?

    /// The configuration with defaults filled in. The dataset (`data`) states what it knows of
    /// itself: a packed file its image size and channels (taken from it when not given; a given
    /// value that differs is an error naming the option), and its labels' class count (AC-GAN).
    func config(defaultSize: Int, defaultChannels: Int, data: String? = nil, classes defaultClasses: Int = 10) throws -> ModelConfig {
        let resolvedBackbone = backbone ?? model.defaultBackbone
        var size = imageSize ?? resolvedBackbone.defaultImageSize ?? defaultSize
        var planes = channels ?? defaultChannels
        var classes = model == .acgan ? defaultClasses : 0
        if let data {
            let description: DatasetSource.Description
            do { description = try DatasetSource.describe(data) } catch { throw ValidationError(error.description) }
            if description.isPacked, let h = description.imageSize, let c = description.channels {
                if let imageSize, imageSize != h {
                    throw ValidationError("--image-size \(imageSize) does not match the \(h)x\(h) images of --data \(data); prepare it with --size \(imageSize)")
                }
                if let channels, channels != c {
                    throw ValidationError("--channels \(channels) does not match the \(c)-channel images of --data \(data)")
                }
                size = h
                planes = c
            }
            if model == .acgan {
                guard description.classes >= 2 else {
                    throw ValidationError("--model acgan needs labelled images, but --data \(data) has no labels (prepare a folder with one subfolder per class)")
                }
                classes = description.classes
            }
        }
        var codes: [Int] = []
        if model == .infogan {
            let text = categorical ?? "10"
            let parts = text.split(separator: ",", omittingEmptySubsequences: false).map { Int($0.trimmingCharacters(in: .whitespaces)) }
            guard text.isEmpty || parts.allSatisfy({ $0 != nil }) else { throw ValidationError("--categorical takes comma-separated sizes, got '\(text)'") }
            codes = text.isEmpty ? [] : parts.map { $0! }
        }
        return ModelConfig(architecture: model, backbone: backbone, imageSize: size, channels: planes,
                           nz: nz ?? (model == .infogan ? 62 : 100), ngf: ngf ?? resolvedBackbone.defaultWidth,
                           ndf: ndf ?? resolvedBackbone.defaultWidth, classes: classes,
                           categorical: codes, continuous: model == .infogan ? (continuous ?? 2) : 0)
    }
}
