import ArgumentParser
import Models

extension ModelConfig.Architecture: ExpressibleByArgument {}

/// Options that fix the networks' shapes, shared by `train` and `bench`.
struct ModelOptions: ParsableArguments {
    @Option(help: "Architecture: dcgan (Radford et al.) or mlp (Goodfellow et al.).")
    var model: ModelConfig.Architecture = .dcgan

    @Option(help: "Image side in pixels: 32, 64 or 128 for dcgan (default 32); 28 for mlp on MNIST-style data.")
    var imageSize: Int?

    @Option(help: "Image channels: 1 (grey) or 3 (RGB); default 1 for train (Fashion-MNIST), 3 for bench (the 64x64x3 DCGAN).")
    var channels: Int?

    @Option(help: "Latent size.")
    var nz: Int = 100

    @Option(help: "Generator width (channels of its last hidden layer).")
    var ngf: Int = 64

    @Option(help: "Discriminator width (channels of its first layer).")
    var ndf: Int = 64

    func config(defaultSize: Int, defaultChannels: Int) -> ModelConfig {
        ModelConfig(architecture: model, imageSize: imageSize ?? (model == .mlp ? 28 : defaultSize),
                    channels: channels ?? defaultChannels, nz: nz, ngf: ngf, ndf: ndf)
    }
}
