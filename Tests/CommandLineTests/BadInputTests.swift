import Data
import Foundation
import Storage
import TestSupport
import XCTest

/// Hostile and careless input, each ending in one `error:` line and a non-zero exit status:
/// never a crash, a hang, a signal or silently wrong data.
final class BadInputTests: TinyRunTestCase {
    /// A trained checkpoint at `run/checkpoints/step-0000002.safetensors`.
    func checkpoint() throws -> String {
        XCTAssertEqual(try train("run", steps: 2).status, 0)
        return path("run/checkpoints/step-0000002.safetensors")
    }

    // MARK: Checkpoint integrity

    /// The checksum covers the metadata and binds names to bytes; a re-save that only reorders
    /// (Python's `safetensors`) and a version-1 file still read.
    func testTheChecksumCoversMetadataAndNamesButNotLayout() throws {
        let good = try checkpoint()
        var edited = try CheckpointEditing.load(good)
        edited.metadata["step"] = "1"
        try CheckpointEditing.save(edited, to: path("edited.safetensors"), reseal: false)
        assertOneLineError(try Command.run(["inspect", path("edited.safetensors")]), "checksum mismatch")
        var swapped = try CheckpointEditing.load(good)
        swapped.rename("netG.main.1.weight", to: "tmp")
        swapped.rename("netG.main.1.bias", to: "netG.main.1.weight")
        swapped.rename("tmp", to: "netG.main.1.bias")
        try CheckpointEditing.save(swapped, to: path("swapped.safetensors"), reseal: false)
        assertOneLineError(try Command.run(["inspect", path("swapped.safetensors")]), "checksum mismatch")

        try CheckpointEditing.save(CheckpointEditing.reordered(try CheckpointEditing.load(good)), to: path("resaved.safetensors"), reseal: false)
        let inspect = try Command.run(["inspect", path("resaved.safetensors")])
        XCTAssertEqual(inspect.status, 0, inspect.stderr)
        XCTAssertTrue(inspect.stdout.contains("checksum verified"))
        try CheckpointEditing.save(CheckpointEditing.asVersion1(try CheckpointEditing.load(good)), to: path("v1.safetensors"), reseal: false)
        let resumed = try train("fromv1", steps: 3, ["--resume", path("v1.safetensors")])
        XCTAssertEqual(resumed.status, 0, resumed.stderr)
        XCTAssertTrue(resumed.stdout.contains("at step 2"), resumed.stdout)
    }

    /// Intact files (valid checksum) holding values no run can produce.
    func testImpossibleValuesAreRefusedNamingTheTensor() throws {
        let good = try checkpoint()
        var negative = try CheckpointEditing.load(good)
        negative.metadata["step"] = "-3"
        try CheckpointEditing.save(negative, to: path("negative-step.safetensors"), reseal: true)
        assertOneLineError(try train("a", steps: 4, ["--resume", path("negative-step.safetensors")]), "out of range (step -3")

        var nan = try CheckpointEditing.load(good)
        let weight = try nan.floats("netG.main.0.weight")
        nan.replace("netG.main.0.weight", data: CheckpointEditing.floats([Float.nan] + weight.dropFirst()))
        try CheckpointEditing.save(nan, to: path("nan.safetensors"), reseal: true)
        assertOneLineError(try Command.run(["sample", "--checkpoint", path("nan.safetensors"), "--out", path("x.png")]),
                           "netG.main.0.weight holds nan")
        assertOneLineError(try train("b", steps: 4, ["--resume", path("nan.safetensors")]), "netG.main.0.weight holds nan")

        var variance = try CheckpointEditing.load(good)
        let v = try variance.floats("netD.main.3.running_var")
        variance.replace("netD.main.3.running_var", data: CheckpointEditing.floats([-1] + v.dropFirst()))
        try CheckpointEditing.save(variance, to: path("variance.safetensors"), reseal: true)
        assertOneLineError(try train("c", steps: 4, ["--resume", path("variance.safetensors")]), "netD.main.3.running_var holds -1.0")
        XCTAssertFalse(Directory.exists(path("x.png")))
    }

    // MARK: sample

    func testNonFiniteLatentsAndImpossibleCountsAreErrors() throws {
        let good = try checkpoint()
        var values = [Float](repeating: 0.5, count: 3 * 16)
        values[17] = .nan
        try values.withUnsafeBufferPointer { try NPY.write(path("z.npy"), shape: [3, 16], values: $0) }
        assertOneLineError(try Command.run(["sample", "--checkpoint", good, "--latents", path("z.npy"), "--out", path("x.png")]),
                           "value nan at row 1, column 1")
        assertOneLineError(try Command.run(["sample", "--checkpoint", good, "--count", "100000000", "--out", path("x.png")]),
                           "lower --count")
        assertOneLineError(try Command.run(["sample", "--checkpoint", good, "--count", "-5"]), "--count must be positive, got -5")
    }

    // MARK: Files that are not files

    func testFIFOsAreRefusedNotWaitedFor() throws {
        XCTAssertEqual(mkfifo(path("fifo"), 0o644), 0)
        let start = Date()
        assertOneLineError(try train("a", steps: 2, ["--data", path("fifo")]), "not a regular file (a FIFO)")
        assertOneLineError(try train("b", steps: 2, ["--resume", path("fifo")]), "not a regular file (a FIFO)")
        assertOneLineError(try Command.run(["sample", "--checkpoint", path("fifo")]), "not a regular file (a FIFO)")
        assertOneLineError(try Command.run(["inspect", path("fifo")]), "not a regular file (a FIFO)")
        XCTAssertLessThan(Date().timeIntervalSince(start), 60)
    }

