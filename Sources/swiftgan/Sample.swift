import ArgumentParser
import Foundation
import Inference
import Models
import Storage

struct Sample: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Generate images with G from a checkpoint (eval mode): a PNG grid and optionally .npy arrays.",
        discussion: "Without options it draws the training run's own sample grid (samples/step-N.png of that checkpoint). --class and --codes set the conditioning of AC-GAN and InfoGAN models.")

    @Option(help: "Checkpoint file (.safetensors).")
    var checkpoint: String

    @Option(parsing: .unconditional, help: "Number of images (default: the training grid).")
    var count: Int?

    @Option(parsing: .unconditional, help: "Seed of the noise (default: the checkpoint's, which reproduces the training sample grids).")
    var seed: UInt64?

    @Option(parsing: .unconditional, help: "AC-GAN: the class of every image; InfoGAN: the value of the first categorical code.")
    var `class`: Int?

    @Option(help: "InfoGAN: values of the continuous codes, comma-separated (e.g. 0.5,-1).")
    var codes: String?

    @Option(help: "Noise as a float32 .npy array of shape (N, nz), or whole generator inputs (N, input width).")
    var latents: String?

    @Option(help: "Output PNG grid.")
    var out = "samples.png"

    @Option(help: "Also write the images as a float32 .npy array (N, C, H, W) in [-1, 1].")
    var saveNpy: String?

    @Option(help: "Also write the generator inputs used as a float32 .npy array (N, input width), a sheet for latent walk/arithmetic; the PNG then shows each image's index.")
    var saveLatents: String?

    func run() throws {
        if let count, count <= 0 { throw ValidationError("--count must be positive, got \(count)") }
        SignalCleanup.exitOnSignal()
        let trained = try TrainedModel(checkpoint: checkpoint)
        let model = trained.model, c = model.conditioning
        if let k = `class` {
            let limit = c.classes > 0 ? c.classes : c.categorical.first ?? 0
            guard limit > 0 else { throw ValidationError("--class needs an AC-GAN or an InfoGAN with a categorical code; this checkpoint is \(model.architecture.rawValue)") }
            guard (0..<limit).contains(k) else { throw ValidationError("--class \(k) is outside 0..<\(limit)") }
        }
        var continuous: [Float] = []
        if let codes {
            guard c.continuous > 0 else { throw ValidationError("--codes needs an InfoGAN with continuous codes; this checkpoint is \(model.architecture.rawValue)") }
            let values = codes.split(separator: ",").map { Float($0.trimmingCharacters(in: .whitespaces)) }
            guard values.count == c.continuous, values.allSatisfy({ $0 != nil && $0!.isFinite }) else {
                throw ValidationError("--codes takes \(c.continuous) comma-separated numbers, got '\(codes)'")
            }
            continuous = values.map { $0! }
        }
        var inputs: [Float], columns = 8
        let seed = seed ?? trained.seed
        if let latents {
            inputs = try Self.readLatents(latents, c)
        } else if count == nil && `class` == nil && codes == nil {
            let sheet = SampleSheets.training(model, seed: seed)[0]
            inputs = sheet.inputs
            columns = sheet.columns
        } else {
            let n = count ?? 64
            let perImage = 4 * (c.width + 2 * model.channels * model.imageSize * model.imageSize)
            let (needed, overflow) = n.multipliedReportingOverflow(by: perImage)
            let available = SystemMemory.available()
            if overflow || needed > available / 2 {
                throw ValidationError("--count \(n) needs about \(overflow ? "more than 8 EiB" : SystemMemory.describe(needed)) of memory, \(SystemMemory.describe(available)) is available; lower --count")
            }
            inputs = SampleSheets.inputs(c, count: n, seed: seed)
        }
        let n = inputs.count / c.width
        if `class` != nil || codes != nil {
            for s in 0..<n {
                SampleSheets.condition(&inputs, c, sample: s, class: c.classes > 0 ? `class` : nil,
                                       codes: c.classes == 0 ? `class`.map { [$0] } ?? [] : [], continuous: continuous)
            }
        }
        let generator = try trained.generator(batch: min(n, 64))
        let images = Generation.images(generator, inputs: inputs)
        try images.withUnsafeBufferPointer { buffer in
            // A sheet whose latents are saved labels each image with its index, to pick them by.
            try SampleGrid.write(buffer.baseAddress!, count: n, channels: model.channels, height: model.imageSize,
                                 width: model.imageSize, columns: columns, labels: saveLatents != nil, to: out)
            if let saveNpy {
                try NPY.write(saveNpy, shape: [n, model.channels, model.imageSize, model.imageSize], values: buffer)
            }
        }
        if let saveLatents {
            try inputs.withUnsafeBufferPointer { try NPY.write(saveLatents, shape: [n, c.width], values: $0) }
        }
        print("wrote \(n) images to \(out)\([saveNpy, saveLatents].compactMap { $0 }.map { " and \($0)" }.joined())")
    }

    /// Noise `(N, nz)` (conditioning then from the options) or whole inputs `(N, width)`; finite.
    static func readLatents(_ path: String, _ c: Conditioning) throws -> [Float] {
        let (shape, values) = try NPY.read(path)
        let squeezed = shape.count == 4 && shape[2] == 1 && shape[3] == 1 ? Array(shape.prefix(2)) : shape
        guard squeezed.count == 2, squeezed[0] > 0, squeezed[1] == c.noise || squeezed[1] == c.width else {
            let expected = c.width == c.noise ? "(N, \(c.noise))" : "(N, \(c.noise)) or (N, \(c.width))"
            throw ValidationError("--latents \(path): shape \(shape), expected \(expected)")
        }
        if let bad = values.firstIndex(where: { !$0.isFinite }) {
            throw ValidationError("--latents \(path): value \(values[bad]) at row \(bad / squeezed[1]), column \(bad % squeezed[1]); latents must be finite")
        }
        guard squeezed[1] != c.width else { return values }
        var inputs = SampleSheets.inputs(c, count: squeezed[0], seed: 0)
        for s in 0..<squeezed[0] { for j in 0..<c.noise { inputs[s * c.width + j] = values[s * c.noise + j] } }
        return inputs
    }
}
