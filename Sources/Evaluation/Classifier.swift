import Foundation
import Neural
import Storage

/// A small CNN classifier trained with the engine: the feature extractor of the in-domain
/// metrics and the judge of the conditional GANs.
///
/// ```
/// x (C, S, S) → Conv 32 3/1/1, BN, LeakyReLU 0.1 → Conv 64 4/2/1, BN, LeakyReLU 0.1
///             → Conv 128 4/2/1, BN, LeakyReLU 0.1 → Flatten → Linear 128, BN, LeakyReLU 0.1   (features)
///             → head `logits`: Linear k
/// ```
/// Stored as a safetensors file of format `swiftgan-classifier` (`classifier.*` tensors, the
/// image size, channels, class count and test accuracy in its metadata).
public final class Classifier {
    public static let format = "swiftgan-classifier"
    public static let featureWidth = 128
    public let imageSize: Int
    public let channels: Int
    public let classes: Int
    public let network: Network

    public init(imageSize: Int, channels: Int, classes: Int, batch: Int) {
        self.imageSize = imageSize
        self.channels = channels
        self.classes = classes
        let b = NetworkBuilder(input: Shape(batch, channels, imageSize, imageSize))
        b.conv2d(32, kernel: 3, stride: 1, padding: 1)
        b.batchNorm()
        b.activation(.leakyReLU(slope: 0.1))
        b.conv2d(64, kernel: 4, stride: 2, padding: 1)
        b.batchNorm()
        b.activation(.leakyReLU(slope: 0.1))
        b.conv2d(128, kernel: 4, stride: 2, padding: 1)
        b.batchNorm()
        b.activation(.leakyReLU(slope: 0.1))
        b.flatten()
        b.linear(Self.featureWidth, bias: false)
        b.batchNorm()
        b.activation(.leakyReLU(slope: 0.1))
        b.head("logits", prefix: "logits")
        b.linear(classes)
        network = b.build()
    }

    /// Parameters and BN buffers as `classifier.*`.
    public var state: StateList { StateList(tensors: network.stateTensors(prefix: "classifier")) }

    /// Reads a classifier file for batches of up to `batch`, in eval mode.
    public static func load(_ path: String, batch: Int) throws(EvaluationError) -> (Classifier, accuracy: Double?) {
        let file: CheckpointFile
        do { file = try CheckpointFile(contentsOf: path, format: format) } catch { throw EvaluationError(error.description) }
        guard let size = file.integer("image_size"), let channels = file.integer("channels"), let classes = file.integer("classes"),
              (4...512).contains(size), channels == 1 || channels == 3, (2...100_000).contains(classes) else {
            throw EvaluationError("\(path): classifier metadata is incomplete or out of range")
        }
        let classifier = Classifier(imageSize: size, channels: channels, classes: classes, batch: batch)
        do { try file.restore(classifier.state) } catch { throw EvaluationError("\(path): \(error.description)") }
        classifier.network.training = false
        return (classifier, file.metadata["test_accuracy"].flatMap(Double.init))
    }

    /// Writes the classifier atomically.
    public func save(_ path: String, step: Int, epoch: Int, ranks: Int, seed: UInt64, data: String, accuracy: Double) throws(EvaluationError) {
        let file = CheckpointFile(state: state, metadata: [
            "step": String(step), "epoch": String(epoch), "ranks": String(ranks), "seed": String(seed),
            "config": "{\"data\":\(jsonString(data))}",
            "image_size": String(imageSize), "channels": String(channels), "classes": String(classes),
            "test_accuracy": String(accuracy),
        ], format: Self.format)
        do { try AtomicFile.write(file.serialized(), to: path) } catch { throw EvaluationError(error.description) }
    }

    /// Features `(n, 128)` and logits `(n, k)` of `x (n, C, S, S)`, in the network's current mode.
    public func run(_ x: Tensor) -> (features: UnsafeBufferPointer<Float>, logits: UnsafeBufferPointer<Float>) {
        let logits = network.forward(x)
        let features = network.trunkOutput!
        return (UnsafeBufferPointer(start: features.data, count: features.count), UnsafeBufferPointer(start: logits.data, count: logits.count))
    }
}

func jsonString(_ s: String) -> String {
    let data = try! JSONSerialization.data(withJSONObject: [s])
    return String(decoding: data, as: UTF8.self).dropFirst().dropLast().description
}

/// The index of the largest of `k` values.
@inline(__always)
func argmax(_ row: UnsafeBufferPointer<Float>, from start: Int, count k: Int) -> Int {
    var best = 0
    for j in 1..<k where row[start + j] > row[start + best] { best = j }
    return best
}
