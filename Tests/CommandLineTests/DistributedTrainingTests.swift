import Foundation
import Storage
import TestSupport
import XCTest

/// Data parallelism is invisible: `mpirun -np R` with global batch B computes what one process
/// with batch B computes. Five steps of a small DCGAN on a fixed dataset, with exact reductions
/// (micro-batches of 2), compared through the checkpoints every run writes at its end
/// (parameters, BN running statistics, Adam moments) and the metrics: byte for byte, so the
/// outcome does not depend on the seed. `--check-replicas 1` makes each MPI run verify after
/// every step that all ranks hold bit-identical state; a difference fails the run.
/// (Floating-point reductions are compared on what their claim is about, the averaged
/// gradients of a step from the same state: ReplicaGradientTests.)
final class DistributedTrainingTests: XCTestCase {
    var directory: URL!

    override func setUpWithError() throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("dist-\(UUID().uuidString)")
        try SyntheticIDX.write(directory: directory.appendingPathComponent("data"), count: 96)
    }

    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: directory) }

    static var mpirun: URL? {
        ["/usr/bin/mpirun", "/usr/local/bin/mpirun"].map(URL.init(fileURLWithPath:))
            .first { FileManager.default.isExecutableFile(atPath: $0.path) }
    }

    /// As root mpirun needs these; `plm isolated` launches locally without ssh.
    static let mpiEnvironment = ["OMPI_ALLOW_RUN_AS_ROOT": "1", "OMPI_ALLOW_RUN_AS_ROOT_CONFIRM": "1"]

    func trainArguments(_ run: String, extra: [String] = []) -> [String] {
        ["train", "--data", directory.appendingPathComponent("data").path, "--steps", "5", "--batch-size", "12",
         "--ngf", "8", "--ndf", "8", "--nz", "16", "--log-every", "1", "--blas-threads", "1", "--micro-batch", "2",
         "--run-dir", directory.appendingPathComponent(run).path] + extra
    }

    func train(ranks: Int?, run: String) throws -> Command.Output {
        guard let ranks else { return try Command.run(trainArguments(run)) }
        let mpirun = try XCTUnwrap(Self.mpirun, "mpirun not found; Scripts/install-deps.sh installs openmpi-bin")
        return try Command.run(["--oversubscribe", "--mca", "plm", "isolated", "-np", "\(ranks)", Command.swiftgan.path]
                               + trainArguments(run, extra: ["--check-replicas", "1"]),
                               executable: mpirun, environment: Self.mpiEnvironment)
    }

    func checkpoint(_ run: String) throws -> SafeTensorsFile {
        try SafeTensorsFile(contentsOf: directory.appendingPathComponent("\(run)/checkpoints/step-0000005.safetensors"))
    }

    /// metrics.jsonl without the timing.
    func metrics(_ run: String) throws -> [String] {
        try String(contentsOf: directory.appendingPathComponent("\(run)/metrics.jsonl"), encoding: .utf8).split(separator: "\n")
            .map { $0.replacingOccurrences(of: #","images_per_second":[0-9.]+"#, with: "", options: .regularExpression) }
    }

    func testRanksComputeWhatOneProcessComputes() throws {
        let single = try train(ranks: nil, run: "single")
        XCTAssertEqual(single.status, 0, single.stderr)
        let reference = try checkpoint("single")
        let referenceMetrics = try metrics("single")
        XCTAssertEqual(referenceMetrics.count, 5)
        for ranks in [2, 3] {
            let run = "mpi\(ranks)"
            let out = try train(ranks: ranks, run: run)
            XCTAssertEqual(out.status, 0, "mpirun -np \(ranks): \(out.stderr)")
            XCTAssertTrue(out.stdout.contains("\(ranks) ranks on 1 host"), out.stdout)
            XCTAssertTrue(out.stdout.contains("1 thread per rank"), out.stdout)
            if ranks > ProcessInfo.processInfo.activeProcessorCount {
                XCTAssertTrue(out.stdout.contains("warning: "), "oversubscription is reported: \(out.stdout)")
            }
            let distributed = try checkpoint(run)
            XCTAssertEqual(distributed.metadata["ranks"], "\(ranks)")
            XCTAssertEqual(Set(distributed.names), Set(reference.names))
            for name in reference.names {
                XCTAssertEqual(distributed[name]?.data, reference[name]!.data, "R=\(ranks) \(name) differs from one process")
            }
            XCTAssertEqual(try metrics(run), referenceMetrics, "R=\(ranks) metrics")
        }
    }

    /// Ranks started with different command lines (an MPMD launch): the job stops with one
    /// error naming the option, from the rank that differs, and nothing hangs.
    func testRanksWithDifferentConfigurationsStopTheJob() throws {
        let mpirun = try XCTUnwrap(Self.mpirun)
        let out = try Command.run(["--oversubscribe", "--mca", "plm", "isolated", "-np", "1", Command.swiftgan.path] + trainArguments("a")
                                  + [":", "-np", "1", Command.swiftgan.path] + trainArguments("a").map { $0 == "5" ? "7" : $0 },
                                  executable: mpirun, environment: Self.mpiEnvironment, timeout: 120)
        XCTAssertNotEqual(out.status, 0)
        XCTAssertTrue(out.stderr.contains("error: rank 1: --steps is 7 on this rank but 5 on rank 0"), out.stderr)
    }

    func testMismatchedBatchIsOneError() throws {
        let mpirun = try XCTUnwrap(Self.mpirun)
        let out = try Command.run(["--oversubscribe", "--mca", "plm", "isolated", "-np", "5", Command.swiftgan.path] + trainArguments("bad"),
                                  executable: mpirun, environment: Self.mpiEnvironment)
        XCTAssertNotEqual(out.status, 0)
        XCTAssertTrue(out.stderr.contains("error: --batch-size 12 is not divisible by the 5 ranks"), out.stderr)
        XCTAssertEqual(out.stderr.components(separatedBy: "error:").count - 1, 1, "one error line: \(out.stderr)")
    }
}
