import Foundation

/// Rank 0 of 1: every reduction is the identity.
public final class SingleProcess: Communicator {
    public init() {}
    public var rank: Int { 0 }
    public var size: Int { 1 }
    public var hostName: String { ProcessInfo.processInfo.hostName }
    public func allreduceSum(_ values: UnsafeMutablePointer<Float>, count: Int) {}
    public func allreduceSum(_ values: UnsafeMutablePointer<Double>, count: Int) {}
    public func allreduceSum(_ values: UnsafeMutablePointer<Int64>, count: Int) {}
    public func allreduceMax(_ values: UnsafeMutablePointer<Double>, count: Int) {}
    public func broadcast(_ bytes: UnsafeMutableRawPointer, count: Int, root: Int) {}
    public func allgather(_ bytes: UnsafeRawPointer, count: Int, into: UnsafeMutableRawPointer) {
        into.copyMemory(from: bytes, byteCount: count)
    }
    public func barrier() {}
    public func abort(code: Int32) -> Never { exit(code) }
}
