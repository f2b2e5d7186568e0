import Foundation
import TestSupport
import XCTest

/// Tests that run `swiftgan train` on a small synthetic dataset (`data/`, 96 labelled images)
/// in a fresh temporary directory, with a tiny DCGAN.
class TinyRunTestCase: XCTestCase {
    var directory: URL!

    override func setUpWithError() throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("run-\(UUID().uuidString)")
        try SyntheticIDX.write(directory: directory.appendingPathComponent("data"), count: 96)
    }

    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: directory) }

    func path(_ relative: String) -> String { directory.appendingPathComponent(relative).path }

    /// `swiftgan train` into `run` for `steps` steps at global batch 12.
    func train(_ run: String, steps: Int, _ extra: [String] = []) throws -> Command.Output {
        try Command.run(["train", "--data", path("data"), "--steps", "\(steps)", "--batch-size", "12", "--ngf", "8", "--ndf", "8",
                         "--nz", "16", "--log-every", "1", "--blas-threads", "1", "--run-dir", path(run)] + extra, timeout: 120)
    }

    /// A failure reported as one `error:` line and an exit status (never a signal).
    func assertOneLineError(_ out: Command.Output, _ text: String, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertNotEqual(out.status, 0, file: file, line: line)
        XCTAssertLessThan(out.status, 128, "an exit status, not a signal", file: file, line: line)
        XCTAssertEqual(out.stderrLines.count, 1, out.stderr, file: file, line: line)
        XCTAssertTrue(out.stderr.hasPrefix("error: ") && out.stderr.contains(text), "expected '\(text)' in \(out.stderr)", file: file, line: line)
    }
}
