import CPeak
import Distributed
import Foundation
import Models
import Neural

/// `swiftgan bench`: the real training step on synthetic data, timed step by step, with a
/// breakdown by phase and layer (and which algorithm runs each convolution), the step's
/// convolution work per second against one core's FMA limit and the sgemm peak, both measured
/// on the spot, the communication share and peak resident memory.
public struct Benchmark {
    public struct Result: Sendable {
        public let ranks: Int
        public let blasThreads: Int
        public let globalBatch: Int
        /// Seconds per step, the slowest rank's time for each step.
        public let stepSeconds: [Double]
        /// Rank 0's seconds per timed step in each phase, in report order.
        public let phases: [(name: String, seconds: Double)]
        /// Rank 0's per-layer seconds per step: network, layer name, forward, backward.
        public let layers: [(network: String, name: String, forward: Double, backward: Double)]
        /// Convolution and Linear FLOPs of one step on rank 0 (counted as im2col GEMMs, whichever
        /// library ran them), rank 0's sgemm peak and one core's FMA limit in GFLOP/s.
        public let flopsPerStep: Double
        public let peakGFLOPS: Double
        public let fmaGFLOPS: Double
        /// One core's bf16 dot-product limit in GFLOP/s, measured when the networks run
        /// `Precision.bf16` (else 0).
        public let bf16GFLOPS: Double
        /// Each convolution: network, layer, and what runs it.
        public let algorithms: [(network: String, layer: String, algorithm: String)]
        /// Largest peak resident set over the ranks, in MiB.
        public let peakResidentMiB: Double
        /// Real images per step over all ranks: the global batch times the D steps.
        public let imagesPerStep: Int

        public var medianStepSeconds: Double {
            let s = stepSeconds.sorted()
            return s.count % 2 == 1 ? s[s.count / 2] : (s[s.count / 2 - 1] + s[s.count / 2]) / 2
        }
        /// Aggregate images per second over all ranks at the median step time.
        public var imagesPerSecond: Double { Double(imagesPerStep) / medianStepSeconds }
        /// All ranks' GEMM work per second at the median step.
        public var achievedGFLOPS: Double { flopsPerStep * Double(ranks) / medianStepSeconds * 1e-9 }
        /// Achieved over the sgemm peak of all ranks together.
        public var peakFraction: Double { achievedGFLOPS / (peakGFLOPS * Double(ranks)) }
        /// Achieved over the FMA limit of every core the ranks use.
        public var fmaFraction: Double { achievedGFLOPS / (fmaGFLOPS * Double(ranks * blasThreads)) }
        /// Achieved over the bf16 dot-product limit of every core the ranks use.
        public var bf16Fraction: Double { bf16GFLOPS > 0 ? achievedGFLOPS / (bf16GFLOPS * Double(ranks * blasThreads)) : 0 }
        public var communicationShare: Double {
            (phases.first { $0.name == "allreduce" }?.seconds ?? 0) / max(phases.reduce(0) { $0 + $1.seconds }, 1e-12)
        }
    }

    public let model: ModelConfig
    public let localBatch: Int
    public let steps: Int
    public let warmup: Int
    public let microBatch: Int
    public let schedule: Schedule

    public init(model: ModelConfig, schedule: Schedule = Schedule(), localBatch: Int, steps: Int, warmup: Int, microBatch: Int = 0) {
        self.model = model
        self.schedule = schedule
        self.localBatch = localBatch
        self.steps = steps
        self.warmup = warmup
        self.microBatch = microBatch
    }

