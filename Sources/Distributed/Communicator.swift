/// The collectives a data-parallel trainer needs. A process started without mpirun is
/// rank 0 of 1 and every collective is the identity: no separate code path.
///
/// Every rank must issue the same collectives in the same order; the trainer guarantees
/// that by calling them unconditionally at fixed points of each step.
public protocol Communicator: AnyObject {
    var rank: Int { get }
    var size: Int { get }
    /// This node's host name, for the start-up report.
    var hostName: String { get }

    /// `values[i] ← Σ_ranks values[i]`, in place.
    func allreduceSum(_ values: UnsafeMutablePointer<Float>, count: Int) throws(CommunicatorError)
    func allreduceSum(_ values: UnsafeMutablePointer<Double>, count: Int) throws(CommunicatorError)
    /// Exact and associative: the result does not depend on the order ranks are combined in.
    func allreduceSum(_ values: UnsafeMutablePointer<Int64>, count: Int) throws(CommunicatorError)
    /// `values[i] ← max_ranks values[i]`, in place.
    func allreduceMax(_ values: UnsafeMutablePointer<Double>, count: Int) throws(CommunicatorError)
    /// Copies `count` bytes from `root` to every rank.
    func broadcast(_ bytes: UnsafeMutableRawPointer, count: Int, root: Int) throws(CommunicatorError)
    /// Every rank's `count` bytes, concatenated in rank order on every rank.
    func allgather(_ bytes: UnsafeRawPointer, count: Int, into: UnsafeMutableRawPointer) throws(CommunicatorError)
    func barrier() throws(CommunicatorError)
    /// Ends every rank of the job with `code`, now.
    func abort(code: Int32) -> Never
}

extension Communicator {
    public var isRoot: Bool { rank == 0 }
}

/// A failed collective: the MPI function and its error string.
public struct CommunicatorError: Error, CustomStringConvertible {
    public let function: String
    public let message: String
    public init(function: String, message: String) {
        self.function = function
        self.message = message
    }
    public var description: String { "\(function) failed: \(message)" }
}
