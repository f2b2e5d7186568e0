import ArgumentParser
import Foundation
import Neural

@main
struct SwiftGAN: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "swiftgan",
        abstract: "Data-parallel GAN training on CPU clusters (run under mpirun for several ranks).",
        subcommands: [Prepare.self, Train.self, Sample.self, Latent.self, Evaluate.self, ClassifierCommand.self, Features.self,
                      LinearProbeCommand.self, Inspect.self, Bench.self]
    )

    /// Parses and runs. `--help` prints help; every error is one line on stderr and a
    /// non-zero exit status, never a stack trace.
    static func main() {
        BLASKernels.ensureNativeKernels()
        if let bad = invalidArgument() {
            if isRootProcess { FileHandle.standardError.write(Data("error: \(bad)\n".utf8)) }
            Foundation.exit(64)
        }
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

    /// Paths and options are carried as Swift strings, which would silently replace bytes that
    /// are not UTF-8 and then name another file (or create a directory under another name).
    /// Such an argument is refused up front, shown with its bytes escaped.
    static func invalidArgument() -> String? {
        for i in 1..<Int(CommandLine.argc) {
            guard let raw = CommandLine.unsafeArgv[i] else { continue }
            let bytes = Array(UnsafeBufferPointer(start: UnsafeRawPointer(raw).assumingMemoryBound(to: UInt8.self), count: strlen(raw)))
            if String(validating: bytes, as: UTF8.self) == nil {
                let shown = bytes.map { $0 < 0x80 ? String(UnicodeScalar($0)) : String(format: "\\x%02x", $0) }.joined()
                return "argument \(i) (\(shown)) is not valid UTF-8; use a path whose name is UTF-8"
            }
        }
        return nil
    }
}
