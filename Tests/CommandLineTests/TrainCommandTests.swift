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

    func testHelpExitsZero() throws {
        let out = try Command.run(["train", "--help"])
        XCTAssertEqual(out.status, 0)
        XCTAssertTrue(out.stdout.contains("--batch-size"))
    }
}