    public func run(communicator: Communicator) throws -> Result {
        let trainer = GANTrainer(model: model, schedule: schedule, learningRate: 2e-4, beta1: 0.5, localBatch: localBatch,
                                 communicator: communicator, seed: 1234, microBatch: microBatch)
        let random = Philox(seed: UInt64(communicator.rank) + 1)
        for i in 0..<trainer.real.count {
            trainer.real.data[i] = 2 * random.uniform(stream: 7, index: UInt64(i / 4096), element: i % 4096) - 1
        }
        try communicator.barrier()
        let peak = GEMMCounter.measurePeak()
        let fma = swiftgan_fma_peak_gflops(0.5)
        let bf16 = Precision.current == .bf16 ? swiftgan_bf16_peak_gflops(0.5) : 0
        let profileG = LayerProfile(trainer.generator), profileD = LayerProfile(trainer.discriminator)
        trainer.generator.profile = profileG
        trainer.discriminator.profile = profileD
        var times: [Double] = []
        var startComm = 0.0, startStats = 0.0, startOptimizer = 0.0, startConversion = 0.0, ownSeconds = 0.0
        for step in 0..<(warmup + steps) {
            if step == warmup {
                GEMMCounter.reset()
                DNNL.nanoseconds = 0
                DNNL.flops = 0
                profileG.reset()
                profileD.reset()
                (startComm, startStats, startOptimizer) = (trainer.communicationSeconds, trainer.statisticsSeconds, trainer.optimizerSeconds)
                startConversion = trainer.conversionSeconds
            }
            try communicator.barrier()
            let start = DispatchTime.now().uptimeNanoseconds
            try trainer.trainStep()
            var elapsed = Double(DispatchTime.now().uptimeNanoseconds - start) * 1e-9
            if step >= warmup { ownSeconds += elapsed }
            try communicator.allreduceMax(&elapsed, count: 1)
            if step >= warmup { times.append(elapsed) }
        }
        let n = Double(steps)
        func seconds(_ ns: UInt64) -> Double { Double(ns) * 1e-9 / n }
        func total(_ p: LayerProfile, _ names: Set<String>) -> Double {
            p.names.indices.filter { names.contains(p.names[$0]) }.reduce(0) { $0 + seconds(p.forward[$1] &+ p.backward[$1]) }
        }
        let convNames: Set<String> = ["Conv2d", "ConvTranspose2d", "Linear", "Reorder"]
        let gemmSeconds = seconds(GEMMCounter.nanoseconds), dnnlSeconds = seconds(DNNL.nanoseconds)
        let communication = (trainer.communicationSeconds - startComm) / n
        let statistics = (trainer.statisticsSeconds - startStats) / n
        let convSeconds = total(profileG, convNames) + total(profileD, convNames)
        let norms: Set<String> = ["BatchNorm", "BatchNorm+ReLU", "BatchNorm+LeakyReLU"]
        let bnSeconds = total(profileG, norms) + total(profileD, norms) - statistics
        let pointwise: Set<String> = ["ReLU", "LeakyReLU", "Tanh", "Sigmoid", "Dropout", "Reshape"]
        let activationSeconds = total(profileG, pointwise) + total(profileD, pointwise)
        let optimizer = (trainer.optimizerSeconds - startOptimizer) / n
        let conversion = (trainer.conversionSeconds - startConversion) / n
        let step = ownSeconds / n
        var phases: [(String, Double)] = [
            ("convolutions (oneDNN)", dnnlSeconds),
            ("GEMM (OpenBLAS)", gemmSeconds),
            ("im2col/col2im/layout", convSeconds - gemmSeconds - dnnlSeconds),
            ("BatchNorm (with fused activations)", bnSeconds),
            ("activations", activationSeconds),
            ("allreduce", communication),
            ("exact reduction (fixed point)", conversion),
            ("optimizer (Adam)", optimizer),
        ]
        phases.append(("other (loss, latents, data)", max(step - phases.reduce(0) { $0 + $1.1 }, 0)))
        var layers: [(String, String, Double, Double)] = []
        for (label, p) in [("G", profileG), ("D", profileD)] {
            for i in p.names.indices {
                layers.append((label, "\(i) \(p.names[i])", seconds(p.forward[i]), seconds(p.backward[i])))
            }
        }
        var usage = rusage()
        getrusage(RUSAGE_SELF.rawValue, &usage)
        var resident = Double(usage.ru_maxrss) / 1024
        try communicator.allreduceMax(&resident, count: 1)
        return Result(ranks: communicator.size, blasThreads: BLASThreads.count, globalBatch: localBatch * communicator.size,
                      stepSeconds: times, phases: phases, layers: layers, flopsPerStep: (Double(GEMMCounter.flops) + DNNL.flops) / n,
                      peakGFLOPS: peak, fmaGFLOPS: fma, bf16GFLOPS: bf16, algorithms: Self.algorithms(trainer), peakResidentMiB: resident, imagesPerStep: localBatch * communicator.size * schedule.dSteps)
    }

    /// What runs each convolution of G and D.
    static func algorithms(_ trainer: GANTrainer) -> [(network: String, layer: String, algorithm: String)] {
        var out: [(String, String, String)] = []
        for (label, network) in [("G", trainer.generator), ("D", trainer.discriminator)] {
            for (i, layer) in network.allLayers.enumerated() {
                if let d = layer as? DNNLConvolution {
                    out.append((label, "\(i) \(d.kind) \(d.inChannels)→\(d.outChannels)", d.algorithm))
                } else if let c = layer as? Conv2d {
                    out.append((label, "\(i) Conv2d \(c.geometry.channels)→\(c.outChannels)", "OpenBLAS GEMM (im2col, \(c.inputLayout) → \(c.outputLayout))"))
                } else if let c = layer as? ConvTranspose2d {
                    let how = c.fromOnePixel ? "from one pixel, no columns" : "col2im"
                    out.append((label, "\(i) ConvTranspose2d \(c.inChannels)→\(c.geometry.channels)", "OpenBLAS GEMM (\(how), \(c.inputLayout) → \(c.outputLayout))"))
                }
            }
        }
        return out
    }
}
