import ArgumentParser
import CPeak
import Distributed
import Foundation
import Neural
import Training

struct Bench: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Time the real training step on synthetic data; under mpirun, aggregate images/s over ranks.")

    @OptionGroup var modelOptions: ModelOptions

    @OptionGroup var scheduleOptions: ScheduleOptions

    @Option(parsing: .unconditional, help: "Batch size per rank.")
    var batchSize = 64

    @Option(parsing: .unconditional, help: "Timed steps.")
    var steps = 10

    @Option(parsing: .unconditional, help: "Untimed steps first.")
    var warmup = 2

    @Option(parsing: .unconditional, help: "Samples per micro-batch (exact, rank-count-independent reductions); 0: off.")
    var microBatch = 0

    @OptionGroup var threads: ThreadOptions

    @Flag(help: "Print one JSON line instead of text.")
    var json = false

    func run() throws {
        let model = try modelOptions.config(defaultSize: 64, defaultChannels: 3)
        do { try model.validate() } catch { throw ValidationError(error.description) }
        guard batchSize > 1 else { throw ValidationError("--batch-size must be at least 2 (BatchNorm), got \(batchSize)") }
        guard steps > 0 else { throw ValidationError("--steps must be positive, got \(steps)") }
        guard warmup >= 0 else { throw ValidationError("--warmup must not be negative, got \(warmup)") }
        guard microBatch >= 0, microBatch == 0 || batchSize % microBatch == 0 else {
            throw ValidationError("--micro-batch \(microBatch) must divide --batch-size \(batchSize)")
        }
        try threads.apply()
        let communicator = try makeCommunicator()
        let result = try Benchmark(model: model, schedule: try scheduleOptions.schedule(for: model), localBatch: batchSize, steps: steps, warmup: warmup, microBatch: microBatch).run(communicator: communicator)
        if communicator.isRoot {
            let name = "\(model.architecture.rawValue) \(model.imageSize)x\(model.imageSize)x\(model.channels)"
            if json {
                let phases = result.phases.map { "\"\($0.name)\":\($0.seconds)" }.joined(separator: ",")
                print("{\"model\":\"\(model.architecture.rawValue)\",\"size\":\(model.imageSize),\"channels\":\(model.channels),\"ranks\":\(result.ranks),\"blas_threads\":\(result.blasThreads),\"batch_per_rank\":\(batchSize),\"micro_batch\":\(microBatch),\"steps\":\(steps),\"step_s_median\":\(result.medianStepSeconds),\"img_per_s\":\(result.imagesPerSecond),\"gflops\":\(result.achievedGFLOPS),\"sgemm_peak_gflops_per_rank\":\(result.peakGFLOPS),\"peak_fraction\":\(result.peakFraction),\"fma_gflops_per_core\":\(result.fmaGFLOPS),\"fma_fraction\":\(result.fmaFraction),\"backend\":\"\(Backend.current.rawValue)\",\"precision\":\"\(Precision.current.rawValue)\",\"bf16_gflops_per_core\":\(result.bf16GFLOPS),\"bf16_fraction\":\(result.bf16Fraction),\"communication_share\":\(result.communicationShare),\"peak_rss_mib\":\(result.peakResidentMiB),\"phases_s\":{\(phases)},\"step_s\":\(result.stepSeconds)}")
            } else {
                print(String(format: "bench: %@, %d rank(s) x %d thread(s), batch %d per rank, backend %@, %@: median step %.4f s, %.2f img/s",
                             name, result.ranks, result.blasThreads, batchSize, Backend.current.rawValue, Precision.current.rawValue,
                             result.medianStepSeconds, result.imagesPerSecond))
                print(String(format: "convolution work %.2f GFLOP per rank-step; achieved %.1f GFLOP/s = %.0f%% of the FMA limit (%.1f GFLOP/s per core, %@) and %.0f%% of the sgemm peak (%.1f GFLOP/s per rank); peak RSS %.0f MiB per rank",
                             result.flopsPerStep * 1e-9, result.achievedGFLOPS, 100 * result.fmaFraction, result.fmaGFLOPS, String(cString: swiftgan_fma_peak_isa()),
                             100 * result.peakFraction, result.peakGFLOPS, result.peakResidentMiB))
                if result.bf16GFLOPS > 0 {
                    print(String(format: "bf16: %.0f%% of the bf16 dot-product limit (%.1f GFLOP/s per core, vdpbf16ps)", 100 * result.bf16Fraction, result.bf16GFLOPS))
                }
                print("convolution (rank 0)              algorithm")
                for a in result.algorithms {
                    print("  " + "\(a.network) \(a.layer)".padding(toLength: 30, withPad: " ", startingAt: 0) + "  " + a.algorithm)
                }
                let stepTotal = result.phases.reduce(0) { $0 + $1.seconds }
                print("phase (rank 0, per step)          seconds   share")
                for p in result.phases {
                    print("  " + p.name.padding(toLength: 30, withPad: " ", startingAt: 0) + String(format: " %8.4f  %5.1f%%", p.seconds, 100 * p.seconds / stepTotal))
                }
                print("layer (rank 0, per step)          forward  backward")
                for l in result.layers {
                    let label = "\(l.network) \(l.name)".padding(toLength: 30, withPad: " ", startingAt: 0)
                    print("  " + label + String(format: " %8.4f  %8.4f", l.forward, l.backward))
                }
            }
        }
        (communicator as? MPICommunicator)?.finalize()
    }
}
