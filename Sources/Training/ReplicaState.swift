import Distributed
import Neural
import Storage

/// The state every replica must hold identically: parameters, Adam moments and BatchNorm
/// buffers of both networks.
public enum ReplicaState {
    /// Copies rank 0's complete state to every rank, so replicas start identical whatever
    /// each rank computed or read.
    public static func broadcast(_ trainer: GANTrainer) throws {
        let c = trainer.communicator
        guard c.size > 1 else { return }
        for network in [trainer.generator, trainer.discriminator] {
            let arena = network.arena
            for buffer in [arena.values!, arena.adamM!, arena.adamV!] {
                try c.broadcast(buffer, count: arena.count * 4, root: 0)
            }
            for bn in network.batchNorms {
                try c.broadcast(bn.runningMean, count: bn.channels * 4, root: 0)
                try c.broadcast(bn.runningVar, count: bn.channels * 4, root: 0)
                var tracked = bn.batchesTracked
                try c.broadcast(&tracked, count: MemoryLayout<Int>.size, root: 0)
                bn.batchesTracked = tracked
            }
        }
        var steps = [trainer.step, trainer.optimizerG.step, trainer.optimizerD.step]
        try steps.withUnsafeMutableBytes { raw in try c.broadcast(raw.baseAddress!, count: raw.count, root: 0) }
        trainer.step = steps[0]
        trainer.optimizerG.step = steps[1]
        trainer.optimizerD.step = steps[2]
    }

    /// FNV-1a (64-bit) of the parameters and BatchNorm buffers of both networks.
    public static func digest(_ trainer: GANTrainer) -> UInt64 {
        var hash = FNV1a()
        for network in [trainer.generator, trainer.discriminator] {
            hash.add(network.arena.values, count: network.arena.count)
            for bn in network.batchNorms {
                hash.add(bn.runningMean, count: bn.channels)
                hash.add(bn.runningVar, count: bn.channels)
            }
        }
        return hash.value
    }

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
            throw TrainingError("replicas diverged at step \(step): rank \(bad)'s parameters differ from rank 0's", collective: true)
        }
    }
}
