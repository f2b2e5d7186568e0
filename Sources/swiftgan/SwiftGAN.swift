import ArgumentParser
import Foundation

@main
struct SwiftGAN: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "swiftgan",
        abstract: "Data-parallel GAN training on CPU clusters (run under mpirun for several ranks).",
        subcommands: [Prepare.self, Train.self, Sample.self, Inspect.self, Bench.self]
    )

    /// Parses and runs. `--help` prints help; every error is one line on stderr and a
    /// non-zero exit status, never a stack trace.
    static func main() {
        do {
            var command = try parseAsRoot()
            try command.run()
        } catch {
            let code = exitCode(for: error)
            if code == .success { exit(withError: error) }
            let text = message(for: error).split(separator: "\n").first.map(String.init) ?? "\(error)"
            if isRootProcess { FileHandle.standardError.write(Data("error: \(text)\n".utf8)) }
            Foundation.exit(code.rawValue == 0 ? 1 : code.rawValue)
        }
    }
}
