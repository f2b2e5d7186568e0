import Data
import Foundation

/// Resolves `--data` to a dataset at the model's size.
enum DatasetSource {
    static func load(_ spec: String, size: Int, channels: Int) throws(TrainingError) -> ImageDataset {
        let directory: String
        if spec == "fashion-mnist" {
            directory = FashionMNIST.defaultDirectory
            guard FileManager.default.fileExists(atPath: directory) else {
                throw TrainingError("--data fashion-mnist: \(directory) not found; install Debian's dataset-fashion-mnist (Scripts/install-deps.sh)")
            }
        } else {
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: spec, isDirectory: &isDirectory) else {
                throw TrainingError("--data \(spec): no such file or directory")
            }
            guard isDirectory.boolValue else {
                throw TrainingError("--data \(spec): expected fashion-mnist or a directory of MNIST-format IDX files")
            }
            directory = spec
        }
        let dataset: ImageDataset
        do { dataset = try FashionMNIST.load(directory: directory, size: size) } catch {
            throw TrainingError("--data \(spec): \(error.description)")
        }
        guard dataset.channels == channels else {
            throw TrainingError("--channels \(channels) does not match the \(dataset.channels)-channel images of --data \(spec)")
        }
        return dataset
    }
}
