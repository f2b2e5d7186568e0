import Foundation
import Storage

/// Resolves `--data` to a dataset: `fashion-mnist` (Debian's package), a directory of
/// MNIST-format IDX files, or a packed dataset file from `swiftgan prepare`.
public enum DatasetSource {
    /// What a dataset states about itself before it is loaded.
    public struct Description: Sendable {
        /// Image side and channels, for a packed file (IDX images are brought to any size).
        public let imageSize: Int?
        public let channels: Int?
        /// Number of classes of its labels; 0 when unlabelled.
        public let classes: Int
        public let isPacked: Bool
    }

    /// The directory holding the IDX files of `spec`, or nil for a packed file.
    static func directory(_ spec: String) throws(DataError) -> String? {
        if spec == "fashion-mnist" {
            guard Directory.exists(FashionMNIST.defaultDirectory) else {
                throw DataError("--data fashion-mnist: \(FashionMNIST.defaultDirectory) not found; install Debian's dataset-fashion-mnist (Scripts/install-deps.sh)")
            }
            return FashionMNIST.defaultDirectory
        }
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: spec, isDirectory: &isDirectory) else {
            throw DataError("--data \(spec): no such file or directory")
        }
        return isDirectory.boolValue ? spec : nil
    }

    /// Reads only headers and labels.
    public static func describe(_ spec: String) throws(DataError) -> Description {
        if let directory = try directory(spec) {
            var classes = 0
            if let labels = try? FashionMNIST.find("train-labels-idx1-ubyte", in: directory) {
                do { classes = Int(try IDXFile(path: labels).bytes.max() ?? 0) + 1 } catch { throw DataError("--data \(spec): \(error.description)") }
            }
            return Description(imageSize: nil, channels: 1, classes: classes, isPacked: false)
        }
        let header: PackedDataset.Header
        do { header = try PackedDataset.header(spec) } catch { throw DataError("--data \(error.description)") }
        return Description(imageSize: header.height, channels: header.channels, classes: header.hasLabels ? header.classes : 0, isPacked: true)
    }

    /// The dataset at the model's size and channels. `split: .test` reads an IDX directory's
    /// `t10k-*` files (nil when it has none, as for packed files).
    public static func load(_ spec: String, size: Int, channels: Int, split: FashionMNIST.Split = .train) throws(DataError) -> ImageDataset? {
        let dataset: ImageDataset
        if let directory = try directory(spec) {
            if split == .test && (try? FashionMNIST.find("t10k-images-idx3-ubyte", in: directory)) == nil { return nil }
            dataset = try wrap(spec) { () throws(DataError) in try FashionMNIST.load(directory: directory, size: size, split: split) }
        } else {
            if split == .test { return nil }
            dataset = try wrap(spec) { () throws(DataError) in try PackedDataset.open(spec) }
            guard dataset.height == size && dataset.width == size else {
                throw DataError("--image-size \(size) does not match the \(dataset.width)x\(dataset.height) images of --data \(spec); prepare it with --size \(size)")
            }
        }
        guard dataset.channels == channels else {
            throw DataError("--channels \(channels) does not match the \(dataset.channels)-channel images of --data \(spec)")
        }
        return dataset
    }

    private static func wrap(_ spec: String, _ body: () throws(DataError) -> ImageDataset) throws(DataError) -> ImageDataset {
        do { return try body() } catch { throw DataError("--data \(spec): \(error.description)") }
    }
}
