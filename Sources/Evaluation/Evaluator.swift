import Data
import Distributed
import Foundation
import Inference
import Models
import Neural

/// `swiftgan evaluate` and `train --eval-every`: G's samples against real images.
///
/// Sample `i` of an evaluation is G (eval mode) on noise `i` of the evaluation stream of `seed`,
/// with class (AC-GAN) or categorical code (InfoGAN) `i mod k`. Every rank generates and
/// featurises its chunks of samples and of real images (`Sharding`); all ranks gather them and
/// compute the numbers from the same data in the same order, so they do not depend on the
/// rank count.
public struct Evaluator {
    public let model: ModelConfig
    public let count: Int
    public let seed: UInt64
    /// Images gathered for the sliced Wasserstein distance (as bytes, as ProGAN measures).
    public let swdCount: Int

    public init(model: ModelConfig, count: Int, seed: UInt64, swdCount: Int = 2048) {
        self.model = model
        self.count = count
        self.seed = seed
        self.swdCount = min(swdCount, count)
    }

    public struct Report: Sendable {
        public var count = 0
        public var frechet: Double?
        /// The same distance between `count` training images and the test split (or two halves
        /// of the data when it has none): what "good" looks like.
        public var frechetReference: Double?
        public var swd: [Double] = []
        public var swdAverage: Double { swd.reduce(0, +) / Double(max(swd.count, 1)) }
        public var swdReference: [Double] = []
        public var precision: Double?
        public var recall: Double?
        public var coverage: ClassCoverage?
        /// AC-GAN: the classifier's accuracy on the requested classes.
        public var classAccuracy: Double?
        /// InfoGAN: the classifier's classes against the categorical codes, after matching.
        public var codeAccuracy: Double?
        /// InfoGAN: Q's categorical argmax as a classifier of the real (test) images, after matching.
        public var qAccuracy: Double?

        /// `name value` pairs in a fixed order, for the log, `metrics.jsonl` and `--json`.
        public var values: [(String, Double)] {
            var out: [(String, Double)] = []
            if let frechet { out.append(("fd", frechet)) }
            if let frechetReference { out.append(("fd_real", frechetReference)) }
            if !swd.isEmpty {
                out.append(("swd", swdAverage))
                for (i, v) in swd.enumerated() { out.append(("swd_\(i)", v)) }
            }
            if !swdReference.isEmpty { out.append(("swd_real", swdReference.reduce(0, +) / Double(swdReference.count))) }
            if let precision { out.append(("precision", precision)) }
            if let recall { out.append(("recall", recall)) }
            if let coverage {
                out.append(("class_entropy", coverage.entropy))
                out.append(("class_max_share", coverage.largestShare))
            }
            if let classAccuracy { out.append(("class_accuracy", classAccuracy)) }
            if let codeAccuracy { out.append(("code_accuracy", codeAccuracy)) }
            if let qAccuracy { out.append(("q_accuracy", qAccuracy)) }
            return out
        }

        public var json: String {
            var fields = ["\"count\":\(count)"] + values.map { String(format: "\"%@\":%.6g", $0.0, $0.1) }
            if let coverage { fields.append("\"class_histogram\":[\(coverage.histogram.map(String.init).joined(separator: ","))]") }
            return "{" + fields.joined(separator: ",") + "}"
        }
    }

    /// Generator inputs of evaluation samples `range`.
    func inputs(_ range: Range<Int>) -> [Float] {
        let c = model.conditioning
        var inputs = [Float](repeating: 0, count: range.count * c.width)
        let random = Philox(seed: seed)
        inputs.withUnsafeMutableBufferPointer { buffer in
            for (s, i) in range.enumerated() {
                random.normals(stream: RandomStream.evaluation, index: UInt64(i), into: buffer.baseAddress! + s * c.width, count: c.noise)
            }
        }
        for (s, i) in range.enumerated() {
            SampleSheets.condition(&inputs, c, sample: s, class: c.classes > 0 ? i % c.classes : nil, codes: c.categorical.map { i % $0 })
        }
        return inputs
    }

    /// What the sample of index `i` was asked to be: its class, or its first categorical code.
    func requested(_ i: Int) -> Int? {
        let c = model.conditioning
        return c.classes > 0 ? i % c.classes : c.categorical.first.map { i % $0 }
    }

