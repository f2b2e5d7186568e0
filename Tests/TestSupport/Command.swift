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
        try start(arguments, executable: executable, environment: environment).wait(timeout: timeout)
    }

    /// Starts `executable arguments…` with its output going to temporary files.
    public static func start(_ arguments: [String], executable: URL = swiftgan, environment: [String: String] = [:]) throws -> Running {
        try Running(arguments, executable: executable, environment: environment)
    }

    /// A started process whose output can be read while it runs.
    public final class Running {
        public let process = Process()
        let scratch: URL
        let outURL: URL, errURL: URL
        let out: FileHandle, err: FileHandle
        let commandLine: String

        init(_ arguments: [String], executable: URL, environment: [String: String]) throws {
            commandLine = ([executable.path] + arguments).joined(separator: " ")
            process.executableURL = executable
            process.arguments = arguments
            process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
            scratch = FileManager.default.temporaryDirectory.appendingPathComponent("command-\(UUID().uuidString)")
            try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
            outURL = scratch.appendingPathComponent("stdout")
            errURL = scratch.appendingPathComponent("stderr")
            _ = FileManager.default.createFile(atPath: outURL.path, contents: nil)
            _ = FileManager.default.createFile(atPath: errURL.path, contents: nil)
            out = try FileHandle(forWritingTo: outURL)
            err = try FileHandle(forWritingTo: errURL)
            process.standardOutput = out
            process.standardError = err
            try process.run()
        }

        deinit {
            if process.isRunning { process.terminate() }
            try? out.close()
            try? err.close()
            try? FileManager.default.removeItem(at: scratch)
        }

        /// What it has printed to stdout so far.
        public var stdoutSoFar: String { String(decoding: (try? Data(contentsOf: outURL)) ?? Data(), as: UTF8.self) }

        /// Waits up to `seconds` for `condition` to hold; false on time-out or exit.
        public func waitUntil(seconds: TimeInterval, _ condition: () -> Bool) -> Bool {
            let deadline = Date().addingTimeInterval(seconds)
            while Date() < deadline && process.isRunning {
                if condition() { return true }
                usleep(50_000)
            }
            return condition()
        }

        public func wait(timeout: TimeInterval) throws -> Output {
            let deadline = Date().addingTimeInterval(timeout)
            while process.isRunning {
                if Date() > deadline {
                    process.terminate()
                    process.waitUntilExit()
                    throw CommandTimeout(command: commandLine, seconds: timeout)
                }
                usleep(20_000)
            }
            return Output(status: process.terminationStatus,
                          stdout: String(decoding: try Data(contentsOf: outURL), as: UTF8.self),
                          stderr: String(decoding: try Data(contentsOf: errURL), as: UTF8.self))
        }
    }

    /// Process IDs of the children of `parent` (from /proc), e.g. mpirun's ranks.
    public static func children(of parent: Int32) -> [Int32] {
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
        return entries.compactMap { Int32($0) }.filter { pid in
            guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
                  let close = stat.lastIndex(of: ")") else { return false }
            let fields = stat[stat.index(after: close)...].split(separator: " ")
            return fields.count > 2 && Int32(fields[1]) == parent
        }.sorted()
    }
}

public struct CommandTimeout: Error, CustomStringConvertible {
    public let command: String
    public let seconds: TimeInterval
    public var description: String { "\(command) did not finish within \(seconds) s" }
}

/// The last step a `train` log shows (`[N/TOTAL] …` lines), or 0.
public func lastLoggedStep(_ log: String) -> Int {
    log.split(separator: "\n").compactMap { line -> Int? in
        guard line.hasPrefix("["), let slash = line.firstIndex(of: "/") else { return nil }
        return Int(line[line.index(after: line.startIndex)..<slash])
    }.last ?? 0
}
