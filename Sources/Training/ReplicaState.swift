import Distributed
import Neural
import Storage

/// Keeping replicas identical: every rank starts from rank 0's state and a digest proves they
/// stay equal. Both read the trainer's one state list.
public enum ReplicaState {
    /// Copies rank 0's complete state (tensors and counters) to every rank.
    public static func broadcast(_ trainer: GANTrainer) throws {
        let c = trainer.communicator
        guard c.size > 1 else { return }
        let state = trainer.state
        for t in state.tensors { try c.broadcast(t.pointer, count: t.byteCount, root: 0) }
        state.markWritten()
        var counters = state.counters.map { Int64($0.get()) }
        try counters.withUnsafeMutableBytes { raw in try c.broadcast(raw.baseAddress!, count: raw.count, root: 0) }
        for (counter, value) in zip(state.counters, counters) { counter.set(Int(value)) }
    }

    /// A digest of the whole state list (`WordDigest`).
    public static func digest(_ trainer: GANTrainer) -> UInt64 { trainer.state.digest }

    /// Compares every rank's digest with rank 0's; the same verdict on every rank.
    public static func verifyIdentical(_ trainer: GANTrainer, step: Int) throws {
        let c = trainer.communicator
        guard c.size > 1 else { return }
        var mine = digest(trainer)
        var all = [UInt64](repeating: 0, count: c.size)
        try all.withUnsafeMutableBytes { raw in
            try c.allgather(&mine, count: 8, into: raw.baseAddress!)
        }
        if let bad = all.firstIndex(where: { $0 != all[0] }) {
            throw TrainingError("replicas diverged at step \(step): rank \(bad)'s state differs from rank 0's", collective: true)
        }
    }
}