    /// Runs every metric. `generator` and `discriminator` are in any mode (restored after);
    /// `real` gives the reference images (`test` the test split, for the reference distances
    /// and InfoGAN's Q accuracy); without a classifier only the SWD is computed.
    public func run(generator: Network, discriminator: Network?, classifier: Classifier?, real: ImageDataset, test: ImageDataset?,
                    communicator: Communicator) throws -> Report {
        let c = model.conditioning, per = model.imageShape.perSample
        guard real.channels == model.channels, real.height == model.imageSize else {
            throw EvaluationError("--data has \(real.channels)x\(real.height)x\(real.width) images, the model makes \(model.channels)x\(model.imageSize)x\(model.imageSize)")
        }
        if let classifier, classifier.imageSize != model.imageSize || classifier.channels != model.channels {
            throw EvaluationError("the classifier takes \(classifier.channels)x\(classifier.imageSize)x\(classifier.imageSize) images, the model makes \(model.channels)x\(model.imageSize)x\(model.imageSize); train one with --image-size \(model.imageSize)")
        }
        let chunk = min(generator.maxBatch, classifier?.network.maxBatch ?? generator.maxBatch)
        let G = generator, wasTraining = G.training
        G.training = false
        defer { G.training = wasTraining }
        classifier?.network.training = false
        let reference = test ?? real
        let referenceCount = min(count, reference.count)
        let order = GlobalBatchSampler.permutation(count: reference.count, seed: seed, epoch: 1 << 21)
        let referenceIndices = Array(order.prefix(referenceCount))
        let width = classifier.map { Classifier.featureWidth + $0.classes } ?? 0
        let x = Tensor(model.imageShape.batch(chunk))
        let sharding = Sharding(count: count, chunk: chunk, rank: communicator.rank, ranks: communicator.size)
        var report = Report()
        report.count = count

        // Generated samples: images as bytes (SWD) and classifier outputs (features, logits).
        var fakeBytes: [Float] = [], fakeOut: [Float] = []
        fakeBytes = try sharding.gather(width: per + width, communicator: communicator) { samples, out in
            let images = Generation.images(G, inputs: inputs(samples))
            for s in 0..<samples.count {
                for j in 0..<per { out[s * (per + width) + j] = byte(images[s * per + j]) }
            }
            guard let classifier else { return }
            x.setBatch(samples.count)
            x.copy(from: images)
            let r = classifier.run(x)
            for s in 0..<samples.count {
                for j in 0..<Classifier.featureWidth { out[s * (per + width) + per + j] = r.features[s * Classifier.featureWidth + j] }
                for j in 0..<classifier.classes { out[s * (per + width) + per + Classifier.featureWidth + j] = r.logits[s * classifier.classes + j] }
            }
        }
        (fakeBytes, fakeOut) = split(fakeBytes, count: count, first: per, second: width)

        // Real reference images, the same way.
        let realSharding = Sharding(count: referenceCount, chunk: chunk, rank: communicator.rank, ranks: communicator.size)
        var realBytes = try realSharding.gather(width: per + width, communicator: communicator) { samples, out in
            x.setBatch(samples.count)
            reference.fill(x, indices: referenceIndices[samples])
            for s in 0..<samples.count { for j in 0..<per { out[s * (per + width) + j] = byte(x.data[s * per + j]) } }
            guard let classifier else { return }
            let r = classifier.run(x)
            for s in 0..<samples.count {
                for j in 0..<Classifier.featureWidth { out[s * (per + width) + per + j] = r.features[s * Classifier.featureWidth + j] }
                for j in 0..<classifier.classes { out[s * (per + width) + per + Classifier.featureWidth + j] = r.logits[s * classifier.classes + j] }
            }
        }
        var realOut: [Float]
        (realBytes, realOut) = split(realBytes, count: referenceCount, first: per, second: width)

        let swdN = min(swdCount, referenceCount)
        report.swd = SlicedWasserstein.compute(Array(fakeBytes.prefix(swdN * per)), Array(realBytes.prefix(swdN * per)), count: swdN,
                                               channels: model.channels, size: model.imageSize, seed: seed).levels

        if let classifier {
            let d = Classifier.featureWidth, k = classifier.classes
            let fakeFeatures = rows(fakeOut, count: count, width: width, range: 0..<d)
            let realFeatures = rows(realOut, count: referenceCount, width: width, range: 0..<d)
            report.frechet = try FrechetDistance.distance(fakeFeatures, count: count, realFeatures, count: referenceCount, dimension: d)
            (report.precision, report.recall) = PrecisionRecall.compute(real: realFeatures, realCount: referenceCount,
                                                                        fake: fakeFeatures, fakeCount: count, dimension: d)
            let predictions = (0..<count).map { i in fakeOut.withUnsafeBufferPointer { argmax($0, from: i * width + d, count: k) } }
            report.coverage = ClassCoverage(predictions: predictions, classes: k)
            let requested = (0..<count).compactMap(requested)
            if c.classes > 0 { report.classAccuracy = ClassCoverage.accuracy(predictions: predictions, requested: requested) }
            if let codes = c.categorical.first {
                report.codeAccuracy = ClassCoverage.matchedAccuracy(codes: requested, classes: predictions, codeCount: codes, classCount: k).accuracy
            }
            // The reference distance: training images against the test split.
            if test != nil {
                let trainOrder = GlobalBatchSampler.permutation(count: real.count, seed: seed, epoch: 1 << 22)
                let trainIndices = Array(trainOrder.prefix(min(count, real.count)))
                let trainSharding = Sharding(count: trainIndices.count, chunk: chunk, rank: communicator.rank, ranks: communicator.size)
                let trainFeatures = try trainSharding.gather(width: d, communicator: communicator) { samples, out in
                    x.setBatch(samples.count)
                    real.fill(x, indices: trainIndices[samples])
                    let r = classifier.run(x)
                    out.update(from: r.features.baseAddress!, count: samples.count * d)
                }
                report.frechetReference = try FrechetDistance.distance(trainFeatures, count: trainIndices.count, realFeatures, count: referenceCount, dimension: d)
            } else if referenceCount >= 4 {
                let half = referenceCount / 2
                report.frechetReference = try FrechetDistance.distance(Array(realFeatures.prefix(half * d)), count: half,
                                                                      Array(realFeatures[(half * d)..<(2 * half * d)]), count: half, dimension: d)
            }
        }
        // InfoGAN: Q's first categorical code as a classifier of the labelled reference images.
        if let discriminator, let codes = c.categorical.first, let labels = reference.labels {
            let q = c.classes > 0 ? 2 : 1
            let wasTrainingD = discriminator.training
            discriminator.training = false
            defer { discriminator.training = wasTrainingD }
            let dChunk = min(chunk, discriminator.maxBatch)
            let dx = Tensor(model.imageShape.batch(dChunk))
            let qSharding = Sharding(count: referenceCount, chunk: dChunk, rank: communicator.rank, ranks: communicator.size)
            let predicted = try qSharding.gather(width: 1, communicator: communicator) { samples, out in
                dx.setBatch(samples.count)
                reference.fill(dx, indices: referenceIndices[samples])
                discriminator.forward(dx, heads: [q])
                let head = discriminator.heads[q]
                let o = UnsafeBufferPointer(start: head.output.data, count: head.output.count)
                for s in 0..<samples.count { out[s] = Float(argmax(o, from: s * head.width, count: codes)) }
            }
            let truth = referenceIndices.map { Int(labels[$0]) }
            report.qAccuracy = ClassCoverage.matchedAccuracy(codes: predicted.map { Int($0) }, classes: truth, codeCount: codes,
                                                             classCount: reference.classes).accuracy
        }
        return report
    }

    /// `v` in [-1, 1] → the byte value an 8-bit image holds, as a Float.
    @inline(__always)
    func byte(_ v: Float) -> Float { min(max(((v + 1) * 127.5).rounded(), 0), 255) }

    func split(_ x: [Float], count: Int, first: Int, second: Int) -> ([Float], [Float]) {
        var a = [Float](), b = [Float]()
        a.reserveCapacity(count * first)
        b.reserveCapacity(count * second)
        for i in 0..<count {
            a += x[(i * (first + second))..<(i * (first + second) + first)]
            b += x[(i * (first + second) + first)..<((i + 1) * (first + second))]
        }
        return (a, b)
    }

    func rows(_ x: [Float], count: Int, width: Int, range: Range<Int>) -> [Float] {
        var out = [Float]()
        out.reserveCapacity(count * range.count)
        for i in 0..<count { out += x[(i * width + range.lowerBound)..<(i * width + range.upperBound)] }
        return out
    }
}
