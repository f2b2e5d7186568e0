import ArgumentParser
import Neural

extension Backend: ExpressibleByArgument {}

/// How the numeric libraries run: `--threads` (also `--blas-threads`) and `--backend`, shared by
/// the commands that run networks.
struct ThreadOptions: ParsableArguments {
    @Option(name: [.customLong("threads"), .customLong("blas-threads")], parsing: .unconditional,
            help: "Threads per rank for OpenBLAS and oneDNN (default: OpenBLAS's own choice, i.e. the cores a rank may use; 1 under mpirun's core binding).")
    var threads: Int?

    @Option(help: "Convolutions on onednn (blocked layout; the default) or blas (im2col + OpenBLAS, the reference; also SWIFTGAN_BACKEND).")
    var backend: Backend?

    /// Validates and applies the settings: both libraries run the same number of threads.
    func apply() throws {
        if let backend { Backend.current = backend }
        if let threads {
            guard threads > 0 else { throw ValidationError("--threads must be positive, got \(threads)") }
            BLASThreads.set(threads)
        } else {
            BLASThreads.set(BLASThreads.count)
        }
    }
}
