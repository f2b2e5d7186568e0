import Foundation
import Storage
import TestSupport
import XCTest

/// Several hosts over TCP (network namespaces on this machine, `Cluster/netns-hosts.sh`), with
/// faults injected on purpose: a killed rank, a lost link, a hung rank. Each must end the job in
/// bounded time with the last checkpoint intact, and a resumed job on other hosts continues.
/// Skipped, with the reason, where namespaces cannot be made (not root, no iproute2).
final class MultiHostTests: TinyRunTestCase {
    nonisolated(unsafe) static var hosts: NamespaceHosts?
    nonisolated(unsafe) static var unavailable: String?

    override class func setUp() {
        super.setUp()
        do { hosts = try NamespaceHosts(prefix: "swgt", count: 3) } catch { unavailable = "\(error)" }
    }

    override class func tearDown() {
        hosts?.remove()
        super.tearDown()
    }

    override func setUpWithError() throws {
        if let reason = Self.unavailable { throw XCTSkip("multi-host tests skipped: \(reason)") }
        try super.setUpWithError()
    }

    /// Nothing a test left running on any host outlives it.
    override func tearDownWithError() throws {
        if let hosts = Self.hosts { for k in 1...hosts.count { hosts.endProcesses(onHost: k) } }
        try super.tearDownWithError()
    }

    var hosts: NamespaceHosts { Self.hosts! }

    func train(_ run: String, on hostList: [Int], steps: Int, _ extra: [String] = []) throws -> Command.Running {
        try hosts.mpirun(hosts: hostList, hostfile: directory.appendingPathComponent("hosts-\(run)"),
                         ["train", "--data", path("data"), "--steps", "\(steps)", "--batch-size", "12", "--micro-batch", "2",
                          "--ngf", "8", "--ndf", "8", "--nz", "16", "--log-every", "10", "--checkpoint-every", "10", "--keep", "3",
                          "--run-dir", path(run)] + extra)
    }

    /// Starts a long job on hosts 1 and 2 and waits until it has trained 30 steps.
    func startTraining(_ run: String, steps: Int = 100_000) throws -> Command.Running {
        let job = try train(run, on: [1, 2], steps: steps)
        XCTAssertTrue(job.waitUntil(seconds: 60) { lastLoggedStep(job.stdoutSoFar) >= 30 }, job.stdoutSoFar)
        return job
    }

    /// Waits for a job to end; returns its output and how long that took from `since`.
    func finish(_ job: Command.Running, since start: Date, timeout: TimeInterval) throws -> (Command.Output, TimeInterval) {
        let out = try job.wait(timeout: timeout)
        return (out, Date().timeIntervalSince(start))
    }

    /// The newest checkpoint of `run` passes `swiftgan inspect` (checksum verified); its step.
    func assertNewestCheckpointValid(_ run: String, file: StaticString = #filePath, line: UInt = #line) throws -> Int {
        let names = try FileManager.default.contentsOfDirectory(atPath: path("\(run)/checkpoints")).filter { $0.hasSuffix(".safetensors") }.sorted()
        let newest = try XCTUnwrap(names.last, "no checkpoint", file: file, line: line)
        let out = try Command.run(["inspect", path("\(run)/checkpoints/\(newest)")])
        XCTAssertEqual(out.status, 0, out.stderr, file: file, line: line)
        XCTAssertTrue(out.stdout.contains("valid"), out.stdout, file: file, line: line)
        return Int(newest.dropFirst(5).prefix(7))!
    }

    func testTwoRanksOnTwoHosts() throws {
        let out = try train("two", on: [1, 2], steps: 3).wait(timeout: 120)
        XCTAssertEqual(out.status, 0, out.stderr)
        XCTAssertTrue(out.stdout.contains("2 ranks on 2 hosts: swgt1 (rank 0), swgt2 (rank 1)"), out.stdout)
    }

    /// kill -9 of the rank on the second host: the job ends within 10 s (measured: 4 s), the
    /// newest checkpoint is valid, and `--resume auto` on two other hosts continues from it.
    func testKilledRankEndsTheJobAndAnotherPairOfHostsResumes() throws {
        let job = try startTraining("killed")
        let victim = try XCTUnwrap(hosts.rank(onHost: 2))
        let start = Date()
        kill(victim, SIGKILL)
        let (out, seconds) = try finish(job, since: start, timeout: 60)
        XCTAssertNotEqual(out.status, 0)
        XCTAssertLessThanOrEqual(seconds, 10, "the job took \(seconds) s to end")
        print("kill -9 of rank 1: job ended after \(String(format: "%.1f", seconds)) s")
        let step = try assertNewestCheckpointValid("killed")
        let resumed = try train("killed", on: [3, 2], steps: step + 5, ["--resume", "auto"]).wait(timeout: 120)
        XCTAssertEqual(resumed.status, 0, resumed.stderr)
        XCTAssertTrue(resumed.stdout.contains("resumed from") && resumed.stdout.contains("step \(step)"), resumed.stdout)
        XCTAssertTrue(resumed.stdout.contains("swgt3 (rank 0), swgt2 (rank 1)"), resumed.stdout)
    }

    /// The second host's link goes down: the job ends within 60 s (measured: 13 s, OpenMPI's
    /// keepalive in the recipe) naming the lost host, and the newest checkpoint is valid.
    func testLostLinkEndsTheJobNamingTheHost() throws {
        let job = try startTraining("link")
        defer {
            hosts.endProcesses(onHost: 2)
            try? hosts.link(2, up: true)
        }
        let start = Date()
        try hosts.link(2, up: false)
        let (out, seconds) = try finish(job, since: start, timeout: 120)
        XCTAssertNotEqual(out.status, 0)
        XCTAssertLessThanOrEqual(seconds, 60, "the job took \(seconds) s to end")
        XCTAssertTrue((out.stdout + out.stderr).contains("swgt2"), out.stderr)
        print("link down: job ended after \(String(format: "%.1f", seconds)) s")
        _ = try assertNewestCheckpointValid("link")
    }

    /// A rank that stops answering while its host and link stay up (SIGSTOP): collectives never
    /// return and nothing in OpenMPI notices; the stall watchdog (default limit: 30 s here) ends
    /// the job, naming rank, host and phase. Stopped for 20 s and resumed, it trips nothing.
    func testStallWatchdogEndsAHungJobButNotASlowOne() throws {
        let slow = try startTraining("slow", steps: 400)
        let paused = try XCTUnwrap(hosts.rank(onHost: 2))
        kill(paused, SIGSTOP)
        Thread.sleep(forTimeInterval: 20)
        kill(paused, SIGCONT)
        let done = try slow.wait(timeout: 120)
        XCTAssertEqual(done.status, 0, done.stderr)

        let hung = try startTraining("hung")
        let stopped = try XCTUnwrap(hosts.rank(onHost: 2))
        let start = Date()
        kill(stopped, SIGSTOP)
        let (out, seconds) = try finish(hung, since: start, timeout: 120)
        kill(stopped, SIGKILL)
        XCTAssertNotEqual(out.status, 0)
        XCTAssertLessThanOrEqual(seconds, 60, "the job took \(seconds) s to end")
        XCTAssertTrue(out.stderr.contains("error: rank 0 on swgt1: step") && out.stderr.contains("made no progress"), out.stderr)
        print("hung rank: job ended after \(String(format: "%.1f", seconds)) s")
        _ = try assertNewestCheckpointValid("hung")
    }
}
