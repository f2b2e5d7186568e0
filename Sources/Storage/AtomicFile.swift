import Foundation

/// Writes that never leave a partial file under the final name: the data goes to a temporary
/// file beside the target (`TemporaryFile`), is fsynced, renamed over the final name, and the
/// directory is fsynced, so after a crash the final name holds either the old file or the new
/// one, whole. An existing target that is not a regular file (a device, a FIFO, a directory)
/// is refused rather than replaced.
public final class AtomicFile {
    public let path: String
    public let temporaryPath: String
    private var fd: Int32
    private let cleanupSlot: Int?
    private var committed = false

    /// Starts writing `path`.
    public init(_ path: String) throws(StorageError) {
        try Self.checkTarget(path)
        self.path = path
        temporaryPath = TemporaryFile.path(for: path)
        unlink(temporaryPath)
        fd = Foundation.open(temporaryPath, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
        guard fd >= 0 else {
            throw StorageError.system(path, "cannot create \(URL(fileURLWithPath: temporaryPath).lastPathComponent) beside it")
        }
        cleanupSlot = SignalCleanup.register(temporaryPath)
    }

    deinit {
        if !committed { abandon() }
    }

    /// Appends `bytes`.
    public func write(_ bytes: UnsafeRawBufferPointer) throws(StorageError) {
        var done = 0
        while done < bytes.count {
            let n = Foundation.write(fd, bytes.baseAddress! + done, bytes.count - done)
            if n < 0 {
                if errno == EINTR { continue }
                let error = StorageError.system(path, "write failed")
                abandon()
                throw error
            }
            done += n
        }
    }

    public func write(_ bytes: [UInt8]) throws(StorageError) {
        try bytes.withUnsafeBytes { raw in Result { () throws(StorageError) in try write(raw) } }.get()
    }

    public func write(_ data: Data) throws(StorageError) {
        try data.withUnsafeBytes { raw in Result { () throws(StorageError) in try write(raw) } }.get()
    }

    /// Overwrites `bytes` at `offset` (a header completed last), leaving the end where it is.
    public func write(_ bytes: [UInt8], at offset: Int) throws(StorageError) {
        let n = bytes.withUnsafeBytes { pwrite(fd, $0.baseAddress, $0.count, off_t(offset)) }
        guard n == bytes.count else {
            let error = StorageError.system(path, "write failed")
            abandon()
            throw error
        }
    }

    /// Makes the file durable and renames it into place.
    public func commit() throws(StorageError) {
        guard !committed else { return }
        if fsync(fd) != 0 {
            let error = StorageError.system(path, "fsync failed")
            abandon()
            throw error
        }
        close(fd)
        fd = -1
        guard rename(temporaryPath, path) == 0 else {
            let error = StorageError.system(path, "cannot rename into place")
            unlink(temporaryPath)
            SignalCleanup.unregister(cleanupSlot)
            committed = true
            throw error
        }
        committed = true
        SignalCleanup.unregister(cleanupSlot)
        let directory = open(URL(fileURLWithPath: path).deletingLastPathComponent().path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        if directory >= 0 {
            fsync(directory)
            close(directory)
        }
    }

    /// Removes the temporary file; the target is untouched.
    public func abandon() {
        if fd >= 0 { close(fd); fd = -1 }
        if !committed {
            unlink(temporaryPath)
            SignalCleanup.unregister(cleanupSlot)
            committed = true
        }
    }

    /// Writes `bytes` to `path` in one go.
    public static func write(_ bytes: [UInt8], to path: String) throws(StorageError) {
        let file = try AtomicFile(path)
        try file.write(bytes)
        try file.commit()
    }

    public static func write(_ data: Data, to path: String) throws(StorageError) {
        let file = try AtomicFile(path)
        try file.write(data)
        try file.commit()
    }

    /// Refuses a target that exists and is not a regular file (following links).
    public static func checkTarget(_ path: String) throws(StorageError) {
        var info = stat()
        guard stat(path, &info) == 0 else { return }
        guard info.st_mode & S_IFMT == S_IFREG else {
            throw StorageError("\(path) exists and is \(RegularFile.kind(info.st_mode)); refusing to replace it (name a regular file)")
        }
    }
}
