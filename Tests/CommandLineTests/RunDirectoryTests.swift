import Foundation
import Storage
import TestSupport
import XCTest

/// The run directory keeps what it holds: an earlier run is never overwritten, an unreadable
/// checkpoint is never deleted, two trainers never share it, and litter from killed processes
/// is cleared at start.
final class RunDirectoryTests: TinyRunTestCase {
    func checkpointFiles(_ run: String) -> [String] { Directory.entries(path("\(run)/checkpoints")) }

    func bytes(_ relative: String) throws -> Data { try Data(contentsOf: URL(fileURLWithPath: path(relative))) }

    /// Checkpoints of a newer format (or all corrupt): `--resume auto` stops with one line and
    /// touches nothing; `--restart` moves them aside, whole, and starts over.
    func testResumeAutoWithNoReadableCheckpointIsAnErrorAndDeletesNothing() throws {
        XCTAssertEqual(try train("run", steps: 2, ["--checkpoint-every", "1"]).status, 0)
        for name in checkpointFiles("run") {
            var file = try CheckpointEditing.load(path("run/checkpoints/\(name)"))
            file.metadata["version"] = "99"
            try CheckpointEditing.save(file, to: path("run/checkpoints/\(name)"), reseal: true)
        }
        let before = try checkpointFiles("run").map { try bytes("run/checkpoints/\($0)") }
        let out = try train("run", steps: 4, ["--resume", "auto", "--checkpoint-every", "1", "--keep", "3"])
        assertOneLineError(out, "none of the 2 checkpoints")
        XCTAssertTrue(out.stderr.contains("--restart"), out.stderr)
        XCTAssertEqual(try checkpointFiles("run").map { try bytes("run/checkpoints/\($0)") }, before, "nothing deleted or rewritten")

        let restarted = try train("run", steps: 2, ["--restart"])
        XCTAssertEqual(restarted.status, 0, restarted.stderr)
        let previous = try XCTUnwrap(Directory.entries(path("run")).first { $0.hasPrefix("previous-") })
        XCTAssertTrue(restarted.stdout.contains(previous), restarted.stdout)
        XCTAssertEqual(try Directory.entries(path("run/\(previous)/checkpoints")).map { try bytes("run/\(previous)/checkpoints/\($0)") }, before)
        XCTAssertTrue(Directory.exists(path("run/\(previous)/metrics.jsonl")))
        XCTAssertEqual(checkpointFiles("run"), ["step-0000002.safetensors"])
    }

    func testAFreshRunIntoADirectoryHoldingARunIsRefused() throws {
        XCTAssertEqual(try train("run", steps: 2).status, 0)
        let metrics = try bytes("run/metrics.jsonl")
        let out = try train("run", steps: 2)
        assertOneLineError(out, "already holds a run (newest checkpoint: step 2)")
        XCTAssertTrue(out.stderr.contains("--resume auto") && out.stderr.contains("--restart"), out.stderr)
        XCTAssertEqual(try bytes("run/metrics.jsonl"), metrics)
    }

    /// Pruning keeps the newest `--keep` valid checkpoints and never deletes one it cannot read.
    func testPruningNeverDeletesAnUnreadableCheckpoint() throws {
        XCTAssertEqual(try train("run", steps: 3, ["--checkpoint-every", "1", "--keep", "2"]).status, 0)
        XCTAssertEqual(checkpointFiles("run"), ["step-0000002.safetensors", "step-0000003.safetensors"])
        var damaged = try bytes("run/checkpoints/step-0000002.safetensors")
        damaged[damaged.count - 3] ^= 0xFF
        try damaged.write(to: URL(fileURLWithPath: path("run/checkpoints/step-0000002.safetensors")))
        let out = try train("run", steps: 6, ["--resume", "auto", "--checkpoint-every", "1", "--keep", "2"])
        XCTAssertEqual(out.status, 0, out.stderr)
        XCTAssertEqual(checkpointFiles("run"), ["step-0000002.safetensors", "step-0000005.safetensors", "step-0000006.safetensors"])
        XCTAssertEqual(try bytes("run/checkpoints/step-0000002.safetensors"), damaged)
        XCTAssertEqual(out.stdout.components(separatedBy: "keeping step-0000002.safetensors").count - 1, 1, "reported once: \(out.stdout)")
    }

    func testASecondTrainerOnTheSameRunDirectoryFailsAtOnce() throws {
        let first = try Command.start(["train", "--data", path("data"), "--steps", "1000000", "--batch-size", "12", "--ngf", "8",
                                       "--ndf", "8", "--nz", "16", "--log-every", "1", "--blas-threads", "1", "--run-dir", path("run")])
        XCTAssertTrue(first.waitUntil(seconds: 60) { first.stdoutSoFar.contains("[2/") }, first.stdoutSoFar)
        let start = Date()
        let second = try train("run", steps: 4, ["--resume", "auto"])
        assertOneLineError(second, "is in use by swiftgan train (pid \(first.process.processIdentifier)")
        XCTAssertLessThan(Date().timeIntervalSince(start), 30)
        kill(first.process.processIdentifier, SIGTERM)
        XCTAssertEqual(try first.wait(timeout: 60).status, 0)
    }

    /// A checkpoint's temporary file left by a killed run (`kill -9`, a second signal) is
    /// removed when the next run starts; a temporary file of a live process is not.
    func testTemporaryFilesOfKilledRunsAreRemovedAtStart() throws {
        XCTAssertEqual(try train("run", steps: 2).status, 0)
        let dead = Process()
        dead.executableURL = URL(fileURLWithPath: "/bin/true")
        try dead.run()
        dead.waitUntilExit()
        let stale = ".step-0000004.safetensors.tmp-\(TemporaryFile.host)-\(dead.processIdentifier)"
        let live = ".step-0000004.safetensors.tmp-\(TemporaryFile.host)-1"
        for name in [stale, live] { try Data(count: 4096).write(to: URL(fileURLWithPath: path("run/checkpoints/\(name)"))) }
        let out = try train("run", steps: 4, ["--resume", "auto"])
        XCTAssertEqual(out.status, 0, out.stderr)
        XCTAssertTrue(out.stdout.contains("removed \(path("run/checkpoints"))/\(stale)"), out.stdout)
        XCTAssertEqual(checkpointFiles("run"), [live, "step-0000002.safetensors", "step-0000004.safetensors"].sorted())
    }

    func testARunDirectoryWhoseCheckpointsIsAFileFailsBeforeTraining() throws {
        try FileManager.default.createDirectory(atPath: path("run"), withIntermediateDirectories: true)
        try Data("x".utf8).write(to: URL(fileURLWithPath: path("run/checkpoints")))
        let out = try train("run", steps: 50)
        assertOneLineError(out, "\(path("run/checkpoints")) exists and is not a directory")
        XCTAssertFalse(out.stdout.contains("[1/"), "no step ran: \(out.stdout)")
        let parentIsAFile = try train("run/checkpoints/inner", steps: 2)
        assertOneLineError(parentIsAFile, "not a directory")
        XCTAssertFalse(parentIsAFile.stderr.contains("NSCocoaErrorDomain"))
    }

    func testResumingWithFewerStepsThanTheCheckpointSays() throws {
        XCTAssertEqual(try train("run", steps: 4).status, 0)
        assertOneLineError(try train("run", steps: 2, ["--resume", "auto"]), "the checkpoint is already at step 4")
        let same = try train("run", steps: 4, ["--resume", "auto"])
        XCTAssertEqual(same.status, 0, same.stderr)
        XCTAssertTrue(same.stdout.contains("nothing to do: the checkpoint at step 4"), same.stdout)
    }
}
