import Foundation
import Storage
import TestSupport
import XCTest

/// Checkpoints as a user meets them: exact resume, resume on another rank count, falling
/// back past a corrupt checkpoint, stopping on a signal, and sampling from a checkpoint.
final class CheckpointTests: XCTestCase {
    var directory: URL!

    override func setUpWithError() throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("ckpt-\(UUID().uuidString)")
        try SyntheticIDX.write(directory: directory.appendingPathComponent("data"), count: 96)
    }

    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: directory) }

    func path(_ relative: String) -> String { directory.appendingPathComponent(relative).path }

    func arguments(run: String, steps: Int, extra: [String] = []) -> [String] {
        ["train", "--data", path("data"), "--steps", "\(steps)", "--batch-size", "12", "--ngf", "8", "--ndf", "8",
         "--nz", "16", "--log-every", "1", "--blas-threads", "1", "--run-dir", path(run)] + extra
    }

    /// `swiftgan …` alone, or under `mpirun -np ranks`.
    func swiftgan(_ args: [String], ranks: Int = 1) throws -> Command.Output {
        if ranks == 1 { return try Command.run(args) }
        let mpirun = try XCTUnwrap(DistributedTrainingTests.mpirun)
        return try Command.run(["--oversubscribe", "--mca", "plm", "isolated", "-np", "\(ranks)", Command.swiftgan.path] + args,
                               executable: mpirun, environment: DistributedTrainingTests.mpiEnvironment)
    }

    func checkpoint(_ run: String, step: Int) throws -> SafeTensorsFile {
        try SafeTensorsFile(contentsOf: URL(fileURLWithPath: path(String(format: "\(run)/checkpoints/step-%07d.safetensors", step))))
    }

    /// Losses and D outputs from metrics.jsonl (everything but the timing).
    func metrics(_ run: String) throws -> [String] {
        try String(contentsOfFile: path("\(run)/metrics.jsonl"), encoding: .utf8).split(separator: "\n")
            .map { $0.replacingOccurrences(of: #","images_per_second":[0-9.]+"#, with: "", options: .regularExpression) }
    }

    func testResumeIsBitExactAtTheSameRankCount() throws {
        let straight = try swiftgan(arguments(run: "straight", steps: 6))
        XCTAssertEqual(straight.status, 0, straight.stderr)
        let first = try swiftgan(arguments(run: "resumed", steps: 3))
        XCTAssertEqual(first.status, 0, first.stderr)
        let second = try swiftgan(arguments(run: "resumed", steps: 6, extra: ["--resume", "auto"]))
        XCTAssertEqual(second.status, 0, second.stderr)
        XCTAssertTrue(second.stdout.contains("resumed from"), second.stdout)
        let a = try checkpoint("straight", step: 6), b = try checkpoint("resumed", step: 6)
        XCTAssertEqual(a.names, b.names)
        for name in a.names {
            XCTAssertEqual(a[name]!.data, b[name]!.data, "\(name) differs after resume")
        }
        XCTAssertEqual(try metrics("straight"), try metrics("resumed"))
    }

    /// Two D steps (separate updates) and two G steps per iteration: the halves continue with the
    /// next unused batch (the cursor crosses the 8-batch epoch), byte for byte the straight run.
    /// A resumed run may change the schedule: the cursor continues from the batches used.
    func testScheduleResumeIsBitExact() throws {
        let schedule = ["--d-steps", "2", "--g-steps", "2", "--d-update", "separate"]
        XCTAssertEqual(try swiftgan(arguments(run: "straight", steps: 6, extra: schedule)).status, 0)
        XCTAssertEqual(try swiftgan(arguments(run: "resumed", steps: 3, extra: schedule)).status, 0)
        let second = try swiftgan(arguments(run: "resumed", steps: 6, extra: schedule + ["--resume", "auto"]))
        XCTAssertEqual(second.status, 0, second.stderr)
        let a = try checkpoint("straight", step: 6), b = try checkpoint("resumed", step: 6)
        XCTAssertEqual(a.metadata["batches"], "12")
        XCTAssertEqual(a.metadata["optimizerD.step"], "24")
        XCTAssertEqual(a.metadata["optimizerG.step"], "12")
        XCTAssertEqual(a.names, b.names)
        for name in a.names { XCTAssertEqual(a[name]!.data, b[name]!.data, "\(name) differs after resume") }
        XCTAssertEqual(try metrics("straight"), try metrics("resumed"))
        XCTAssertEqual(try swiftgan(arguments(run: "default", steps: 3)).status, 0)
        let withSchedule = try checkpoint("resumed", step: 3), without = try checkpoint("default", step: 3)
        XCTAssertTrue(without.names.contains { without[$0]!.data != withSchedule[$0]!.data }, "the schedule changes training")

        let changed = try swiftgan(arguments(run: "resumed", steps: 8, extra: ["--resume", "auto"]))
        XCTAssertEqual(changed.status, 0, changed.stderr)
        XCTAssertEqual(try checkpoint("resumed", step: 8).metadata["batches"], "14", "the default schedule's one batch per step after the 12 used")
    }

    /// 1 → 2 and 2 → 1 ranks between the halves, with exact reductions (micro-batches of 2):
    /// byte for byte the straight run.
    func testResumeOnAnotherRankCount() throws {
        let exact = ["--micro-batch", "2"]
        XCTAssertEqual(try swiftgan(arguments(run: "straight", steps: 6, extra: exact)).status, 0)
        let reference = try checkpoint("straight", step: 6)
        for (before, after) in [(1, 2), (2, 1)] {
            let run = "r\(before)to\(after)"
            let first = try swiftgan(arguments(run: run, steps: 3, extra: exact), ranks: before)
            XCTAssertEqual(first.status, 0, first.stderr)
            let second = try swiftgan(arguments(run: run, steps: 6, extra: exact + ["--resume", "auto"]), ranks: after)
            XCTAssertEqual(second.status, 0, second.stderr)
            XCTAssertTrue(second.stdout.contains("written by \(before) rank"), second.stdout)
            let resumed = try checkpoint(run, step: 6)
            for name in reference.names {
                XCTAssertEqual(resumed[name]?.data, reference[name]!.data, "\(before)→\(after) \(name)")
            }
        }
    }

    func testAutoResumeSkipsACorruptOrTruncatedNewestCheckpoint() throws {
        let run = try swiftgan(arguments(run: "run", steps: 6, extra: ["--checkpoint-every", "2"]))
        XCTAssertEqual(run.status, 0, run.stderr)
        let newest = URL(fileURLWithPath: path("run/checkpoints/step-0000006.safetensors"))
        var bytes = try Data(contentsOf: newest)
        bytes[bytes.count - 10] ^= 0xFF
        try bytes.write(to: newest)
        let truncatedURL = URL(fileURLWithPath: path("run/checkpoints/step-0000004.safetensors"))
        let four = try Data(contentsOf: truncatedURL)
        try four.prefix(four.count / 2).write(to: truncatedURL)
        let resumed = try swiftgan(arguments(run: "run", steps: 8, extra: ["--resume", "auto", "--checkpoint-every", "2"]))
        XCTAssertEqual(resumed.status, 0, resumed.stderr)
        XCTAssertTrue(resumed.stdout.contains("skipping step-0000006.safetensors"), resumed.stdout)
        XCTAssertTrue(resumed.stdout.contains("checksum"), resumed.stdout)
        XCTAssertTrue(resumed.stdout.contains("skipping step-0000004.safetensors"), resumed.stdout)
        XCTAssertTrue(resumed.stdout.contains("step-0000002.safetensors at step 2"), resumed.stdout)
        XCTAssertTrue(resumed.stdout.contains("[8/8]"), resumed.stdout)
        XCTAssertNoThrow(try checkpoint("run", step: 8))
        // An explicitly named corrupt checkpoint is an error, not a silent fresh start.
        try bytes.write(to: newest)
        let named = try swiftgan(arguments(run: "run", steps: 8, extra: ["--resume", newest.path]))
        XCTAssertNotEqual(named.status, 0)
        XCTAssertTrue(named.stderr.hasPrefix("error: --resume") && named.stderr.contains("checksum"), named.stderr)
    }

    func testResumeWithAnotherModelNamesTheOption() throws {
        XCTAssertEqual(try swiftgan(arguments(run: "run", steps: 2)).status, 0)
        let out = try swiftgan(arguments(run: "run", steps: 4, extra: ["--resume", "auto"]).map { $0 == "8" ? "16" : $0 })
        XCTAssertNotEqual(out.status, 0)
        XCTAssertEqual(out.stderr.split(separator: "\n").count, 1, out.stderr)
        XCTAssertTrue(out.stderr.contains("--ngf is 16 but the checkpoint was trained with 8"), out.stderr)
    }

    func testKeepsTheNewestK() throws {
        XCTAssertEqual(try swiftgan(arguments(run: "run", steps: 7, extra: ["--checkpoint-every", "1", "--keep", "2"])).status, 0)
        let names = try FileManager.default.contentsOfDirectory(atPath: path("run/checkpoints")).sorted()
        XCTAssertEqual(names, ["step-0000006.safetensors", "step-0000007.safetensors"])
    }

    /// SIGTERM to one rank of `mpirun -np 2`: every rank finishes the step, rank 0 writes a
    /// checkpoint at that step, and the job exits 0.
    func testSIGTERMOnOneRankStopsTheJobWithACheckpoint() throws {
        let mpirun = try XCTUnwrap(DistributedTrainingTests.mpirun)
        let job = try Command.start(["--oversubscribe", "--mca", "plm", "isolated", "-np", "2", Command.swiftgan.path]
                                    + arguments(run: "run", steps: 1_000_000, extra: ["--log-every", "50", "--checkpoint-every", "100000"]),
                                    executable: mpirun, environment: DistributedTrainingTests.mpiEnvironment)
        XCTAssertTrue(job.waitUntil(seconds: 120) { job.stdoutSoFar.contains("[100/") }, "training did not start: \(job.stdoutSoFar)")
        let ranks = Command.children(of: job.process.processIdentifier)
        XCTAssertEqual(ranks.count, 2, "rank processes of mpirun")
        kill(try XCTUnwrap(ranks.last), SIGTERM)
        let out = try job.wait(timeout: 120)
        XCTAssertEqual(out.status, 0, out.stderr)
        let match = try XCTUnwrap(out.stdout.firstMatch(of: /stopped by signal after step (\d+)/), out.stdout)
        let step = try XCTUnwrap(Int(match.1))
        let inspect = try Command.run(["inspect", path(String(format: "run/checkpoints/step-%07d.safetensors", step))])
        XCTAssertEqual(inspect.status, 0, inspect.stderr)
        XCTAssertTrue(inspect.stdout.contains("step: \(step)\n"), inspect.stdout)
    }

    /// `sample` with the checkpoint's own seed reproduces the training run's grid exactly.
    func testSampleReproducesTheTrainingGridAndWritesNpy() throws {
        XCTAssertEqual(try swiftgan(arguments(run: "run", steps: 4, extra: ["--sample-every", "4"])).status, 0)
        let out = try Command.run(["sample", "--checkpoint", path("run/checkpoints/step-0000004.safetensors"),
                                   "--out", path("grid.png"), "--save-npy", path("x.npy")])
        XCTAssertEqual(out.status, 0, out.stderr)
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: path("grid.png"))),
                       try Data(contentsOf: URL(fileURLWithPath: path("run/samples/step-0000004.png"))))
        let npy = try Data(contentsOf: URL(fileURLWithPath: path("x.npy")))
        XCTAssertEqual(npy.count, 128 + 64 * 32 * 32 * 4, "header + (64, 1, 32, 32) float32")
        let bad = try Command.run(["sample", "--checkpoint", path("run/checkpoints/step-0000004.safetensors"), "--latents", path("x.npy")])
        XCTAssertNotEqual(bad.status, 0)
        XCTAssertTrue(bad.stderr.contains("expected (N, 16)"), bad.stderr)
    }
}
