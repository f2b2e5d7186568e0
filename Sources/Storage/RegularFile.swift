import Foundation

/// Reading files that a user names, safely: only regular files are opened, so a FIFO, a device
/// or a directory given where a file is expected is one clear error instead of a hang or a
/// read of endless bytes.
///
/// The file is opened with `O_NONBLOCK` (opening a FIFO for reading would otherwise wait for a
/// writer), checked with `fstat` on the open descriptor (no race between check and use), and
/// switched back to blocking reads.
public enum RegularFile {
    /// An open descriptor of the regular file at `path`; the caller closes it.
    public static func open(_ path: String) throws(StorageError) -> Int32 {
        let fd = Foundation.open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC)
        guard fd >= 0 else { throw StorageError.system(path, "cannot open") }
        var info = stat()
        guard fstat(fd, &info) == 0 else {
            let code = errno
            close(fd)
            throw StorageError.system(path, "cannot stat", errno: code)
        }
        guard info.st_mode & S_IFMT == S_IFREG else {
            close(fd)
            throw StorageError("\(path): not a regular file (\(kind(info.st_mode))); only regular files are read")
        }
        _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK)
        return fd
    }

    /// Checks that `path` names a regular file (following symbolic links), for libraries that
    /// open files themselves.
    public static func check(_ path: String) throws(StorageError) {
        close(try open(path))
    }

    /// The whole file.
    public static func read(_ path: String) throws(StorageError) -> [UInt8] {
        let fd = try open(path)
        defer { close(fd) }
        var info = stat()
        fstat(fd, &info)
        var bytes = [UInt8]()
        bytes.reserveCapacity(Int(info.st_size))
        var chunk = [UInt8](repeating: 0, count: 1 << 20)
        while true {
            let n = chunk.withUnsafeMutableBytes { Foundation.read(fd, $0.baseAddress, $0.count) }
            if n < 0 {
                if errno == EINTR { continue }
                throw StorageError.system(path, "read failed")
            }
            if n == 0 { break }
            bytes.append(contentsOf: chunk[0..<n])
        }
        return bytes
    }

    /// A read-only memory map of the whole file, for large files read piecemeal (checkpoints,
    /// packed datasets).
    public static func map(_ path: String) throws(StorageError) -> MappedFile {
        let fd = try open(path)
        defer { close(fd) }
        return try MappedFile(fd: fd, path: path)
    }

    static func kind(_ mode: mode_t) -> String {
        switch mode & S_IFMT {
        case S_IFDIR: "a directory"
        case S_IFIFO: "a FIFO"
        case S_IFCHR: "a character device"
        case S_IFBLK: "a block device"
        case S_IFSOCK: "a socket"
        default: "not a regular file"
        }
    }
}

/// A read-only memory map of a whole file, unmapped with its owner.
public final class MappedFile: @unchecked Sendable {
    public let base: UnsafeRawPointer
    public let size: Int

    init(fd: Int32, path: String) throws(StorageError) {
        var info = stat()
        guard fstat(fd, &info) == 0 else { throw StorageError.system(path, "cannot stat") }
        size = Int(info.st_size)
        guard size > 0 else { throw StorageError("\(path): empty file") }
        guard let p = mmap(nil, size, PROT_READ, MAP_PRIVATE, fd, 0), p != MAP_FAILED else {
            throw StorageError.system(path, "cannot map")
        }
        base = UnsafeRawPointer(p)
    }

    deinit { munmap(UnsafeMutableRawPointer(mutating: base), size) }

    public var bytes: UnsafeRawBufferPointer { UnsafeRawBufferPointer(start: base, count: size) }
}
