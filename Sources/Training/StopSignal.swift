import Foundation
import Synchronization

/// SIGTERM or SIGINT (Slurm preemption, Ctrl-C): the first asks the job to finish its step,
/// write a checkpoint and exit 0; a second exits at once with status 130.
public enum StopSignal {
    private static let count = Atomic<Int>(0)

    /// Installs the handlers; idempotent.
    public static func install() {
        for sig in [SIGTERM, SIGINT] {
            signal(sig) { _ in
                if StopSignal.count.add(1, ordering: .relaxed).newValue > 1 { _exit(130) }
            }
        }
    }

    public static var requested: Bool { count.load(ordering: .relaxed) > 0 }
}
