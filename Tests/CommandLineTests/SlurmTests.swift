import Foundation
import TestSupport
import XCTest

/// `Cluster/slurm-train.sbatch`, unchanged, on a real single-node Slurm (`Cluster/slurm-local.sh`):
/// every way a job is stopped leaves a checkpoint at the step it reached, and resubmitting the
/// same command continues from it. Skipped, with the reason, where Slurm cannot run.
final class SlurmTests: TinyRunTestCase {
    nonisolated(unsafe) static var slurm: LocalSlurm?
    nonisolated(unsafe) static var unavailable: String?

    override class func setUp() {
        super.setUp()
        do { slurm = try LocalSlurm() } catch { unavailable = "\(error)" }
    }

    override class func tearDown() {
        slurm?.stop()
        super.tearDown()
    }

    override func setUpWithError() throws {
        if let reason = Self.unavailable { throw XCTSkip("Slurm tests skipped: \(reason)") }
        try super.setUpWithError()
    }

    var slurm: LocalSlurm { Self.slurm! }

    func submit(_ run: String, steps: Int = 100_000, options: [String] = []) throws -> String {
        try slurm.submit(runDirectory: path(run), output: path("\(run).out"), options: options,
                         train: ["--data", path("data"), "--steps", "\(steps)", "--batch-size", "12", "--micro-batch", "2",
                                 "--ngf", "8", "--ndf", "8", "--nz", "16", "--log-every", "10", "--checkpoint-every", "100000"])
    }

    func log(_ run: String) -> String { (try? String(contentsOfFile: path("\(run).out"), encoding: .utf8)) ?? "" }

    /// Waits until the job's log shows at least `steps` steps.
    func waitForTraining(_ run: String, steps: Int = 30) -> Bool {
        let deadline = Date().addingTimeInterval(90)
        while Date() < deadline {
            if lastLoggedStep(log(run)) >= steps { return true }
            usleep(200_000)
        }
        return false
    }

    /// The steps of the run's checkpoints, each verified by `swiftgan inspect`.
    func checkpoints(_ run: String, file: StaticString = #filePath, line: UInt = #line) throws -> [Int] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: path("\(run)/checkpoints"))) ?? []
        return try names.filter { $0.hasSuffix(".safetensors") }.sorted().map { name in
            let out = try Command.run(["inspect", path("\(run)/checkpoints/\(name)")])
            XCTAssertEqual(out.status, 0, out.stderr, file: file, line: line)
            return Int(name.dropFirst(5).prefix(7))!
        }
    }

    /// `scancel -b --signal=USR1`: the script passes USR1 to mpirun, every rank stops after its
    /// step, rank 0 writes the checkpoint; the job COMPLETES with exit 0.
    func testUSR1GivesACheckpointAndExitZero() throws {
        let job = try submit("usr1")
        XCTAssertTrue(waitForTraining("usr1"), log("usr1"))
        XCTAssertEqual(try slurm.scancel(["-b", "--signal=USR1", job]).status, 0)
        let seconds = try XCTUnwrap(slurm.waitForEnd(job, timeout: 60), "the job did not end")
        print("scancel -b --signal=USR1: job ended after \(String(format: "%.1f", seconds)) s")
        let state = try slurm.state(job)
        XCTAssertEqual(state.state, "COMPLETED", log("usr1"))
        XCTAssertEqual(state.exitCode, "0:0")
        let steps = try checkpoints("usr1")
        XCTAssertEqual(steps.count, 1)
        XCTAssertTrue(log("usr1").contains("stopped by signal after step \(steps[0])"), log("usr1"))
    }

    /// Plain `scancel` (what preemption sends): SIGTERM to every process of the job. The ranks
    /// finish their step and rank 0 writes a checkpoint before Slurm's KillWait ends the rest.
    func testPlainScancelGivesACheckpoint() throws {
        let job = try submit("term")
        XCTAssertTrue(waitForTraining("term"), log("term"))
        XCTAssertEqual(try slurm.scancel([job]).status, 0)
        let seconds = try XCTUnwrap(slurm.waitForEnd(job, timeout: 90), "the job did not end")
        print("plain scancel: job gone after \(String(format: "%.1f", seconds)) s")
        let steps = try checkpoints("term")
        XCTAssertEqual(steps.count, 1, "a checkpoint at the step the job reached: \(log("term"))")
        XCTAssertGreaterThanOrEqual(steps.first ?? 0, 30)
    }

    /// A time limit with `--signal=B:USR1@50`: USR1 arrives before the limit, the job completes
    /// with a checkpoint, and submitting the same command again resumes from it.
    func testTimeLimitSignalThenResubmissionResumes() throws {
        let job = try submit("limit", options: ["--time=1", "--signal=B:USR1@50"])
        let seconds = try XCTUnwrap(slurm.waitForEnd(job, timeout: 120), "the job did not end")
        print("--time=1 --signal=B:USR1@50: job ended after \(String(format: "%.1f", seconds)) s")
        XCTAssertEqual(try slurm.state(job).state, "COMPLETED", log("limit"))
        let first = try XCTUnwrap(try checkpoints("limit").last, log("limit"))
        let again = try slurm.submit(runDirectory: path("limit"), output: path("limit2.out"),
                                     train: ["--data", path("data"), "--steps", "\(first + 5)", "--batch-size", "12", "--micro-batch", "2",
                                             "--ngf", "8", "--ndf", "8", "--nz", "16", "--log-every", "10", "--checkpoint-every", "100000"])
        XCTAssertNotNil(slurm.waitForEnd(again, timeout: 120))
        let resumed = (try? String(contentsOfFile: path("limit2.out"), encoding: .utf8)) ?? ""
        XCTAssertTrue(resumed.contains("resumed from") && resumed.contains("at step \(first)"), resumed)
        XCTAssertEqual(try slurm.state(again).state, "COMPLETED", resumed)
        XCTAssertEqual(try checkpoints("limit").last, first + 5)
    }
}
