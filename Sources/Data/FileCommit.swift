import Foundation

/// The last step of every atomic write in SwiftGAN: a complete temporary file in the target's
/// directory is renamed over the final name and the directory is fsynced, so that after a
/// crash the final name holds either the old file or the new one, whole.
public enum FileCommit {
    /// Renames `temporary` to `path` (removing `temporary` on failure) and makes it durable.
    public static func rename(_ temporary: String, to path: String) throws(DataError) {
        guard Foundation.rename(temporary, path) == 0 else {
            let reason = String(cString: strerror(errno))
            unlink(temporary)
            throw DataError("\(path): cannot rename into place (\(reason))")
        }
        let directory = URL(fileURLWithPath: path).deletingLastPathComponent().path
        let fd = open(directory, O_RDONLY | O_DIRECTORY)
        if fd >= 0 {
            fsync(fd)
            close(fd)
        }
    }
}
