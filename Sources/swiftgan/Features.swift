import ArgumentParser
import Data
import Distributed
import Evaluation
import Foundation
import Inference
import Neural
import Storage

struct Features: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "D's features of a dataset for a linear probe (Radford et al. 2015, §5.1): every convolutional block's activations, max-pooled to 4x4, concatenated.",
        discussion: "Writes the features as a float32 .npy (N, width) and the labels beside it as <out>.labels.npy. Under mpirun each rank takes a shard; the file does not depend on the rank count.")

    @Option(help: "Checkpoint file (.safetensors).")
    var checkpoint: String

    @Option(help: "fashion-mnist, a directory of MNIST-format IDX files, or a labelled packed file.")
    var data = "fashion-mnist"

    @Option(help: "train or test (the t10k-* files).")
    var split = "train"

    @Option(parsing: .unconditional, help: "The first N images of a seeded shuffle (default: all).")
    var count: Int?

    @Flag(help: "Raw pixels instead of D's features: the baseline.")
    var raw = false

    @Option(help: "Output .npy.")
    var out: String

    @OptionGroup var threads: ThreadOptions

    func run() throws {
        guard let which = FashionMNIST.Split(rawValue: split) else { throw ValidationError("--split must be train or test, got \(split)") }
        if let count, count <= 0 { throw ValidationError("--count must be positive, got \(count)") }
        try AtomicFile.checkTarget(out)
        try threads.apply()
        let communicator = try makeCommunicator()
        do {
            let trained = try TrainedModel(checkpoint: checkpoint)
            let m = trained.model
            guard let dataset = try DatasetSource.load(data, size: m.imageSize, channels: m.channels, split: which) else {
                throw ValidationError("--data \(data) has no test split")
            }
            guard let labels = dataset.labels else { throw ValidationError("--data \(data) has no labels to probe with") }
            let batch = 64
            let d = try trained.discriminator(batch: batch)
            let width = raw ? m.imageShape.perSample : DiscriminatorFeatures.width(d)
            guard width > 0 else { throw ValidationError("this \(m.resolvedBackbone.rawValue) discriminator has no convolutional layers; use --raw for pixels") }
            let order = GlobalBatchSampler.permutation(count: dataset.count, seed: 1, epoch: 1 << 23)
            let indices = Array(order.prefix(min(count ?? dataset.count, dataset.count)))
            let x = Tensor(m.imageShape.batch(batch))
            let sharding = Sharding(count: indices.count, chunk: batch, rank: communicator.rank, ranks: communicator.size)
            let features = try sharding.gather(width: width, communicator: communicator) { samples, output in
                x.setBatch(samples.count)
                dataset.fill(x, indices: indices[samples])
                if raw { output.update(from: x.data, count: x.count) } else { DiscriminatorFeatures.compute(d, x, into: output) }
            }
            if communicator.isRoot {
                try features.withUnsafeBufferPointer { try NPY.write(out, shape: [indices.count, width], values: $0) }
                let y = indices.map { Float(labels[$0]) }
                let labelsPath = Self.labelsPath(out)
                try y.withUnsafeBufferPointer { try NPY.write(labelsPath, shape: [indices.count], values: $0) }
                print("wrote \(indices.count) x \(width) \(raw ? "pixel" : "D") features to \(out) and their labels to \(labelsPath)")
            }
        } catch { fail(error, on: communicator) }
        (communicator as? MPICommunicator)?.finalize()
    }

    /// `F.npy` → `F.labels.npy`.
    static func labelsPath(_ features: String) -> String {
        (features.hasSuffix(".npy") ? String(features.dropLast(4)) : features) + ".labels.npy"
    }
}

struct LinearProbeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "linear-probe",
        abstract: "A regularised L2-SVM (LIBLINEAR) on feature files: train on --train, report accuracy on --test.",
        discussion: "Features are standardised with the training set's statistics; C is chosen by cross-validation on the training set only (a single --c is used as given). Labels are read from <file>.labels.npy (as features writes them).")

    @Option(help: "Training features (.npy, N x D).")
    var train: String

    @Option(help: "Test features (.npy, M x D).")
    var test: String

    @Option(help: "Candidate values of C, comma-separated.")
    var c = "0.001,0.01,0.1,1,10"

    @Option(parsing: .unconditional, help: "Cross-validation folds.")
    var folds = 5

    func run() throws {
        let candidates = c.split(separator: ",").map { Double($0.trimmingCharacters(in: .whitespaces)) }
        guard !candidates.isEmpty, candidates.allSatisfy({ $0 != nil && $0! > 0 }) else { throw ValidationError("--c takes positive numbers, got '\(c)'") }
        guard folds >= 2 else { throw ValidationError("--folds must be at least 2, got \(folds)") }
        func load(_ path: String) throws -> (x: [Float], y: [Int], d: Int) {
            let (shape, x) = try NPY.read(path)
            guard shape.count == 2, shape[0] > 0, shape[1] > 0 else { throw ValidationError("\(path): shape \(shape), expected (N, D)") }
            let (labelShape, y) = try NPY.read(Features.labelsPath(path))
            guard labelShape == [shape[0]], y.allSatisfy({ $0 >= 0 && $0 == $0.rounded() }) else {
                throw ValidationError("\(Features.labelsPath(path)): \(labelShape) labels for \(shape[0]) rows, or not class indices")
            }
            return (x, y.map { Int($0) }, shape[1])
        }
        let a = try load(train), b = try load(test)
        guard a.d == b.d else { throw ValidationError("--train has \(a.d) features per row, --test \(b.d)") }
        guard a.x.allSatisfy(\.isFinite), b.x.allSatisfy(\.isFinite) else { throw ValidationError("features must be finite") }
        let result = try LinearProbe(dimension: a.d, candidates: candidates.map { $0! }, folds: folds)
            .run(train: a.x, trainLabels: a.y, test: b.x, testLabels: b.y) { print($0) }
        let how = result.validation.isEmpty ? "given" : "chosen by \(folds)-fold cross-validation"
        print("linear probe: C \(result.c) (\(how) on \(a.y.count) training rows), "
              + String(format: "test accuracy %.4f on %d rows", result.testAccuracy, b.y.count))
    }
}
