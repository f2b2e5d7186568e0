import Foundation
import Storage
import TestSupport
import XCTest

/// The same bits on any rank count: with the same global batch, seed and options, `mpirun -np R`
/// for R = 1…4 writes byte-identical checkpoints (parameters, BN buffers and their counters,
/// Adam moments) and identical metrics at every step, for every model. This is what makes the
/// data-parallel run a function of its configuration alone, whatever the seed; it proves the
/// averaged gradients equal to one process's, which is what the equivalence claim is about.
final class RankInvarianceTests: TinyRunTestCase {
    static let steps = 20

    /// `swiftgan train` for `steps` steps at global batch 24 in micro-batches of 2, on `ranks` ranks.
    func train(_ run: String, ranks: Int, model: [String], steps: Int = steps, extra: [String] = []) throws -> Command.Output {
        let args = ["train", "--data", path("data"), "--steps", "\(steps)", "--batch-size", "24", "--micro-batch", "2",
                    "--log-every", "1", "--checkpoint-every", "5", "--keep", "10", "--blas-threads", "1", "--check-replicas", "5",
                    "--run-dir", path(run)] + model + extra
        if ranks == 1 { return try Command.run(args, timeout: 300) }
        let mpirun = try XCTUnwrap(DistributedTrainingTests.mpirun)
        return try Command.run(["--oversubscribe", "--mca", "plm", "isolated", "-np", "\(ranks)", Command.swiftgan.path] + args,
                               executable: mpirun, environment: DistributedTrainingTests.mpiEnvironment, timeout: 300)
    }

    /// Every tensor of every checkpoint of `run` equals `reference`'s, byte for byte.
    func assertIdenticalCheckpoints(_ run: String, _ reference: String, steps: [Int], file: StaticString = #filePath, line: UInt = #line) throws {
        for step in steps {
            let name = String(format: "checkpoints/step-%07d.safetensors", step)
            let a = try SafeTensorsFile(contentsOf: URL(fileURLWithPath: path("\(run)/\(name)")))
            let b = try SafeTensorsFile(contentsOf: URL(fileURLWithPath: path("\(reference)/\(name)")))
            XCTAssertEqual(Set(a.names), Set(b.names), file: file, line: line)
            var differing: [String] = []
            for tensor in b.names where a[tensor]?.data != b[tensor]!.data { differing.append(tensor) }
            XCTAssertTrue(differing.isEmpty, "\(run) step \(step): \(differing.count) tensors differ from \(reference), e.g. \(differing.prefix(3))", file: file, line: line)
            for key in ["step", "batches", "epoch", "optimizerG.step", "optimizerD.step"] {
                XCTAssertEqual(a.metadata[key], b.metadata[key], "\(run) step \(step) \(key)", file: file, line: line)
            }
        }
    }

