import Foundation

/// A folder tree of `.png`, `.jpg` and `.jpeg` files (any letter case), in sorted path order.
/// Files inside first-level subfolders are labelled by that subfolder's index in sorted
/// order (the torchvision `ImageFolder` convention); a flat folder has no labels.
public struct ImageFolder: Sendable {
    public let root: URL
    public let files: [String]
    public let labels: [Int32]?
    public let classNames: [String]

    public init(_ path: String) throws(DataError) {
        root = URL(fileURLWithPath: path)
        guard let walker = FileManager.default.enumerator(atPath: path) else { throw DataError("\(path): cannot list the folder") }
        var found: [String] = []
        while let relative = walker.nextObject() as? String {
            let ext = (relative as NSString).pathExtension.lowercased()
            if ext == "png" || ext == "jpg" || ext == "jpeg" { found.append(relative) }
        }
        found.sort()
        guard !found.isEmpty else { throw DataError("\(path): no .png, .jpg or .jpeg files found") }
        files = found
        let folders = found.map { $0.split(separator: "/", maxSplits: 1).count > 1 ? String($0.split(separator: "/")[0]) : nil }
        if folders.allSatisfy({ $0 != nil }) && Set(folders.map { $0! }).count > 1 {
            classNames = Set(folders.map { $0! }).sorted()
            let index = Dictionary(uniqueKeysWithValues: classNames.enumerated().map { ($1, Int32($0)) })
            labels = folders.map { index[$0!]! }
        } else {
            classNames = []
            labels = nil
        }
    }

    /// Decodes file `i` to interleaved `(height, width, channels)`.
    public func decode(_ i: Int, channels: Int) throws(DataError) -> (width: Int, height: Int, pixels: [UInt8]) {
        let path = root.appendingPathComponent(files[i]).path
        let ext = (path as NSString).pathExtension.lowercased()
        if ext == "png" { return try PNG.read(path: path, channels: channels) }
        guard let data = FileManager.default.contents(atPath: path) else { throw DataError("\(path): cannot read") }
        guard !data.isEmpty else { throw DataError("\(path): empty file") }
        return try JPEG.decode(data, channels: channels, name: path)
    }
}
