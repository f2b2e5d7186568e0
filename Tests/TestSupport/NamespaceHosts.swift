import Foundation

/// Hosts on this machine for multi-host tests: `Cluster/netns-hosts.sh` with its own prefix,
/// and mpirun between them through `Cluster/netns-agent.sh` (the README's recipe: TCP on the
/// hosts' links only, OpenMPI's keepalive settings).
public struct NamespaceHosts {
    public static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent()
    public static let script = repository.appendingPathComponent("Cluster/netns-hosts.sh")
    public static let agent = repository.appendingPathComponent("Cluster/netns-agent.sh")

    public let prefix: String
    public let count: Int

    /// Makes `count` hosts `prefix1…`, removing leftovers of an earlier run first; throws with
    /// the reason when this machine cannot (not root, no iproute2, no namespaces).
    public init(prefix: String, count: Int) throws {
        self.prefix = prefix
        self.count = count
        guard getuid() == 0 else { throw Unavailable(reason: "network namespaces need root") }
        guard FileManager.default.isExecutableFile(atPath: "/usr/sbin/ip") || FileManager.default.isExecutableFile(atPath: "/sbin/ip") else {
            throw Unavailable(reason: "iproute2 (ip) is not installed")
        }
        _ = try? Command.run(["down", prefix], executable: Self.script, timeout: 30)
        let up = try Command.run(["up", "\(count)", prefix], executable: Self.script, timeout: 30)
        guard up.status == 0 else {
            _ = try? Command.run(["down", prefix], executable: Self.script, timeout: 30)
            throw Unavailable(reason: "cannot make network namespaces here: \(up.stderr.trimmingCharacters(in: .whitespacesAndNewlines))")
        }
    }

    public func remove() { _ = try? Command.run(["down", prefix], executable: Self.script, timeout: 30) }

    public func name(_ k: Int) -> String { "\(prefix)\(k)" }

    /// Starts `mpirun … swiftgan ARGS` on the first of `hosts`, one rank per host.
    public func mpirun(hosts: [Int], hostfile: URL, _ arguments: [String], environment: [String: String] = [:]) throws -> Command.Running {
        try hosts.map { "\(name($0)) slots=1\n" }.joined().write(to: hostfile, atomically: true, encoding: .utf8)
        let options = ["--allow-run-as-root", "--hostfile", hostfile.path, "--mca", "plm_rsh_agent", Self.agent.path,
                       "--bind-to", "none", "--mca", "btl", "tcp,self",
                       "--mca", "btl_tcp_if_include", "10.199.0.0/24", "--mca", "oob_tcp_if_include", "10.199.0.0/24",
                       "--mca", "oob_tcp_keepalive_time", "10", "--mca", "oob_tcp_keepalive_intvl", "2",
                       "--mca", "oob_tcp_keepalive_probes", "3", "-x", "OPENBLAS_NUM_THREADS=1", "-np", "\(hosts.count)"]
        return try Command.start(["run", name(hosts[0]), "mpirun"] + options + [Command.swiftgan.path] + arguments,
                                 executable: Self.script, environment: environment.merging(["SWIFTGAN_NETNS_PREFIX": prefix]) { $1 })
    }

    /// The PID of the `swiftgan` process on host `k`.
    public func rank(onHost k: Int) -> Int32? {
        guard let out = try? Command.run(["netns", "pids", name(k)], executable: URL(fileURLWithPath: "/usr/sbin/ip"), timeout: 10) else { return nil }
        return out.stdout.split(separator: "\n").compactMap { Int32($0) }.first { pid in
            (try? String(contentsOfFile: "/proc/\(pid)/comm", encoding: .utf8))?.trimmingCharacters(in: .whitespacesAndNewlines) == "swiftgan"
        }
    }

    /// Ends every process on host `k` (a job cut off from its launcher leaves its daemon and rank behind).
    public func endProcesses(onHost k: Int) {
        guard let out = try? Command.run(["netns", "pids", name(k)], executable: URL(fileURLWithPath: "/usr/sbin/ip"), timeout: 10) else { return }
        for pid in out.stdout.split(separator: "\n").compactMap({ Int32($0) }) { kill(pid, SIGKILL) }
    }

    /// Plugs or unplugs host `k`'s link.
    public func link(_ k: Int, up: Bool) throws {
        let out = try Command.run(["link", name(k), up ? "up" : "down"], executable: Self.script, timeout: 10)
        precondition(out.status == 0, out.stderr)
    }

    public struct Unavailable: Error, CustomStringConvertible {
        public let reason: String
        public var description: String { reason }
    }
}
