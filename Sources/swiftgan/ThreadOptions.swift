import ArgumentParser
import Neural

/// `--blas-threads`, shared by the commands that run the training step.
struct ThreadOptions: ParsableArguments {
    @Option(parsing: .unconditional, help: "OpenBLAS threads per rank (default: OpenBLAS's own choice; 1 under mpirun's core binding).")
    var blasThreads: Int?

    /// Validates and applies the setting.
    func apply() throws {
        guard let blasThreads else { return }
        guard blasThreads > 0 else { throw ValidationError("--blas-threads must be positive, got \(blasThreads)") }
        BLASThreads.set(blasThreads)
    }
}