    /// metrics.jsonl without the timing.
    func metrics(_ run: String) throws -> [String] {
        try String(contentsOfFile: path("\(run)/metrics.jsonl"), encoding: .utf8).split(separator: "\n")
            .map { $0.replacingOccurrences(of: #","images_per_second":[0-9.]+"#, with: "", options: .regularExpression) }
    }

    func assertInvariant(model: [String], name: String, steps: Int = steps, ranks rankCounts: ClosedRange<Int> = 2...4) throws {
        let single = try train("\(name)-1", ranks: 1, model: model, steps: steps)
        XCTAssertEqual(single.status, 0, single.stderr)
        XCTAssertTrue(single.stdout.contains("reductions: exact"), single.stdout)
        let reference = try metrics("\(name)-1")
        XCTAssertEqual(reference.count, steps)
        let grid = String(format: "samples/step-%07d.png", steps)
        for ranks in rankCounts {
            let out = try train("\(name)-\(ranks)", ranks: ranks, model: model, steps: steps)
            XCTAssertEqual(out.status, 0, "\(name) on \(ranks) ranks: \(out.stderr)")
            try assertIdenticalCheckpoints("\(name)-\(ranks)", "\(name)-1", steps: Array(stride(from: 5, through: steps, by: 5)) + [steps])
            XCTAssertEqual(try metrics("\(name)-\(ranks)"), reference, "\(name) metrics on \(ranks) ranks")
            XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: path("\(name)-\(ranks)/\(grid)"))),
                           try Data(contentsOf: URL(fileURLWithPath: path("\(name)-1/\(grid)"))), "\(name) grid on \(ranks) ranks")
        }
    }

    func testDCGANIsIdenticalOnOneToFourRanks() throws {
        try assertInvariant(model: ["--ngf", "8", "--ndf", "8", "--nz", "16"], name: "dcgan")
    }

    /// bf16 convolutions run micro-batch by micro-batch like fp32 ones: the same bits on 1 and 3
    /// ranks. Skipped where `--precision bf16` is refused (no bf16 in oneDNN here, or the
    /// reference backend).
    func testBF16DCGANIsIdenticalOnOneAndThreeRanks() throws {
        let model = ["--ngf", "8", "--ndf", "8", "--nz", "16", "--precision", "bf16"]
        let probe = try train("bf16-probe", ranks: 1, model: model, steps: 1)
        if probe.status != 0, let refusal = probe.stderr.split(separator: "\n").first(where: { $0.contains("--precision bf16") }) {
            throw XCTSkip(String(refusal))
        }
        XCTAssertTrue(probe.stdout.contains(", bf16))"), "the launch report names bf16: \(probe.stdout)")
        try assertInvariant(model: model, name: "dcgan-bf16", ranks: 3...3)
    }

    /// The MLP GAN has dropout: its masks are keyed by global sample index.
    func testMLPGANWithDropoutIsIdenticalOnOneToFourRanks() throws {
        try assertInvariant(model: ["--model", "mlp"], name: "mlp")
    }

    func testACGANIsIdenticalOnOneToFourRanks() throws {
        try assertInvariant(model: ["--model", "acgan", "--ngf", "8", "--ndf", "8", "--nz", "16"], name: "acgan")
    }

    /// The Keras-style model (asymmetric padding, global average pooling) under a schedule of two
    /// separate-update D steps and two G steps per iteration.
    func testKerasModelWithScheduleIsIdenticalOnOneToFourRanks() throws {
        try assertInvariant(model: ["--model", "keras-celeba", "--ngf", "2", "--ndf", "2", "--nz", "16",
                                    "--d-steps", "2", "--g-steps", "2"], name: "keras", steps: 5)
    }

    /// InfoGAN's MNIST network has BatchNorm1d layers in G, D's trunk and the Q head. Its
    /// 6,272-wide fully connected layers make micro-batches of 2 slow, hence fewer steps.
    func testInfoGANIsIdenticalOnOneToFourRanks() throws {
        try assertInvariant(model: ["--model", "infogan"], name: "infogan", steps: 6)
    }

    /// 2 ranks to step 10, resumed on 3 ranks to step 20: byte for byte the straight 1-rank run.
    func testResumingOnAnotherRankCountIsBitExact() throws {
        let model = ["--ngf", "8", "--ndf", "8", "--nz", "16"]
        XCTAssertEqual(try train("straight", ranks: 1, model: model).status, 0)
        let first = try train("resumed", ranks: 2, model: model, steps: 10)
        XCTAssertEqual(first.status, 0, first.stderr)
        let second = try train("resumed", ranks: 3, model: model, extra: ["--resume", "auto"])
        XCTAssertEqual(second.status, 0, second.stderr)
        XCTAssertTrue(second.stdout.contains("written by 2 ranks"), second.stdout)
        try assertIdenticalCheckpoints("resumed", "straight", steps: [15, 20])
        XCTAssertEqual(try metrics("resumed"), try metrics("straight"))
    }
}
