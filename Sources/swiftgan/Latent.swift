import ArgumentParser
import Foundation
import Inference
import Models
import Neural
import Storage

struct Latent: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Walks and vector arithmetic in G's input space (Radford et al. 2015, §6).",
        subcommands: [Walk.self, Arithmetic.self])

    /// Options every latent tool shares.
    struct Common: ParsableArguments {
        @Option(help: "Checkpoint file (.safetensors).")
        var checkpoint: String

        @Option(parsing: .unconditional, help: "AC-GAN: the class of every image; InfoGAN: the first categorical code.")
        var `class`: Int?

        @Option(help: "InfoGAN: values of the continuous codes, comma-separated.")
        var codes: String?

        @Option(help: "Output PNG.")
        var out: String

        /// Sets the class and codes the options give on every row of `inputs`.
        func condition(_ inputs: inout [[Float]], _ c: Conditioning) throws {
            if let k = `class` {
                let limit = c.classes > 0 ? c.classes : c.categorical.first ?? 0
                guard (0..<limit).contains(k) else { throw ValidationError("--class \(k) is outside 0..<\(limit)") }
            }
            var continuous: [Float] = []
            if let codes {
                let values = codes.split(separator: ",").map { Float($0.trimmingCharacters(in: .whitespaces)) }
                guard c.continuous > 0, values.count == c.continuous, values.allSatisfy({ $0 != nil && $0!.isFinite }) else {
                    throw ValidationError("--codes takes \(c.continuous) comma-separated numbers (InfoGAN only), got '\(codes)'")
                }
                continuous = values.map { $0! }
            }
            guard `class` != nil || codes != nil else { return }
            var flat = inputs.flatMap { $0 }
            for s in 0..<inputs.count {
                SampleSheets.condition(&flat, c, sample: s, class: c.classes > 0 ? `class` : nil,
                                       codes: c.classes == 0 ? `class`.map { [$0] } ?? [] : [], continuous: continuous)
            }
            inputs = (0..<inputs.count).map { Array(flat[($0 * c.width)..<(($0 + 1) * c.width)]) }
        }

        func draw(_ trained: TrainedModel, rows inputs: [[Float]], columns: Int) throws {
            let m = trained.model
            let images = Generation.images(try trained.generator(batch: min(inputs.count, 64)), inputs: inputs.flatMap { $0 })
            try images.withUnsafeBufferPointer {
                try SampleGrid.write($0.baseAddress!, count: inputs.count, channels: m.channels, height: m.imageSize, width: m.imageSize,
                                     columns: columns, to: out)
            }
        }
    }

    struct Walk: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Rows of images whose inputs move in equal steps between two endpoints (smooth transitions: G has not memorised).",
            discussion: "Endpoints: images --from and --to of the training run's sample sheet (one row), by default pairs 0→1, 2→3, … (--rows rows), or consecutive pairs of a .npy of inputs (--latents, as sample --save-latents writes).")

        @OptionGroup var common: Common

        @Option(parsing: .unconditional, help: "Index of the first endpoint in the sample sheet.")
        var from: Int?

        @Option(parsing: .unconditional, help: "Index of the second endpoint in the sample sheet.")
        var to: Int?

        @Option(help: "Endpoints as a float32 .npy of inputs (N, width) or noise (N, nz): rows walk 0→1, 2→3, …")
        var latents: String?

        @Option(parsing: .unconditional, help: "Images per row, both endpoints included.")
        var steps = 10

        @Option(parsing: .unconditional, help: "Rows (walks).")
        var rows = 8

        @Flag(help: "Spherical interpolation (slerp), for Gaussian noise; linear otherwise.")
        var slerp = false

        func run() throws {
            guard steps >= 2 && steps <= 64 else { throw ValidationError("--steps must be from 2 to 64, got \(steps)") }
            guard rows >= 1 && rows <= 64 else { throw ValidationError("--rows must be from 1 to 64, got \(rows)") }
            guard (from == nil) == (to == nil) else { throw ValidationError("--from and --to go together") }
            let trained = try TrainedModel(checkpoint: common.checkpoint)
            let c = trained.model.conditioning
            let sheet: [Float], count: Int
            if let latents {
                sheet = try Sample.readLatents(latents, c)
                count = sheet.count / c.width
            } else {
                count = 64
                sheet = SampleSheets.inputs(c, count: count, seed: trained.seed)
            }
            let pairs: [(Int, Int)]
            if let from, let to {
                guard (0..<count).contains(from), (0..<count).contains(to) else { throw ValidationError("--from and --to must be below \(count)") }
                pairs = [(from, to)]
            } else {
                pairs = (0..<min(rows, count / 2)).map { (2 * $0, 2 * $0 + 1) }
            }
            func row(_ i: Int) -> [Float] { Array(sheet[(i * c.width)..<((i + 1) * c.width)]) }
            var inputs = pairs.flatMap { LatentSpace.walk(row($0.0), row($0.1), noise: c.noise, steps: steps, spherical: slerp) }
            try common.condition(&inputs, c)
            try common.draw(trained, rows: inputs, columns: steps)
            print("wrote \(pairs.count) walk\(pairs.count == 1 ? "" : "s") of \(steps) images (\(slerp ? "spherical" : "linear")) to \(common.out)")
        }
    }

    struct Arithmetic: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Vector arithmetic on the inputs of a sample sheet: each term is the mean of a few exemplars (smile woman − neutral woman + neutral man).",
            discussion: "The figure has one row per term (its exemplars, then the image of their mean), then a row with the result and 8 variations of it with uniform noise of ±0.25 added, as in Radford et al.'s Figure 7.")

        @OptionGroup var common: Common

        @Option(help: "The sheet of inputs (sample --save-latents), float32 (N, width).")
        var latents: String

        @Option(help: "Terms: signs and comma-separated sheet indices, e.g. \"+3,7,12 -4,5,9 +20,21,22\".")
        var terms: String

        @Option(parsing: .unconditional, help: "Seed of the variations' noise.")
        var seed: UInt64 = 1

        func run() throws {
            let trained = try TrainedModel(checkpoint: common.checkpoint)
            let c = trained.model.conditioning
            let sheet = try Sample.readLatents(latents, c)
            let count = sheet.count / c.width
            let parsed = try LatentSpace.terms(terms)
            if let bad = parsed.flatMap(\.indices).first(where: { $0 >= count }) {
                throw ValidationError("--terms: index \(bad) is beyond the sheet's \(count) inputs")
            }
            func row(_ i: Int) -> [Float] { Array(sheet[(i * c.width)..<((i + 1) * c.width)]) }
            let columns = max(parsed.map { $0.indices.count + 1 }.max()!, 9)
            let blank = [Float](repeating: .nan, count: c.width)
            var rows: [[Float]] = []
            for term in parsed {
                let exemplars = term.indices.map(row)
                rows += exemplars + [LatentSpace.mean(sheet, width: c.width, indices: term.indices)]
                rows += Array(repeating: blank, count: columns - exemplars.count - 1)
            }
            let result = LatentSpace.sum(sheet, width: c.width, noise: c.noise, terms: parsed)
            rows.append(result)
            let random = Philox(seed: seed)
            for v in 0..<(columns - 1) {
                var varied = result
                for j in 0..<c.noise { varied[j] += 0.5 * random.uniform(stream: 0xA7, index: UInt64(v), element: j) - 0.25 }
                rows.append(varied)
            }
            // Blank cells: G's image of NaN inputs is NaN, drawn black.
            try common.condition(&rows, c)
            try common.draw(trained, rows: rows.map { $0.contains { $0.isNaN } ? blank : $0 }, columns: columns)
            print("wrote \(parsed.count) terms, their sum and \(columns - 1) variations to \(common.out)")
        }
    }
}
