import Distributed
import Foundation
import Training

/// How a failed job ends. A collective verdict (every rank reached it) or a single process:
/// rank 0 prints one line and every rank exits 1 cleanly. A failure on one rank only: that
/// rank prints the line with its rank and aborts the whole job, so that no rank hangs waiting.
func fail(_ error: Error, on communicator: Communicator) -> Never {
    let message = "\(error)"
    let collective = (error as? TrainingError)?.collective ?? false
    if communicator.size == 1 || collective {
        if communicator.isRoot { FileHandle.standardError.write(Data("error: \(message)\n".utf8)) }
        (communicator as? MPICommunicator)?.finalize()
        exit(1)
    }
    FileHandle.standardError.write(Data("error: rank \(communicator.rank): \(message)\n".utf8))
    communicator.abort(code: 1)
}

/// Whether this process is rank 0, or alone, before MPI is initialised (from the launcher's
/// environment): errors found by every rank alike are printed once.
var isRootProcess: Bool {
    let environment = ProcessInfo.processInfo.environment
    let rank = environment["OMPI_COMM_WORLD_RANK"] ?? environment["PMIX_RANK"] ?? environment["PMI_RANK"]
    return rank == nil || rank == "0"
}
