import Foundation

/// Fashion-MNIST from Debian's `dataset-fashion-mnist` package (gzipped IDX files):
/// 60,000 training images of 28×28, grey, with labels 0–9.
public enum FashionMNIST {
    public static let defaultDirectory = "/usr/share/datasets/fashion-mnist"

    /// The two parts of an MNIST-format directory: `train-*` (60,000 images in Fashion-MNIST)
    /// and `t10k-*` (10,000 test images).
    public enum Split: String, Sendable, CaseIterable {
        case train
        case test
        var prefix: String { self == .train ? "train" : "t10k" }
    }

    /// Loads `<split>-images-idx3-ubyte` and `<split>-labels-idx1-ubyte` (each gzipped or raw)
    /// from `directory` and brings the images to `size`: 28 as stored, 32 padded with two
    /// black pixels on each side (as DCGAN code for MNIST does), or 64 (padded to 32, then resized 2×).
    public static func load(directory: String = defaultDirectory, size: Int, split: Split = .train) throws(DataError) -> ImageDataset {
        try load(images: find("\(split.prefix)-images-idx3-ubyte", in: directory),
                 labels: find("\(split.prefix)-labels-idx1-ubyte", in: directory), size: size)
    }

    /// An images IDX file `(n, h, w)` and, when given, its labels IDX file `(n)`, brought to
    /// `size` by padding or padding and doubling (`Geometry.fit`).
    public static func load(images imagesPath: String, labels labelsPath: String?, size: Int) throws(DataError) -> ImageDataset {
        let images = try IDXFile(path: imagesPath)
        guard images.dimensions.count == 3 else { throw DataError("\(imagesPath): expected 3 dimensions, found \(images.dimensions)") }
        let (n, h, w) = (images.dimensions[0], images.dimensions[1], images.dimensions[2])
        var labels: [Int32]?
        if let labelsPath {
            let l = try IDXFile(path: labelsPath)
            guard l.dimensions == [n] else { throw DataError("\(labelsPath): \(l.dimensions) labels for \(n) images") }
            labels = l.bytes.map { Int32($0) }
        }
        return try Geometry.fit(ImageDataset(count: n, channels: 1, height: h, width: w, pixels: images.bytes, labels: labels), size: size)
    }

    /// `directory/name.gz` or, failing that, `directory/name`.
    static func find(_ name: String, in directory: String) throws(DataError) -> String {
        for candidate in ["\(directory)/\(name).gz", "\(directory)/\(name)"] where access(candidate, F_OK) == 0 {
            return candidate
        }
        throw DataError("\(directory): neither \(name).gz nor \(name) is there")
    }
}
