import ArgumentParser
import Data
import Distributed
import Evaluation
import Foundation
import Storage

struct ClassifierCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "classifier", abstract: "The classifier behind the in-domain metrics.", subcommands: [Train.self])

    struct Train: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Train the evaluation classifier on a labelled dataset and report its accuracy on the test split.",
            discussion: "The test split is the data's t10k-* files where it has them (Fashion-MNIST does), otherwise a held-out tenth of the images. Under mpirun it trains data-parallel, with the same bits on any rank count.")

        @Option(help: "fashion-mnist, a directory of MNIST-format IDX files, or a labelled packed file.")
        var data = "fashion-mnist"

        @Option(help: "The classifier file to write (.safetensors).")
        var out: String

        @Option(parsing: .unconditional, help: "Image side: the size of the GAN it will judge (default 32; a packed file states its own).")
        var imageSize: Int?

        @Option(parsing: .unconditional, help: "Image channels (default 1; a packed file states its own).")
        var channels: Int?

        @Option(parsing: .unconditional, help: "Passes over the training data.")
        var epochs = 5

        @Option(parsing: .unconditional, help: "Global batch size.")
        var batchSize = 128

        @Option(parsing: .unconditional, help: "Adam learning rate.")
        var lr: Float = 1e-3

        @Option(parsing: .unconditional, help: "Seed of initialisation and data order.")
        var seed: UInt64 = 1

        @Option(parsing: .unconditional, help: "Samples per micro-batch (exact reductions; default 16 when it divides the per-rank batch, 0: off).")
        var microBatch: Int?

        @OptionGroup var threads: ThreadOptions

        func run() throws {
            guard epochs > 0 else { throw ValidationError("--epochs must be positive, got \(epochs)") }
            guard batchSize > 1 else { throw ValidationError("--batch-size must be at least 2, got \(batchSize)") }
            guard lr > 0, lr.isFinite else { throw ValidationError("--lr must be a positive number, got \(lr)") }
            try AtomicFile.checkTarget(out)
            try threads.apply()
            let description = try DatasetSource.describe(data)
            let size = imageSize ?? description.imageSize ?? 32, planes = channels ?? description.channels ?? 1
            guard description.classes >= 2 else { throw ValidationError("--data \(data) has no labels to train a classifier on") }
            let communicator = try makeCommunicator()
            do {
                let train = try DatasetSource.load(data, size: size, channels: planes)!
                let test = try DatasetSource.load(data, size: size, channels: planes, split: .test)
                guard batchSize % communicator.size == 0 else { throw ValidationError("--batch-size \(batchSize) is not divisible by the \(communicator.size) ranks") }
                let local = batchSize / communicator.size
                let micro = microBatch ?? (local % 16 == 0 ? 16 : 0)
                let say: (String) -> Void = communicator.isRoot ? { print($0); fflush(nil) } : { _ in }
                say("classifier: \(data), \(train.count) training images of \(planes)x\(size)x\(size), \(train.classes) classes; test on \(test.map { "its \($0.count) test images" } ?? "a held-out tenth")")
                let result = try ClassifierTraining(train: train, test: test, epochs: epochs, batchSize: batchSize, learningRate: lr,
                                                    seed: seed, microBatch: micro).run(communicator: communicator, log: say)
                if communicator.isRoot {
                    try result.classifier.save(out, step: result.steps, epoch: epochs, ranks: communicator.size, seed: seed, data: data, accuracy: result.accuracy)
                    print(String(format: "test accuracy %.4f; wrote %@", result.accuracy, out))
                }
                try communicator.barrier()
            } catch { fail(error, on: communicator) }
            (communicator as? MPICommunicator)?.finalize()
        }
    }
}
