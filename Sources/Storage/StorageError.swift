import Foundation

/// A file that cannot be read or written; the message names the path and the reason as the
/// system gives it (`strerror`), never a Foundation error domain and code.
public struct StorageError: Error, CustomStringConvertible, Sendable {
    public let description: String
    public init(_ description: String) { self.description = description }

    /// `"<path>: <what> (<strerror(errno)>)"` for the current `errno`.
    public static func system(_ path: String, _ what: String, errno code: Int32 = errno) -> StorageError {
        StorageError("\(path): \(what) (\(String(cString: strerror(code))))")
    }
}
