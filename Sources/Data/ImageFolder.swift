import Foundation
import Storage

/// A folder tree of `.png`, `.jpg` and `.jpeg` files (any letter case), in sorted path order.
/// Files inside first-level subfolders are labelled by that subfolder's index in sorted
/// order (the torchvision `ImageFolder` convention); a flat folder has no labels.
///
/// Names are read as bytes (`readdir`). A name that is not valid UTF-8 cannot be carried
/// through the rest of the pipeline faithfully, so it is listed in `invalidNames` (escaped)
/// for the caller to report, never silently dropped or opened under a mangled name.
public struct ImageFolder: Sendable {
    public let root: String
    public let files: [String]
    public let labels: [Int32]?
    public let classNames: [String]
    /// Paths (relative, with undecodable bytes as `\xNN`) skipped because they are not UTF-8.
    public let invalidNames: [String]

    public init(_ path: String) throws(DataError) {
        root = path
        var found: [String] = [], invalid: [String] = []
        try Self.walk(path, relative: "", into: &found, invalid: &invalid)
        found.sort()
        guard !found.isEmpty else {
            throw DataError("\(path): no .png, .jpg or .jpeg files found\(invalid.isEmpty ? "" : " with UTF-8 names (\(invalid.count) names are not UTF-8)")")
        }
        files = found
        invalidNames = invalid.sorted()
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

    static func walk(_ directory: String, relative: String, into found: inout [String], invalid: inout [String]) throws(DataError) {
        guard let dir = opendir(directory) else {
            throw DataError("\(directory): cannot list the folder (\(String(cString: strerror(errno))))")
        }
        defer { closedir(dir) }
        while let entry = readdir(dir) {
            let bytes = withUnsafeBytes(of: entry.pointee.d_name) { Array($0.prefix { $0 != 0 }) }
            if bytes == [46] || bytes == [46, 46] { continue }
            guard let name = String(validating: bytes, as: UTF8.self) else {
                invalid.append(relative + bytes.map { $0 < 0x80 ? String(UnicodeScalar($0)) : String(format: "\\x%02x", $0) }.joined())
                continue
            }
            let full = "\(directory)/\(name)", rel = relative + name
            var info = stat()
            // lstat: a symbolic link to a directory is not followed (no cycles), as FileManager's walk.
            guard lstat(full, &info) == 0 else { continue }
            if info.st_mode & S_IFMT == S_IFDIR {
                try walk(full, relative: rel + "/", into: &found, invalid: &invalid)
            } else if ["png", "jpg", "jpeg"].contains((name as NSString).pathExtension.lowercased()) {
                found.append(rel)
            }
        }
    }

    /// Decodes file `i` to interleaved `(height, width, channels)`. Only regular files are
    /// opened: a FIFO or device named like an image is an error, not a hang.
    public func decode(_ i: Int, channels: Int) throws(DataError) -> (width: Int, height: Int, pixels: [UInt8]) {
        let path = "\(root)/\(files[i])"
        let ext = (path as NSString).pathExtension.lowercased()
        if ext == "png" { return try PNG.read(path: path, channels: channels) }
        let bytes: [UInt8]
        do { bytes = try RegularFile.read(path) } catch { throw DataError(error.description) }
        return try JPEG.decode(bytes, channels: channels, name: path)
    }
}
