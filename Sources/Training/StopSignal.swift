import Foundation
import Storage
import Synchronization

/// SIGTERM, SIGINT or SIGUSR1 (Slurm preemption, Ctrl-C, Slurm's `--signal=USR1@T` warning):
/// the first asks the job to finish its step, write a checkpoint and exit 0; a second exits at
/// once with status 130, after unlinking any temporary file being written (`SignalCleanup`). mpirun forwards SIGUSR1 to every rank and lets the job finish; a
/// SIGTERM sent to mpirun itself is forwarded too, but mpirun then reports failure on its own.
public enum StopSignal {
    private static let count = Atomic<Int>(0)

    /// Installs the handlers; idempotent.
    public static func install() {
        for sig in [SIGTERM, SIGINT, SIGUSR1] {
            signal(sig) { _ in
                if StopSignal.count.add(1, ordering: .relaxed).newValue > 1 {
                    SignalCleanup.unlinkAll()
                    _exit(130)
                }
            }
        }
    }

    public static var requested: Bool { count.load(ordering: .relaxed) > 0 }
}
