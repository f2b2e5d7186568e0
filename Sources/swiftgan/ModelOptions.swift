import ArgumentParser
import Data
import Foundation
import Models

extension ModelConfig.Architecture: ExpressibleByArgument {}

/// Options that fix the networks' shapes, shared by `train` and `bench`.
struct ModelOptions: ParsableArguments {
    @Option(help: "Architecture: dcgan (Radford et al.) or mlp (Goodfellow et al.).")
    var model: ModelConfig.Architecture = .dcgan

    @Option(parsing: .unconditional, help: "Image side in pixels: 32, 64 or 128 for dcgan (default 32); 28 for mlp on MNIST-style data.")
    var imageSize: Int?

    @Option(parsing: .unconditional, help: "Image channels: 1 (grey) or 3 (RGB); default 1 for train (Fashion-MNIST), 3 for bench (the 64x64x3 DCGAN).")
    var channels: Int?

    @Option(parsing: .unconditional, help: "Latent size.")
    var nz: Int = 100

    @Option(parsing: .unconditional, help: "Generator width (channels of its last hidden layer).")
    var ngf: Int = 64

    @Option(parsing: .unconditional, help: "Discriminator width (channels of its first layer).")
    var ndf: Int = 64

    /// The configuration with defaults filled in. A packed dataset file (`data`) states its
    /// image size and channels: they are taken from it when not given, and a given value
    /// that differs is an error naming the option.
    func config(defaultSize: Int, defaultChannels: Int, data: String? = nil) throws -> ModelConfig {
        var size = imageSize ?? (model == .mlp ? 28 : defaultSize)
        var planes = channels ?? defaultChannels
        if let data, FileManager.default.fileExists(atPath: data), !FileManager.default.isDirectory(data) {
            let header: PackedDataset.Header
            do { header = try PackedDataset.header(data) } catch { throw ValidationError("--data \(error.description)") }
            if let imageSize, imageSize != header.height {
                throw ValidationError("--image-size \(imageSize) does not match the \(header.width)x\(header.height) images of --data \(data); prepare it with --size \(imageSize)")
            }
            if let channels, channels != header.channels {
                throw ValidationError("--channels \(channels) does not match the \(header.channels)-channel images of --data \(data)")
            }
            size = header.height
            planes = header.channels
        }
        return ModelConfig(architecture: model, imageSize: size, channels: planes, nz: nz, ngf: ngf, ndf: ndf)
    }
}

extension FileManager {
    func isDirectory(_ path: String) -> Bool {
        var flag: ObjCBool = false
        return fileExists(atPath: path, isDirectory: &flag) && flag.boolValue
    }
}
