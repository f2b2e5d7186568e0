import Storage

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

/// Runs file work and reports its failure as a `TrainingError` with the same message.
func io<T>(_ body: () throws(StorageError) -> T) throws(TrainingError) -> T {
    do { return try body() } catch { throw TrainingError(error.description) }
}
