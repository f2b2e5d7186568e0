import Foundation

/// Directories the commands write into, created and checked with POSIX calls so that every
/// failure reads as the system's reason (`Permission denied`, `Not a directory`, …).
public enum Directory {
    /// Creates `path` and its missing parents; an existing directory is fine.
    public static func create(_ path: String) throws(StorageError) {
        var info = stat()
        if stat(path, &info) == 0 {
            guard info.st_mode & S_IFMT == S_IFDIR else {
                throw StorageError("\(path) exists and is not a directory")
            }
            return
        }
        let parent = URL(fileURLWithPath: path).deletingLastPathComponent().path
        if parent != path && !parent.isEmpty { try create(parent) }
        if mkdir(path, 0o755) != 0 && errno != EEXIST {
            throw StorageError.system(path, "cannot create the directory")
        }
    }

    /// Creates `path` if needed and checks that this process can create files in it.
    public static func prepareForWriting(_ path: String) throws(StorageError) {
        try create(path)
        guard access(path, W_OK | X_OK) == 0 else { throw StorageError.system(path, "cannot write in the directory") }
    }

    /// Whether `path` exists (following links).
    public static func exists(_ path: String) -> Bool {
        var info = stat()
        return stat(path, &info) == 0
    }

    /// Names of the entries of `path`, sorted; empty when it cannot be listed.
    public static func entries(_ path: String) -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: path)) ?? []).sorted()
    }
}
