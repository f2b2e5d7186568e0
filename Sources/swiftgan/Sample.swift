import ArgumentParser
import Foundation
import Storage
import Training

struct Sample: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Generate images with G from a checkpoint (eval mode): a PNG grid and optionally a .npy array.")

    @Option(help: "Checkpoint file (.safetensors).")
    var checkpoint: String

    @Option(parsing: .unconditional, help: "Number of images (when no --latents are given).")
    var count = 64

    @Option(parsing: .unconditional, help: "Seed of the latents (default: the checkpoint's, which reproduces the training sample grids).")
    var seed: UInt64?

    @Option(help: "Latents as a float32 .npy array of shape (N, nz).")
    var latents: String?

    @Option(help: "Output PNG grid.")
    var out = "samples.png"

    @Option(help: "Also write the images as a float32 .npy array (N, C, H, W) in [-1, 1].")
    var saveNpy: String?

    func run() throws {
        guard count > 0 else { throw ValidationError("--count must be positive, got \(count)") }
        SignalCleanup.exitOnSignal()
        let generation = try Generation(checkpoint: URL(fileURLWithPath: checkpoint))
        let model = generation.model
        if latents == nil {
            // Latents, images and the grid's pixels, all held at once.
            let perImage = 4 * (model.nz + 2 * model.channels * model.imageSize * model.imageSize)
            let (needed, overflow) = count.multipliedReportingOverflow(by: perImage)
            let available = SystemMemory.available()
            if overflow || needed > available / 2 {
                throw ValidationError("--count \(count) needs about \(overflow ? "more than 8 EiB" : SystemMemory.describe(needed)) of memory, \(SystemMemory.describe(available)) is available; lower --count")
            }
        }
        let z = try latents.map { try generation.latents(npy: URL(fileURLWithPath: $0)) } ?? generation.latents(count: count, seed: seed)
        let images = try generation.generate(z)
        let n = z.count / model.nz
        try images.withUnsafeBufferPointer { buffer in
            try SampleGrid.write(buffer.baseAddress!, count: n, channels: model.channels, height: model.imageSize,
                                 width: model.imageSize, to: out)
            if let saveNpy {
                try NPY.write(saveNpy, shape: [n, model.channels, model.imageSize, model.imageSize], values: buffer)
            }
        }
        print("wrote \(n) images to \(out)\(saveNpy.map { " and \($0)" } ?? "")")
    }
}
