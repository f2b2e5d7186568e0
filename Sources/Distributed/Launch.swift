import Foundation

/// The communicator for this process: MPI when started by mpirun (or another launcher
/// that sets the PMIx/OpenMPI rank variables), otherwise a single process, rank 0 of 1,
/// which needs no MPI initialisation at all.
public func makeCommunicator(environment: [String: String] = ProcessInfo.processInfo.environment) throws(CommunicatorError) -> Communicator {
    let launched = ["OMPI_COMM_WORLD_SIZE", "PMIX_RANK", "PMI_RANK"].contains { environment[$0] != nil }
    return launched ? try MPICommunicator() : SingleProcess()
}
