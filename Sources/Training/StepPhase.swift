import Synchronization

/// Where a replica is within its training step: written by the training thread at each phase,
/// read by the stall watchdog's thread (`StallWatchdog`). Lock-free and allocation-free.
public final class StepPhase: Sendable {
    public enum Phase: Int, Sendable {
        case idle
        /// D step `j`: forward and backward on the real batch (BatchNorm statistics are allreduced inside).
        case discriminatorReal
        /// D step `j`: G's forward, then D's forward and backward on its samples.
        case discriminatorFake
        /// The allreduce of D's gradients and Adam.
        case discriminatorUpdate
        /// G step `j`: forward through G and D, backward.
        case generator
        /// The allreduce of G's gradients and Adam.
        case generatorUpdate
        /// The allreduce of the step's metrics and the stop flag.
        case metrics
    }

    private let phase = Atomic<Int>(0)
    private let subStep = Atomic<Int>(0)

    public init() {}

    public func enter(_ p: Phase, step j: Int = 0) {
        subStep.store(j, ordering: .relaxed)
        phase.store(p.rawValue, ordering: .releasing)
    }

    /// The phase in words, e.g. "D step 1: allreduce of D's gradients".
    public var description: String {
        let j = subStep.load(ordering: .relaxed) + 1
        switch Phase(rawValue: phase.load(ordering: .acquiring)) ?? .idle {
        case .idle: return "between steps"
        case .discriminatorReal: return "D step \(j): forward/backward on the real batch (with BatchNorm statistics allreduces)"
        case .discriminatorFake: return "D step \(j): forward/backward on G's samples (with BatchNorm statistics allreduces)"
        case .discriminatorUpdate: return "D step \(j): allreduce of D's gradients"
        case .generator: return "G step \(j): forward/backward through G and D (with BatchNorm statistics allreduces)"
        case .generatorUpdate: return "G step \(j): allreduce of G's gradients"
        case .metrics: return "the allreduce of the step's metrics"
        }
    }
}
