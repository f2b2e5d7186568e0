import Foundation
import Storage
import TestSupport
import XCTest

/// `classifier train` and `evaluate` alone and under mpirun: 2 and 3 ranks give the same
/// numbers as one (the classifier the same bits).
final class EvaluationCommandTests: TinyRunTestCase {
    func swiftgan(_ args: [String], ranks: Int) throws -> Command.Output {
        if ranks == 1 { return try Command.run(args, timeout: 300) }
        let mpirun = try XCTUnwrap(DistributedTrainingTests.mpirun)
        return try Command.run(["--oversubscribe", "--mca", "plm", "isolated", "-np", "\(ranks)", Command.swiftgan.path] + args,
                               executable: mpirun, environment: DistributedTrainingTests.mpiEnvironment, timeout: 300)
    }

    func testClassifierAndEvaluationDoNotDependOnTheRankCount() throws {
        XCTAssertEqual(try train("gan", steps: 2).status, 0)
        var reference: SafeTensorsFile?
        var referenceReport: String?
        for ranks in [1, 2, 3] {
            let trained = try swiftgan(["classifier", "train", "--data", path("data"), "--out", path("c\(ranks).safetensors"),
                                        "--epochs", "2", "--batch-size", "12", "--micro-batch", "2", "--blas-threads", "1"], ranks: ranks)
            XCTAssertEqual(trained.status, 0, trained.stderr)
            XCTAssertTrue(trained.stdout.contains("test on a held-out tenth"), trained.stdout)
            XCTAssertNotNil(trained.stdout.firstMatch(of: /test accuracy [01]\.\d{4}/), trained.stdout)
            let file = try SafeTensorsFile(contentsOf: URL(fileURLWithPath: path("c\(ranks).safetensors")))
            if let reference {
                for name in reference.names { XCTAssertEqual(file[name]?.data, reference[name]!.data, "classifier \(name) on \(ranks) ranks") }
            } else {
                reference = file
                XCTAssertEqual(file.metadata["format"], "swiftgan-classifier")
            }
            let evaluated = try swiftgan(["evaluate", "--checkpoint", path("gan/checkpoints/step-0000002.safetensors"), "--data", path("data"),
                                          "--classifier", path("c1.safetensors"), "--count", "150", "--json", "--blas-threads", "1"], ranks: ranks)
            XCTAssertEqual(evaluated.status, 0, evaluated.stderr)
            let report = evaluated.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
            let object = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(report.utf8)) as? [String: Any], report)
            for key in ["fd", "fd_real", "swd", "precision", "recall", "class_entropy", "class_max_share", "class_histogram"] {
                XCTAssertNotNil(object[key], "\(key) in \(report)")
            }
            XCTAssertEqual((object["class_histogram"] as? [Int])?.reduce(0, +), 150)
            if let referenceReport { XCTAssertEqual(report, referenceReport, "evaluate on \(ranks) ranks") } else { referenceReport = report }
        }
    }

    /// `--eval-every` puts the numbers in the log, metrics.jsonl, TensorBoard events and report.html.
    func testTrainingEvaluatesAndReports() throws {
        XCTAssertEqual(try Command.run(["classifier", "train", "--data", path("data"), "--out", path("c.safetensors"), "--epochs", "1",
                                        "--batch-size", "12"]).status, 0)
        let out = try train("run", steps: 4, ["--eval-every", "2", "--eval-count", "32", "--classifier", path("c.safetensors"), "--sample-every", "2"])
        XCTAssertEqual(out.status, 0, out.stderr)
        XCTAssertTrue(out.stdout.contains("eval [2] fd "), out.stdout)
        let lines = try String(contentsOfFile: path("run/metrics.jsonl"), encoding: .utf8).split(separator: "\n")
            .map { try JSONSerialization.jsonObject(with: Data($0.utf8)) as! [String: Any] }
        XCTAssertEqual(lines.filter { $0["eval_fd"] != nil }.compactMap { $0["step"] as? Int }, [2, 4])
        XCTAssertTrue(lines.contains { $0["eval_swd"] != nil && $0["eval_precision"] != nil })
        XCTAssertTrue(Directory.entries(path("run")).contains { $0.hasPrefix("events.out.tfevents.") })
        let report = try String(contentsOfFile: path("run/report.html"), encoding: .utf8)
        XCTAssertTrue(report.contains("<svg") && report.contains("Evaluation: fd") && report.contains("data:image/png;base64,"))
        XCTAssertTrue(report.contains("D's probability that each image is real"))
    }

    func testEvaluationErrorsAreOneLine() throws {
        XCTAssertEqual(try train("gan", steps: 1).status, 0)
        let checkpoint = path("gan/checkpoints/step-0000001.safetensors")
        XCTAssertEqual(try Command.run(["classifier", "train", "--data", path("data"), "--out", path("c28.safetensors"), "--image-size", "28",
                                        "--epochs", "1", "--batch-size", "12"]).status, 0)
        assertOneLineError(try Command.run(["evaluate", "--checkpoint", checkpoint, "--data", path("data"), "--classifier", path("c28.safetensors")]),
                           "train one with --image-size 32")
        assertOneLineError(try Command.run(["evaluate", "--checkpoint", checkpoint, "--data", path("data"), "--classifier", checkpoint]),
                           "not a swiftgan-classifier file")
        assertOneLineError(try Command.run(["evaluate", "--checkpoint", checkpoint, "--count", "3"]), "--count must be at least 16")
    }
}
