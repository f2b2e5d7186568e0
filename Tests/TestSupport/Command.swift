import Foundation

/// Runs the built `swiftgan` binary (or another program) and captures what it prints.
public struct Command {
    public struct Output {
        public let status: Int32
        public let stdout: String
        public let stderr: String
        public var stderrLines: [Substring] { stderr.split(separator: "\n") }
    }

    /// The `swiftgan` product beside the test bundle in the same build directory.
    public static var swiftgan: URL {
        let bundle = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath()
        var dir = bundle.deletingLastPathComponent()
        while !FileManager.default.fileExists(atPath: dir.appendingPathComponent("swiftgan").path) && dir.path != "/" {
            dir = dir.deletingLastPathComponent()
        }
        return dir.appendingPathComponent("swiftgan")
    }

    /// Runs `executable arguments…` (by default `swiftgan`) with extra `environment`, killing it after `timeout` seconds.
    public static func run(_ arguments: [String], executable: URL = swiftgan, environment: [String: String] = [:],
                           timeout: TimeInterval = 300) throws -> Output {
        let process = Process()
        process.executableURL = executable
        process.arguments = arguments
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("command-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: scratch) }
        let outURL = scratch.appendingPathComponent("stdout"), errURL = scratch.appendingPathComponent("stderr")
        _ = FileManager.default.createFile(atPath: outURL.path, contents: nil)
        _ = FileManager.default.createFile(atPath: errURL.path, contents: nil)
        let out = try FileHandle(forWritingTo: outURL), err = try FileHandle(forWritingTo: errURL)
        defer { try? out.close(); try? err.close() }
        process.standardOutput = out
        process.standardError = err
        try process.run()
        let deadline = Date().addingTimeInterval(timeout)
        while process.isRunning {
            if Date() > deadline {
                process.terminate()
                process.waitUntilExit()
                throw CommandTimeout(command: ([executable.path] + arguments).joined(separator: " "), seconds: timeout)
            }
            usleep(20_000)
        }
        return Output(status: process.terminationStatus,
                      stdout: String(decoding: try Data(contentsOf: outURL), as: UTF8.self),
                      stderr: String(decoding: try Data(contentsOf: errURL), as: UTF8.self))
    }
}

public struct CommandTimeout: Error, CustomStringConvertible {
    public let command: String
    public let seconds: TimeInterval
    public var description: String { "\(command) did not finish within \(seconds) s" }
}
