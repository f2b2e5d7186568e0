import Data
import Foundation
import TestSupport
import XCTest

/// `swiftgan train` as a user runs it: a tiny real run, and every kind of bad input giving
/// one line on stderr and a non-zero exit status.
final class TrainCommandTests: XCTestCase {
    var directory: URL!

    override func setUpWithError() throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("cli-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: directory) }

    /// Small networks so that the debug build trains a few steps in seconds.
    let small = ["--ngf", "8", "--ndf", "8", "--nz", "16"]

    func testTinyRunWritesConfigMetricsAndSampleGrids() throws {
        let data = directory.appendingPathComponent("data")
        try SyntheticIDX.write(directory: data, count: 64)
        let run = directory.appendingPathComponent("run")
        let out = try Command.run(["train", "--data", data.path, "--steps", "6", "--batch-size", "16", "--log-every", "2",
                                   "--sample-every", "3", "--run-dir", run.path] + small)
        XCTAssertEqual(out.status, 0, out.stderr)
        XCTAssertEqual(out.stderr, "")
        XCTAssertTrue(out.stdout.contains("[4/6] epoch 0") && out.stdout.contains("[6/6] epoch 1"), out.stdout)
        for file in ["config.json", "metrics.jsonl", "real.png", "samples/step-0000003.png", "samples/step-0000006.png"] {
            XCTAssertTrue(FileManager.default.fileExists(atPath: run.appendingPathComponent(file).path), file)
        }
        let metrics = try String(contentsOf: run.appendingPathComponent("metrics.jsonl"), encoding: .utf8).split(separator: "\n")
        XCTAssertEqual(metrics.count, 3)
        let last = try JSONSerialization.jsonObject(with: Data(metrics[2].utf8)) as! [String: Any]
        XCTAssertEqual(last["step"] as? Int, 6)
        XCTAssertEqual(last["epoch"] as? Int, 1)
        let config = try JSONSerialization.jsonObject(with: Data(contentsOf: run.appendingPathComponent("config.json"))) as! [String: Any]
        XCTAssertEqual(config["batchSize"] as? Int, 16)
        XCTAssertEqual((config["model"] as? [String: Any])?["ngf"] as? Int, 8)
    }

    func assertOneLineError(_ arguments: [String], mentions expected: String, file: StaticString = #filePath, line: UInt = #line) throws {
        let out = try Command.run(["train", "--run-dir", directory.appendingPathComponent("bad").path] + arguments)
        XCTAssertNotEqual(out.status, 0, "exit status for \(arguments)", file: file, line: line)
        XCTAssertEqual(out.stderrLines.count, 1, "stderr: \(out.stderr)", file: file, line: line)
        XCTAssertTrue(out.stderr.hasPrefix("error: "), out.stderr, file: file, line: line)
        XCTAssertTrue(out.stderr.contains(expected), "expected '\(expected)' in: \(out.stderr)", file: file, line: line)
    }

    func testMissingDatasetPath() throws {
        try assertOneLineError(["--data", "/nonexistent/fashion"], mentions: "--data /nonexistent/fashion")
    }

    func testWrongMagicAndTruncatedIDXFiles() throws {
        let data = directory.appendingPathComponent("wrong-magic")
        try SyntheticIDX.write(directory: data, count: 64)
        try [UInt8]([0x50, 0x4B, 3, 4, 0, 0, 0, 0]).write(to: data.appendingPathComponent("train-images-idx3-ubyte"))
        try assertOneLineError(["--data", data.path], mentions: "magic")

        let truncated = directory.appendingPathComponent("truncated")
        try SyntheticIDX.write(directory: truncated, count: 64)
        let images = truncated.appendingPathComponent("train-images-idx3-ubyte")
        let bytes = try Data(contentsOf: images)
        try bytes.prefix(bytes.count - 100).write(to: images)
        try assertOneLineError(["--data", truncated.path], mentions: "truncated")
    }

    func testImpossibleImageSizeNamesTheOption() throws {
        try assertOneLineError(["--image-size", "48"], mentions: "--image-size 48")
        try assertOneLineError(["--channels", "2"], mentions: "--channels")
    }

    func testNonPositiveCounts() throws {
        try assertOneLineError(["--batch-size", "0"], mentions: "--batch-size")
        try assertOneLineError(["--steps", "0"], mentions: "--steps")
        try assertOneLineError(["--steps", "-3"], mentions: "--steps")
        try assertOneLineError(["--epochs", "0"], mentions: "--epochs")
        try assertOneLineError(["--steps", "abc"], mentions: "steps")
    }

    func testUnknownOptionIsOneLine() throws {
        try assertOneLineError(["--no-such-option"], mentions: "no-such-option")
    }

    /// prepare → packed file → train, as a CelebA user would (on synthetic PNGs).
    func testPrepareThenTrainFromThePackedFile() throws {
        let images = directory.appendingPathComponent("images")
        try FileManager.default.createDirectory(at: images, withIntermediateDirectories: true)
        for i in 0..<24 {
            let pixels = (0..<(50 * 40 * 3)).map { UInt8(($0 * (i + 1)) % 256) }
            try PNG.write(path: images.appendingPathComponent("\(i).png").path, width: 50, height: 40, channels: 3, pixels: pixels)
        }
        let pack = directory.appendingPathComponent("faces.pack").path
        let prepared = try Command.run(["prepare", images.path, "--out", pack, "--size", "32"])
        XCTAssertEqual(prepared.status, 0, prepared.stderr)
        XCTAssertTrue(prepared.stdout.contains("prepared 24 images of 3x32x32"), prepared.stdout)
        XCTAssertTrue(prepared.stdout.contains("skipped 0"), prepared.stdout)
        let out = try Command.run(["train", "--data", pack, "--channels", "3", "--steps", "2", "--batch-size", "8",
                                   "--run-dir", directory.appendingPathComponent("run").path] + small)
        XCTAssertEqual(out.status, 0, out.stderr)
        XCTAssertTrue(out.stdout.contains("24 images"), out.stdout)
        try assertOneLineError(["--data", pack, "--channels", "3", "--image-size", "64"], mentions: "prepare it with --size 64")
        try assertOneLineError(["--data", pack, "--channels", "1"], mentions: "--channels 1")
        let broken = directory.appendingPathComponent("broken.pack")
        try Data("SGANPACX and more bytes to fill a header...........................".utf8).write(to: broken)
        try assertOneLineError(["--data", broken.path], mentions: "wrong magic")
    }

    func testPrepareErrorsAreOneLine() throws {
        let empty = directory.appendingPathComponent("empty")
        try FileManager.default.createDirectory(at: empty, withIntermediateDirectories: true)
        for (args, expected) in [([empty.path], "no .png, .jpg or .jpeg"), ([empty.path, "--channels", "4"], "--channels"),
                                 (["/nonexistent"], "no such file")] {
            let out = try Command.run(["prepare"] + args + ["--out", directory.appendingPathComponent("x.pack").path])
            XCTAssertNotEqual(out.status, 0)
            XCTAssertEqual(out.stderrLines.count, 1, out.stderr)
            XCTAssertTrue(out.stderr.contains(expected), out.stderr)
            XCTAssertFalse(FileManager.default.fileExists(atPath: directory.appendingPathComponent("x.pack").path), "no partial output")
        }
    }

    func testHelpExitsZero() throws {
        let out = try Command.run(["train", "--help"])
        XCTAssertEqual(out.status, 0)
        XCTAssertTrue(out.stdout.contains("--batch-size"))
    }
}
