import Data
import Foundation

/// Writes that never leave a partial file under the final name: the data goes to a temporary
/// file in the same directory, is fsynced, renamed into place, and the directory is fsynced,
/// so after a crash either the old or the new file is there, complete.
public enum AtomicFile {
    public static func write(_ data: Data, to url: URL) throws(TrainingError) {
        let path = url.path
        let directory = url.deletingLastPathComponent().path
        let temporary = "\(directory)/.\(url.lastPathComponent).tmp-\(getpid())"
        let fd = open(temporary, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        guard fd >= 0 else { throw TrainingError("\(path): cannot create \(temporary) (\(String(cString: strerror(errno))))") }
        var failure: String?
        data.withUnsafeBytes { raw in
            var done = 0
            while done < raw.count {
                let n = Foundation.write(fd, raw.baseAddress! + done, raw.count - done)
                if n < 0 {
                    if errno == EINTR { continue }
                    failure = String(cString: strerror(errno))
                    return
                }
                done += n
            }
        }
        if failure == nil && fsync(fd) != 0 { failure = String(cString: strerror(errno)) }
        close(fd)
        if let failure {
            unlink(temporary)
            throw TrainingError("\(path): write failed (\(failure))")
        }
        do { try FileCommit.rename(temporary, to: path) } catch { throw TrainingError(error.description) }
    }
}

/// A training problem a user can act on; the message names the option or file.
/// `collective`: every rank reached the same verdict at the same point, so rank 0 alone
/// reports it and all ranks exit cleanly; otherwise the failing rank reports it with its
/// rank and aborts the whole job.
public struct TrainingError: Error, CustomStringConvertible {
    public let description: String
    public let collective: Bool
    public init(_ description: String, collective: Bool = false) {
        self.description = description
        self.collective = collective
    }
}