    func testAnOutputThatIsNotARegularFileIsNotReplaced() throws {
        XCTAssertEqual(mkfifo(path("out.pack"), 0o644), 0)
        assertOneLineError(try Command.run(["prepare", path("data"), "--out", path("out.pack"), "--size", "32"]), "refusing to replace it")
        var info = stat()
        XCTAssertEqual(stat(path("out.pack"), &info), 0)
        XCTAssertEqual(info.st_mode & S_IFMT, S_IFIFO)
    }

    // MARK: Options

    func testNegativeNumbersReachValidation() throws {
        assertOneLineError(try train("a", steps: 2, ["--lr", "-1"]), "--lr must be a positive number, got -1")
        assertOneLineError(try train("a", steps: 2, ["--batch-size", "-4"]), "--batch-size must be positive, got -4")
    }

    /// bf16 needs oneDNN: refused under the reference backend, and an unknown precision is named.
    func testPrecisionsThatCannotRunAreRefused() throws {
        assertOneLineError(try train("a", steps: 2, ["--precision", "bf16", "--backend", "blas"]), "--precision bf16 runs on oneDNN only")
        assertOneLineError(try train("a", steps: 2, ["--precision", "fp16"]), "fp16")
    }

    func testAnArgumentThatIsNotUTF8IsRefused() throws {
        let out = try Command.run(["-c", "exec \"$0\" train --steps 1 --run-dir \"$(printf '%s/r\\351' \"$1\")\"", Command.swiftgan.path, directory.path],
                                  executable: URL(fileURLWithPath: "/bin/sh"))
        assertOneLineError(out, "is not valid UTF-8")
        XCTAssertEqual(Directory.entries(directory.path), ["data"], "no directory created under another name")
    }

    /// A packed file states its size and channels; they need not be repeated.
    func testAPackedFileSuppliesItsImageSizeAndChannels() throws {
        let pack = path("faces.pack")
        let prepared = try Command.run(["prepare", path("data"), "--out", pack, "--size", "64", "--channels", "3"])
        XCTAssertEqual(prepared.status, 0, prepared.stderr)
        let out = try Command.run(["train", "--data", pack, "--steps", "1", "--batch-size", "4", "--ngf", "4", "--ndf", "4", "--nz", "8",
                                   "--run-dir", path("run")])
        XCTAssertEqual(out.status, 0, out.stderr)
        XCTAssertTrue(out.stdout.contains("64x64x3"), out.stdout)
        assertOneLineError(try train("b", steps: 1, ["--data", pack, "--image-size", "32"]), "--image-size 32 does not match the 64x64 images")
        assertOneLineError(try train("c", steps: 1, ["--data", pack, "--channels", "1"]), "--channels 1 does not match the 3-channel images")
    }

    /// Ctrl-C during `prepare` removes the partial output; a partial output of a killed
    /// `prepare` is removed by the next one.
    func testAnInterruptedPrepareLeavesNothingBehind() throws {
        let images = directory.appendingPathComponent("images")
        try FileManager.default.createDirectory(at: images, withIntermediateDirectories: true)
        let noise = (0..<(256 * 256 * 3)).map { UInt8(truncatingIfNeeded: $0 &* 2_654_435_761 >> 13) }
        for i in 0..<600 { try PNG.write(path: images.appendingPathComponent("\(i).png").path, width: 256, height: 256, channels: 3, pixels: noise) }
        let job = try Command.start(["prepare", images.path, "--out", path("out.pack"), "--size", "128"])
        XCTAssertTrue(job.waitUntil(seconds: 60) { Directory.entries(directory.path).contains { $0.hasPrefix(".out.pack.tmp-") } })
        kill(job.process.processIdentifier, SIGINT)
        let out = try job.wait(timeout: 60)
        XCTAssertEqual(out.status, 128 + SIGINT)
        XCTAssertFalse(Directory.entries(directory.path).contains { $0.contains("out.pack") }, "\(Directory.entries(directory.path))")

        let dead = Process()
        dead.executableURL = URL(fileURLWithPath: "/bin/true")
        try dead.run()
        dead.waitUntilExit()
        let stale = ".out.pack.tmp-\(TemporaryFile.host)-\(dead.processIdentifier)"
        try Data(count: 1000).write(to: URL(fileURLWithPath: path(stale)))
        let again = try Command.run(["prepare", path("data"), "--out", path("out.pack"), "--size", "32"])
        XCTAssertEqual(again.status, 0, again.stderr)
        XCTAssertTrue(again.stderr.contains("removed \(stale)"), again.stderr)
        XCTAssertFalse(Directory.exists(path(stale)))
    }
}

/// Configurations too large for the memory there is: refused before anything is allocated.
final class MemoryEstimateTests: TinyRunTestCase {
    func testAModelThatCannotFitIsRefusedWithItsEstimate() throws {
        let out = try train("huge", steps: 2, ["--ngf", "100000"])
        assertOneLineError(out, "needs about")
        XCTAssertTrue(out.stderr.contains("lower --batch-size, --ngf or --ndf"), out.stderr)
        XCTAssertFalse(Directory.entries(path("huge/checkpoints")).contains { $0.hasSuffix(".safetensors") })
    }

    /// `ulimit -v` caps the address space: the estimate sees the limit.
    func testAnAddressSpaceLimitIsRespected() throws {
        let script = "ulimit -v 2000000 && exec \"$0\" train --data \"$1\" --image-size 128 --batch-size 512 --steps 1 --run-dir \"$2\""
        let out = try Command.run(["-c", script, Command.swiftgan.path, path("data"), path("limited")],
                                  executable: URL(fileURLWithPath: "/bin/sh"))
        assertOneLineError(out, "needs about")
        XCTAssertTrue(out.stderr.contains("is available"), out.stderr)
    }
}
