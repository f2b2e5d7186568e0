import Data
import Distributed
import Foundation
import Neural

/// `swiftgan classifier train`: the classifier trained with softmax cross-entropy and Adam on a
/// labelled dataset, data-parallel over the ranks with the trainer's exact reductions (the same
/// bits on any rank count), then measured on the test split.
public struct ClassifierTraining {
    public let train: ImageDataset
    /// The test split, or nil: then every tenth image (by a seeded permutation) is held out.
    public let test: ImageDataset?
    public let epochs: Int
    public let batchSize: Int
    public let learningRate: Float
    public let seed: UInt64
    public let microBatch: Int

    public init(train: ImageDataset, test: ImageDataset?, epochs: Int, batchSize: Int, learningRate: Float = 1e-3, seed: UInt64, microBatch: Int) {
        self.train = train
        self.test = test
        self.epochs = epochs
        self.batchSize = batchSize
        self.learningRate = learningRate
        self.seed = seed
        self.microBatch = microBatch
    }

    public struct Result {
        public let classifier: Classifier
        public let accuracy: Double
        public let steps: Int
    }

    public func run(communicator: Communicator, log: (String) -> Void) throws -> Result {
        guard train.classes >= 2, let labels = train.labels else { throw EvaluationError("--data has no labels to train a classifier on") }
        let all = GlobalBatchSampler.permutation(count: train.count, seed: seed, epoch: 1 << 20)
        let held = test == nil ? Array(all.prefix(train.count / 10)) : []
        let trainIndices = test == nil ? Array(all.dropFirst(train.count / 10)) : Array(0..<train.count)
        let sampler: GlobalBatchSampler
        do {
            sampler = try GlobalBatchSampler(sampleCount: trainIndices.count, globalBatch: batchSize, rank: communicator.rank,
                                             ranks: communicator.size, seed: seed)
        } catch { throw EvaluationError(error.description) }
        guard microBatch == 0 || sampler.localBatch % microBatch == 0 else {
            throw EvaluationError("--micro-batch \(microBatch) does not divide the \(sampler.localBatch) samples per rank")
        }
        let classifier = Classifier(imageSize: train.height, channels: train.channels, classes: train.classes, batch: sampler.localBatch)
        let net = classifier.network
        net.arena.initialize(seed: seed, network: 7)
        let reduction = Reduction(mode: microBatch > 0 ? .exact(microBatch: microBatch) : .summed, communicator: communicator)
        let chunks = Chunks(samples: sampler.localBatch, microBatch: microBatch).count
        net.context.microBatch = microBatch
        net.context.reducer = reduction
        if microBatch > 0 { net.arena.partials = PartialGradients(chunks: chunks, stride: net.arena.count) }
        let widest = net.batchNorms.map { 2 * $0.channels + 1 }.max() ?? 0
        reduction.reserve(chunks: chunks, width: max(widest, 2), parameters: net.arena.count, slices: net.arena.slices.count)
        var adam = Adam(learningRate: learningRate, beta1: 0.9, beta2: 0.999)
        let x = Tensor(Shape(sampler.localBatch, train.channels, train.height, train.width))
        let y = UnsafeMutablePointer<Int32>.allocate(capacity: sampler.localBatch)
        defer { y.deallocate() }
        let rows = UnsafeMutablePointer<Double>.allocate(capacity: chunks * 2), totals = UnsafeMutablePointer<Double>.allocate(capacity: 2)
        defer { rows.deallocate(); totals.deallocate() }
        let head = net.heads[0]
        let loss = Loss.softmaxCrossEntropy(column: 0, classes: train.classes)
        let steps = epochs * sampler.batchesPerEpoch
        var recent = (loss: 0.0, correct: 0.0, samples: 0.0)
        for t in 0..<steps {
            let indices = sampler.indices(batch: t).map { trainIndices[$0] }
            train.fill(x, indices: indices[...])
            for (s, i) in indices.enumerated() { y[s] = labels[i] }
            net.training = true
            net.arena.zeroGradients()
            net.forward(x)
            head.gradient.setBatch(x.shape.n)
            head.gradient.fill(0)
            rows.update(repeating: 0, count: chunks * 2)
            for c in net.context.chunks(x.shape.n) {
                let sums = loss.apply(output: head.output.data, width: train.classes, target: .labels(y), samples: c.range,
                                      scale: 1 / Float(batchSize), gradient: head.gradient.data)
                rows[2 * c.index] = sums.loss
                rows[2 * c.index + 1] = sums.auxiliary
            }
            net.backwardHeads(inputGradient: false)
            try reduction.reduceGradients(net.arena)
            adam.update(net.arena)
            try reduction.reduceRows(rows, chunks: chunks, width: 2, into: totals)
            recent = (recent.loss + totals[0], recent.correct + totals[1], recent.samples + Double(batchSize))
            if (t + 1) % sampler.batchesPerEpoch == 0 || t + 1 == steps {
                log(String(format: "[%d/%d] epoch %d  loss %.4f  accuracy %.4f", t + 1, steps, t / sampler.batchesPerEpoch,
                           recent.loss / recent.samples, recent.correct / recent.samples))
                recent = (0, 0, 0)
            }
        }
        let evaluation = test ?? train
        let indices = test == nil ? held : Array(0..<evaluation.count)
        let predicted = try Self.predict(classifier, evaluation, indices: indices, communicator: communicator)
        let truth = indices.map { Int(evaluation.labels![$0]) }
        return Result(classifier: classifier, accuracy: ClassCoverage.accuracy(predictions: predicted, requested: truth), steps: steps)
    }

    /// The classifier's predicted class of each listed image, computed across the ranks.
    public static func predict(_ classifier: Classifier, _ data: ImageDataset, indices: [Int], communicator: Communicator) throws -> [Int] {
        let batch = classifier.network.maxBatch
        let sharding = Sharding(count: indices.count, chunk: batch, rank: communicator.rank, ranks: communicator.size)
        let x = Tensor(Shape(batch, data.channels, data.height, data.width))
        classifier.network.training = false
        let out = try sharding.gather(width: 1, communicator: communicator) { samples, out in
            data.fill(x, indices: indices[samples])
            let r = classifier.run(x)
            for s in 0..<samples.count { out[s] = Float(argmax(r.logits, from: s * classifier.classes, count: classifier.classes)) }
        }
        return out.map { Int($0) }
    }
}
