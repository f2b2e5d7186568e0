@preconcurrency import CMPI
import Foundation

/// OpenMPI's `MPI_COMM_WORLD`. Errors are returned rather than fatal, and every return code
/// becomes a `CommunicatorError` naming the function.
public final class MPICommunicator: Communicator {
    public let rank: Int
    public let size: Int
    public let hostName: String
    private let comm: MPI_Comm

    /// Initialises MPI once per process. Started without mpirun this is a singleton: rank 0 of 1.
    public init() throws(CommunicatorError) {
        var initialized: Int32 = 0
        try check(MPI_Initialized(&initialized), "MPI_Initialized")
        if initialized == 0 { try check(MPI_Init(nil, nil), "MPI_Init") }
        comm = cmpi_comm_world()
        try check(MPI_Comm_set_errhandler(comm, cmpi_errors_return()), "MPI_Comm_set_errhandler")
        var r: Int32 = 0, s: Int32 = 0
        try check(MPI_Comm_rank(comm, &r), "MPI_Comm_rank")
        try check(MPI_Comm_size(comm, &s), "MPI_Comm_size")
        rank = Int(r)
        size = Int(s)
        var name = [CChar](repeating: 0, count: Int(cmpi_max_processor_name()) + 1)
        var length: Int32 = 0
        try check(MPI_Get_processor_name(&name, &length), "MPI_Get_processor_name")
        hostName = String(decoding: name.prefix(Int(length)).map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// Ends MPI cleanly; call once, at the end of a successful run.
    public func finalize() {
        var finalized: Int32 = 0
        MPI_Finalized(&finalized)
        if finalized == 0 { MPI_Finalize() }
    }

    public func allreduceSum(_ values: UnsafeMutablePointer<Float>, count: Int) throws(CommunicatorError) {
        try reduce(values, count: count, type: cmpi_float(), op: cmpi_sum())
    }

    public func allreduceSum(_ values: UnsafeMutablePointer<Double>, count: Int) throws(CommunicatorError) {
        try reduce(values, count: count, type: cmpi_double(), op: cmpi_sum())
    }

    public func allreduceSum(_ values: UnsafeMutablePointer<Int64>, count: Int) throws(CommunicatorError) {
        try reduce(values, count: count, type: cmpi_int64(), op: cmpi_sum())
    }

    public func allreduceMax(_ values: UnsafeMutablePointer<Double>, count: Int) throws(CommunicatorError) {
        try reduce(values, count: count, type: cmpi_double(), op: cmpi_max())
    }

    /// In-place allreduce in chunks that fit MPI's `int` count.
    private func reduce(_ values: UnsafeMutableRawPointer, count: Int, type: MPI_Datatype, op: MPI_Op) throws(CommunicatorError) {
        guard size > 1 else { return }
        var elementSize: Int32 = 0
        try check(MPI_Type_size(type, &elementSize), "MPI_Type_size")
        var done = 0
        while done < count {
            let chunk = min(count - done, Int(Int32.max))
            try check(MPI_Allreduce(cmpi_in_place(), values + done * Int(elementSize), Int32(chunk), type, op, comm), "MPI_Allreduce")
            done += chunk
        }
    }

    public func broadcast(_ bytes: UnsafeMutableRawPointer, count: Int, root: Int) throws(CommunicatorError) {
        guard size > 1 else { return }
        var done = 0
        while done < count {
            let chunk = min(count - done, 1 << 30)
            try check(MPI_Bcast(bytes + done, Int32(chunk), cmpi_byte(), Int32(root), comm), "MPI_Bcast")
            done += chunk
        }
    }

    public func allgather(_ bytes: UnsafeRawPointer, count: Int, into: UnsafeMutableRawPointer) throws(CommunicatorError) {
        guard size > 1 else {
            into.copyMemory(from: bytes, byteCount: count)
            return
        }
        precondition(count <= Int(Int32.max), "allgather of \(count) bytes")
        try check(MPI_Allgather(bytes, Int32(count), cmpi_byte(), into, Int32(count), cmpi_byte(), comm), "MPI_Allgather")
    }

    public func barrier() throws(CommunicatorError) {
        guard size > 1 else { return }
        try check(MPI_Barrier(comm), "MPI_Barrier")
    }

    public func abort(code: Int32) -> Never {
        MPI_Abort(comm, code)
        exit(code)
    }
}

private func check(_ code: Int32, _ function: String) throws(CommunicatorError) {
    guard code != cmpi_success() else { return }
    var text = [CChar](repeating: 0, count: Int(cmpi_max_error_string()) + 1)
    var length: Int32 = 0
    MPI_Error_string(code, &text, &length)
    let message = String(decoding: text.prefix(Int(length)).map { UInt8(bitPattern: $0) }, as: UTF8.self)
    throw CommunicatorError(function: function, message: "\(message) (code \(code))")
}
