import Dispatch
import Foundation
import Storage

/// `swiftgan prepare`: decodes a folder of PNG/JPEG files (or MNIST-format IDX files) once,
/// on all cores, into one packed dataset file.
public struct Preparation {
    public struct Summary: Sendable {
        public let written: Int
        public let skipped: Int
        public let classes: Int
        public let seconds: Double
    }

    public let source: String
    public let output: String
    public let channels: Int
    public let geometry: ImageGeometry
    public let strict: Bool
    /// Receives one warning line per skipped file.
    public var warn: (String) -> Void = { FileHandle.standardError.write(Data("warning: \($0)\n".utf8)) }

    public init(source: String, output: String, size: Int, channels: Int, crop: Int?, strict: Bool) throws(DataError) {
        guard channels == 1 || channels == 3 else { throw DataError("--channels must be 1 or 3, got \(channels)") }
        guard [32, 64, 128].contains(size) else { throw DataError("--size must be 32, 64 or 128, got \(size)") }
        if let crop, crop < size { throw DataError("--crop \(crop) is smaller than --size \(size)") }
        self.source = source
        self.output = output
        self.channels = channels
        geometry = ImageGeometry(size: size, crop: crop)
        self.strict = strict
    }

    public func run() throws(DataError) -> Summary {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: source, isDirectory: &isDirectory) else {
            throw DataError("\(source): no such file or directory")
        }
        let start = Date()
        if !isDirectory.boolValue || (try? FashionMNIST.find("train-images-idx3-ubyte", in: source)) != nil {
            return try prepareIDX(start: start)
        }
        return try prepareFolder(ImageFolder(source), start: start)
    }

    private func prepareFolder(_ folder: ImageFolder, start: Date) throws(DataError) -> Summary {
        let size = geometry.size
        var skipped = 0
        for name in folder.invalidNames {
            let problem = "\(source)/\(name): the file name is not valid UTF-8; rename it to include the image"
            if strict { throw DataError("\(problem) (--strict)") }
            warn("skipping \(problem)")
            skipped += 1
        }
        let writer = try makeWriter(size: size)
        let progress = Progress(total: folder.files.count, label: "prepare")
        let chunk = 256 * max(ProcessInfo.processInfo.activeProcessorCount, 1)
        var first = 0
        while first < folder.files.count {
            let n = min(chunk, folder.files.count - first)
            let results = decodeChunk(folder, first: first, count: n)
            for (k, result) in results.enumerated() {
                switch result {
                case let .success(pixels):
                    try pixels.withUnsafeBufferPointer { (buffer) throws(DataError) in
                        try writer.append(buffer, label: folder.labels?[first + k])
                    }
                case let .failure(error):
                    if strict { throw DataError("\(error.description) (--strict)") }
                    warn("skipping \(error.description)")
                    skipped += 1
                }
            }
            first += n
            progress.update(first)
        }
        guard writer.count > 0 else { throw DataError("\(source): none of the \(folder.files.count) image files could be decoded") }
        try writer.finish(classes: folder.classNames.count)
        return Summary(written: writer.count, skipped: skipped, classes: folder.classNames.count, seconds: Date().timeIntervalSince(start))
    }

    /// Decodes, crops, resizes and transposes to CHW files `first..<first+count` in parallel;
    /// results keep file order, so the output does not depend on the number of cores.
    private func decodeChunk(_ folder: ImageFolder, first: Int, count: Int) -> [Result<[UInt8], DataError>] {
        let results = UnsafeMutableBufferPointer<Result<[UInt8], DataError>>.allocate(capacity: count)
        results.initialize(repeating: .failure(DataError("not decoded")))
        defer { results.deinitialize(); results.deallocate() }
        nonisolated(unsafe) let slots = results
        let channels = channels, geometry = geometry
        DispatchQueue.concurrentPerform(iterations: count) { k in
            slots[k] = Result { () throws(DataError) -> [UInt8] in
                let image = try folder.decode(first + k, channels: channels)
                let hwc: [UInt8]
                do throws(DataError) { hwc = try geometry.apply(image.pixels, width: image.width, height: image.height, channels: channels) } catch {
                    throw DataError("\(folder.root)/\(folder.files[first + k]): \(error.description)")
                }
                return Self.planar(hwc, size: geometry.size, channels: channels)
            }.mapError { error in DataError(error.description) }
        }
        return Array(results)
    }

    /// The output file, after removing what an earlier, killed `prepare` of the same output
    /// left behind.
    private func makeWriter(size: Int) throws(DataError) -> PackedDataset.Writer {
        let url = URL(fileURLWithPath: output)
        for name in TemporaryFile.removeStale(in: url.deletingLastPathComponent().path, target: url.lastPathComponent) {
            warn("removed \(name), left by an interrupted prepare")
        }
        return try PackedDataset.Writer(path: output, channels: channels, height: size, width: size)
    }

    /// Interleaved `(H, W, C)` → planar `(C, H, W)`.
    static func planar(_ hwc: [UInt8], size: Int, channels: Int) -> [UInt8] {
        if channels == 1 { return hwc }
        var chw = [UInt8](repeating: 0, count: hwc.count)
        for y in 0..<size { for x in 0..<size { for c in 0..<channels {
            chw[(c * size + y) * size + x] = hwc[(y * size + x) * channels + c]
        } } }
        return chw
    }

    /// IDX images (and their labels when present), padded or enlarged as for training, with
    /// grey replicated to RGB when `--channels 3`.
    private func prepareIDX(start: Date) throws(DataError) -> Summary {
        let imagesPath: String, labelsPath: String?
        var isDirectory: ObjCBool = false
        _ = FileManager.default.fileExists(atPath: source, isDirectory: &isDirectory)
        if isDirectory.boolValue {
            imagesPath = try FashionMNIST.find("train-images-idx3-ubyte", in: source)
            labelsPath = try? FashionMNIST.find("train-labels-idx1-ubyte", in: source)
        } else {
            guard source.contains("idx3-ubyte") else {
                throw DataError("\(source): expected a folder of images, a folder of IDX files, or an *-idx3-ubyte[.gz] file")
            }
            imagesPath = source
            let sibling = source.replacingOccurrences(of: "images-idx3", with: "labels-idx1")
            labelsPath = sibling != source && access(sibling, R_OK) == 0 ? sibling : nil
        }
        let fitted = try FashionMNIST.load(images: imagesPath, labels: labelsPath, size: geometry.size)
        let n = fitted.count, labels = fitted.labels
        let size = geometry.size, plane = size * size
        let writer = try makeWriter(size: size)
        var sample = [UInt8](repeating: 0, count: channels * plane)
        for i in 0..<n {
            for c in 0..<channels { for j in 0..<plane { sample[c * plane + j] = fitted.pixels[i * plane + j] } }
            try sample.withUnsafeBufferPointer { (buffer) throws(DataError) in try writer.append(buffer, label: labels?[i]) }
        }
        let classes = labels.map { Int(($0.max() ?? 0) + 1) } ?? 0
        try writer.finish(classes: classes)
        return Summary(written: n, skipped: 0, classes: classes, seconds: Date().timeIntervalSince(start))
    }
}
