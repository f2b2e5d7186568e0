import Data
import Foundation

/// Resolves `--data` to a dataset at the model's size: `fashion-mnist`, a directory of
/// MNIST-format IDX files, or a packed dataset file from `swiftgan prepare`.
enum DatasetSource {
    static func load(_ spec: String, size: Int, channels: Int) throws(TrainingError) -> ImageDataset {
        let dataset: ImageDataset
        if spec == "fashion-mnist" {
            guard FileManager.default.fileExists(atPath: FashionMNIST.defaultDirectory) else {
                throw TrainingError("--data fashion-mnist: \(FashionMNIST.defaultDirectory) not found; install Debian's dataset-fashion-mnist (Scripts/install-deps.sh)")
            }
            dataset = try wrap(spec) { () throws(DataError) in try FashionMNIST.load(size: size) }
        } else {
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: spec, isDirectory: &isDirectory) else {
                throw TrainingError("--data \(spec): no such file or directory")
            }
            if isDirectory.boolValue {
                dataset = try wrap(spec) { () throws(DataError) in try FashionMNIST.load(directory: spec, size: size) }
            } else {
                dataset = try wrap(spec) { () throws(DataError) in try PackedDataset.open(spec) }
                guard dataset.height == size && dataset.width == size else {
                    throw TrainingError("--image-size \(size) does not match the \(dataset.width)x\(dataset.height) images of --data \(spec); prepare it with --size \(size)")
                }
            }
        }
        guard dataset.channels == channels else {
            throw TrainingError("--channels \(channels) does not match the \(dataset.channels)-channel images of --data \(spec)")
        }
        return dataset
    }

    private static func wrap(_ spec: String, _ body: () throws(DataError) -> ImageDataset) throws(TrainingError) -> ImageDataset {
        do { return try body() } catch { throw TrainingError("--data \(spec): \(error.description)") }
    }
}
