import Foundation

/// The engine's allocations: zero-filled, 64-byte aligned (whole cache lines, AVX-512 loads),
/// and never a crash. Commands estimate a configuration's memory before building it
/// (`NetworkBuilder.estimatedBytes`) and refuse what will not fit; should an allocation still
/// fail (another process took the memory meanwhile), the process ends with one line naming
/// the size and what to lower, and exit status 1.
public enum Memory {
    public static func allocate<T>(_ count: Int, of type: T.Type = T.self) -> UnsafeMutablePointer<T> {
        let bytes = Swift.max(count, 1) * MemoryLayout<T>.stride
        var raw: UnsafeMutableRawPointer?
        guard posix_memalign(&raw, 64, bytes) == 0, let raw else {
            let text = "error: out of memory: cannot allocate \(bytes) bytes; lower --batch-size or the model's widths (--ngf, --ndf)\n"
            FileHandle.standardError.write(Data(text.utf8))
            exit(1)
        }
        memset(raw, 0, bytes)
        return raw.bindMemory(to: T.self, capacity: Swift.max(count, 1))
    }

    public static func free<T>(_ pointer: UnsafeMutablePointer<T>?) {
        Foundation.free(pointer)
    }
}
