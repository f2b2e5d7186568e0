import ArgumentParser
import Data
import Distributed
import Evaluation
import Foundation
import Inference

struct Evaluate: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Measure G's samples against real images: Fréchet distance on the classifier's features, sliced Wasserstein distance, precision and recall, class coverage.",
        discussion: "Without --classifier only the sliced Wasserstein distance is computed. Under mpirun every rank generates and featurises its share; the numbers do not depend on the rank count.")

    @Option(help: "Checkpoint file (.safetensors).")
    var checkpoint: String

    @Option(help: "The real images: fashion-mnist, a directory of MNIST-format IDX files, or a packed file (its test split where it has one).")
    var data = "fashion-mnist"

    @Option(help: "The classifier (swiftgan classifier train) whose penultimate features the feature metrics use.")
    var classifier: String?

    @Option(parsing: .unconditional, help: "Generated samples (and real images, up to the data's size).")
    var count = 10_000

    @Option(parsing: .unconditional, help: "Seed of the evaluation noise and of the SWD's random patches and directions.")
    var seed: UInt64 = 1

    @Flag(help: "Print one JSON line instead of text.")
    var json = false

    @OptionGroup var threads: ThreadOptions

    func run() throws {
        guard count >= 16 else { throw ValidationError("--count must be at least 16, got \(count)") }
        try threads.apply()
        let communicator = try makeCommunicator()
        do {
            let trained = try TrainedModel(checkpoint: checkpoint)
            let m = trained.model
            let batch = 64
            let loaded = try classifier.map { try Classifier.load($0, batch: batch) }
            let real = try DatasetSource.load(data, size: m.imageSize, channels: m.channels)!
            let test = try DatasetSource.load(data, size: m.imageSize, channels: m.channels, split: .test)
            let evaluator = Evaluator(model: m, count: count, seed: seed)
            let report = try evaluator.run(generator: try trained.generator(batch: batch), discriminator: try trained.discriminator(batch: batch),
                                           classifier: loaded?.0, real: real, test: test, communicator: communicator)
            if communicator.isRoot {
                if json {
                    print(report.json)
                } else {
                    print("evaluate: \(checkpoint) (\(m.architecture.rawValue)), \(count) samples against \(test == nil ? "the data" : "the test split")\(loaded.map { String(format: ", classifier accuracy %.4f", $0.1 ?? .nan) } ?? "")")
                    for (name, value) in report.values { print("  " + name.padding(toLength: 18, withPad: " ", startingAt: 0) + String(format: "%.4f", value)) }
                    if let c = report.coverage { print("  class histogram   \(c.histogram.map(String.init).joined(separator: " "))") }
                }
            }
        } catch { fail(error, on: communicator) }
        (communicator as? MPICommunicator)?.finalize()
    }
}
