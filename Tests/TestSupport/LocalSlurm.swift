import Foundation

/// A real single-node Slurm for the tests (`Cluster/slurm-local.sh`), and what tests do with it:
/// submit `Cluster/slurm-train.sbatch`, signal or cancel a job, wait for it, read its state.
public final class LocalSlurm {
    public static let script = NamespaceHosts.repository.appendingPathComponent("Cluster/slurm-local.sh")
    public static let batchScript = NamespaceHosts.repository.appendingPathComponent("Cluster/slurm-train.sbatch")
    public let directory: URL
    public var environment: [String: String] { ["SLURM_CONF": directory.appendingPathComponent("slurm.conf").path] }

    /// Starts Slurm in a fresh directory; throws with the reason where it cannot run here.
    public init() throws {
        guard getuid() == 0 else { throw NamespaceHosts.Unavailable(reason: "starting slurmctld and munged needs root") }
        for tool in ["/usr/sbin/slurmctld", "/usr/sbin/slurmd", "/usr/sbin/munged", "/usr/bin/sbatch"] where !FileManager.default.isExecutableFile(atPath: tool) {
            throw NamespaceHosts.Unavailable(reason: "\(tool) is not installed (Scripts/install-deps.sh installs slurmctld, slurmd, slurm-client and munge)")
        }
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("slurm-\(UUID().uuidString.prefix(8))")
        let up = try Command.run(["up", directory.path], executable: Self.script, timeout: 60)
        guard up.status == 0 else {
            _ = try? Command.run(["down", directory.path], executable: Self.script, timeout: 60)
            throw NamespaceHosts.Unavailable(reason: "Slurm did not start: \(up.stderr.trimmingCharacters(in: .whitespacesAndNewlines))")
        }
    }

    public func stop() {
        _ = try? Command.run(["down", directory.path], executable: Self.script, timeout: 60)
        try? FileManager.default.removeItem(at: directory)
    }

    func run(_ tool: String, _ arguments: [String]) throws -> Command.Output {
        try Command.run(arguments, executable: URL(fileURLWithPath: tool), environment: environment, timeout: 60)
    }

    /// Submits the batch script on one node with `tasks` ranks; returns the job id.
    public func submit(runDirectory: String, output: String, tasks: Int = 2, options: [String] = [], train: [String]) throws -> String {
        let exports = "ALL,SWIFTGAN=\(Command.swiftgan.path),RUN_DIR=\(runDirectory),OMPI_ALLOW_RUN_AS_ROOT=1,OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1"
        let out = try run("/usr/bin/sbatch", ["--parsable", "--nodes=1", "--ntasks-per-node=\(tasks)", "-o", output, "--export=\(exports)"]
                          + options + [Self.batchScript.path] + train)
        guard out.status == 0 else { throw NamespaceHosts.Unavailable(reason: "sbatch failed: \(out.stderr)") }
        return out.stdout.trimmingCharacters(in: .whitespacesAndNewlines).split(separator: ";").first.map(String.init) ?? ""
    }

    public func scancel(_ arguments: [String]) throws -> Command.Output { try run("/usr/bin/scancel", arguments) }

    /// Whether the job is still in the queue (pending, running or completing).
    public func queued(_ job: String) -> Bool {
        ((try? run("/usr/bin/squeue", ["-h", "-j", job]))?.stdout ?? "").contains(job)
    }

    /// Waits until the job has left the queue; the seconds it took, or nil on time-out.
    public func waitForEnd(_ job: String, timeout: TimeInterval) -> TimeInterval? {
        let start = Date()
        while Date().timeIntervalSince(start) < timeout {
            if !queued(job) { return Date().timeIntervalSince(start) }
            usleep(200_000)
        }
        return nil
    }

    /// `JobState` and `ExitCode` from `scontrol show job`.
    public func state(_ job: String) throws -> (state: String, exitCode: String) {
        let text = try run("/usr/bin/scontrol", ["show", "job", job]).stdout
        func field(_ name: String) -> String {
            guard let r = text.range(of: "\(name)=") else { return "" }
            return String(text[r.upperBound...].prefix { !$0.isWhitespace })
        }
        return (field("JobState"), field("ExitCode"))
    }
}
