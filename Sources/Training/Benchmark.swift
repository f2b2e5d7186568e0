import Distributed
import Foundation
import Models
import Neural

/// `swiftgan bench`: the real training step on synthetic data, timed step by step.
public struct Benchmark {
    public struct Result: Sendable {
        public let ranks: Int
        public let blasThreads: Int
        public let globalBatch: Int
        /// Seconds per step, the slowest rank's time for each step.
        public let stepSeconds: [Double]
        public var medianStepSeconds: Double {
            let s = stepSeconds.sorted()
            return s.count % 2 == 1 ? s[s.count / 2] : (s[s.count / 2 - 1] + s[s.count / 2]) / 2
        }
        /// Aggregate images per second over all ranks at the median step time.
        public var imagesPerSecond: Double { Double(globalBatch) / medianStepSeconds }
    }

    public let model: ModelConfig
    public let localBatch: Int
    public let steps: Int
    public let warmup: Int

    public init(model: ModelConfig, localBatch: Int, steps: Int, warmup: Int) {
        self.model = model
        self.localBatch = localBatch
        self.steps = steps
        self.warmup = warmup
    }

    public func run(communicator: Communicator) throws -> Result {
        let trainer = GANTrainer(model: model, learningRate: 2e-4, beta1: 0.5, localBatch: localBatch,
                                 communicator: communicator, seed: 1234)
        let random = Philox(seed: UInt64(communicator.rank) + 1)
        for i in 0..<trainer.real.count {
            trainer.real.data[i] = 2 * random.uniform(stream: 7, index: UInt64(i / 4096), element: i % 4096) - 1
        }
        var times: [Double] = []
        for step in 0..<(warmup + steps) {
            try communicator.barrier()
            let start = DispatchTime.now().uptimeNanoseconds
            trainer.fillLatents(step: step)
            _ = try trainer.trainStep()
            var elapsed = Double(DispatchTime.now().uptimeNanoseconds - start) * 1e-9
            try communicator.allreduceMax(&elapsed, count: 1)
            if step >= warmup { times.append(elapsed) }
        }
        return Result(ranks: communicator.size, blasThreads: BLASThreads.count,
                      globalBatch: localBatch * communicator.size, stepSeconds: times)
    }
}
