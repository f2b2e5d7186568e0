import ArgumentParser
import Neural

extension Backend: ExpressibleByArgument {}
extension Precision: ExpressibleByArgument {}

/// How the numeric libraries run: `--threads` (also `--blas-threads`), `--backend` and
/// `--precision`, shared by the commands that run networks.
struct ThreadOptions: ParsableArguments {
    @Option(name: [.customLong("threads"), .customLong("blas-threads")], parsing: .unconditional,
            help: "Threads per rank for OpenBLAS and oneDNN (default: OpenBLAS's own choice, i.e. the cores a rank may use; 1 under mpirun's core binding).")
    var threads: Int?

    @Option(help: "Convolutions on onednn (blocked layout; the default) or blas (im2col + OpenBLAS, the reference; also SWIFTGAN_BACKEND).")
    var backend: Backend?

    @Option(help: "Convolution arithmetic: fp32 (the default) or bf16 (bf16 inputs, fp32 sums, weights, BatchNorm, Adam and allreduce; oneDNN on an AVX-512 CPU).")
    var precision: Precision = .fp32

    /// Validates and applies the settings: both libraries run the same number of threads.
    func apply() throws {
        if let backend { Backend.current = backend }
        if precision == .bf16 {
            guard Backend.current == .onednn else { throw ValidationError("--precision bf16 runs on oneDNN only; drop --backend blas (or SWIFTGAN_BACKEND=blas)") }
            if let why = Precision.bf16Unavailable { throw ValidationError("--precision bf16 is not available: \(why); use fp32") }
        }
        Precision.current = precision
        if let threads {
            guard threads > 0 else { throw ValidationError("--threads must be positive, got \(threads)") }
            BLASThreads.set(threads)
        } else {
            BLASThreads.set(BLASThreads.count)
        }
    }
}
