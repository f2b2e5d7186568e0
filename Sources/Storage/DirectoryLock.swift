import Foundation

/// An exclusive lock on a directory, held by one process for its lifetime: `flock` on
/// `<directory>/.swiftgan.lock`, which records the holder's host and pid for the message a
/// second process gets. The kernel releases it when the holder exits, however it exits, so a
/// crashed run never leaves a stale lock. (On NFS, Linux maps `flock` to byte-range locks.)
public final class DirectoryLock {
    public let directory: String
    private let fd: Int32

    /// Locks `directory` for `holder` (e.g. `swiftgan train`); when another process holds it,
    /// the error names that process and ends with `advice`.
    public init(_ directory: String, holder: String, advice: String) throws(StorageError) {
        self.directory = directory
        let path = "\(directory)/.swiftgan.lock"
        fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw StorageError.system(path, "cannot open the lock file") }
        guard flock(fd, LOCK_EX | LOCK_NB) == 0 else {
            let code = errno
            var holder = [UInt8](repeating: 0, count: 256)
            let n = holder.withUnsafeMutableBytes { pread(fd, $0.baseAddress, $0.count, 0) }
            close(fd)
            guard code == EWOULDBLOCK else { throw StorageError.system(path, "cannot lock", errno: code) }
            let who = n > 0 ? String(decoding: holder[0..<n], as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines) : "another process"
            throw StorageError("\(directory) is in use by \(who); \(advice)")
        }
        let record = Array("\(holder) (pid \(getpid()) on \(TemporaryFile.host))\n".utf8)
        ftruncate(fd, 0)
        _ = record.withUnsafeBytes { pwrite(fd, $0.baseAddress, $0.count, 0) }
    }

    deinit { close(fd) }
}
