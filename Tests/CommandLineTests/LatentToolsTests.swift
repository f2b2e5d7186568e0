import Data
import Foundation
import Storage
import TestSupport
import XCTest

/// What users do with a trained GAN, from the command line: walks, arithmetic, D's features and
/// the linear probe.
final class LatentToolsTests: TinyRunTestCase {
    func size(_ relative: String) throws -> [Int] {
        let png = try PNG.read(path: path(relative), channels: 1)
        return [png.width, png.height]
    }

    func testWalkArithmeticFeaturesAndProbe() throws {
        XCTAssertEqual(try train("gan", steps: 2).status, 0)
        let checkpoint = path("gan/checkpoints/step-0000002.safetensors")
        XCTAssertEqual(try Command.run(["sample", "--checkpoint", checkpoint, "--save-latents", path("sheet.npy"), "--out", path("sheet.png")]).status, 0)
        XCTAssertEqual(try NPY.read(path("sheet.npy")).shape, [64, 16])

        let walk = try Command.run(["latent", "walk", "--checkpoint", checkpoint, "--rows", "2", "--steps", "5", "--slerp", "--out", path("walk.png")])
        XCTAssertEqual(walk.status, 0, walk.stderr)
        XCTAssertEqual(try size("walk.png"), [5 * 34 + 2, 2 * 34 + 2])
        let fromFile = try Command.run(["latent", "walk", "--checkpoint", checkpoint, "--latents", path("sheet.npy"), "--from", "3", "--to", "9",
                                        "--out", path("walk2.png")])
        XCTAssertEqual(fromFile.status, 0, fromFile.stderr)
        XCTAssertEqual(try size("walk2.png"), [10 * 34 + 2, 34 + 2])

        let arithmetic = try Command.run(["latent", "arithmetic", "--checkpoint", checkpoint, "--latents", path("sheet.npy"),
                                          "--terms", "+3,7,12 -4,5,9 +20,21,22", "--out", path("arith.png")])
        XCTAssertEqual(arithmetic.status, 0, arithmetic.stderr)
        XCTAssertEqual(try size("arith.png"), [9 * 34 + 2, 4 * 34 + 2], "three term rows and the result with 8 variations")
        assertOneLineError(try Command.run(["latent", "arithmetic", "--checkpoint", checkpoint, "--latents", path("sheet.npy"),
                                            "--terms", "+3,99", "--out", path("x.png")]), "index 99 is beyond the sheet's 64")

        for (ranks, name) in [(1, "f1"), (2, "f2")] {
            // One thread per rank in both runs, as in EvaluationCommandTests: OpenBLAS's AVX2 kernels
            // round a GEMM differently when it is split over two threads.
            var args = ["features", "--checkpoint", checkpoint, "--data", path("data"), "--count", "80", "--threads", "1", "--out", path("\(name).npy")]
            if ranks > 1 { args = ["--oversubscribe", "--mca", "plm", "isolated", "-np", "2", Command.swiftgan.path] + args }
            let out = ranks == 1 ? try Command.run(args)
                : try Command.run(args, executable: try XCTUnwrap(DistributedTrainingTests.mpirun), environment: DistributedTrainingTests.mpiEnvironment)
            XCTAssertEqual(out.status, 0, out.stderr)
        }
        let (shape, f1) = try NPY.read(path("f1.npy"))
        XCTAssertEqual(shape, [80, (8 + 16 + 32) * 16], "ndf 8 at 32x32: three blocks of 8, 16, 32 channels, 4x4 each")
        XCTAssertEqual(try NPY.read(path("f2.npy")).values, f1, "the same features on 2 ranks")
        XCTAssertEqual(try NPY.read(path("f1.labels.npy")).shape, [80])
        XCTAssertEqual(try Command.run(["features", "--checkpoint", checkpoint, "--data", path("data"), "--count", "40", "--raw",
                                        "--out", path("raw.npy")]).status, 0)
        let probe = try Command.run(["linear-probe", "--train", path("f1.npy"), "--test", path("raw.npy")])
        assertOneLineError(probe, "--train has 896 features per row, --test 1024")
        let ok = try Command.run(["linear-probe", "--train", path("f1.npy"), "--test", path("f2.npy"), "--c", "0.1,1", "--folds", "3"])
        XCTAssertEqual(ok.status, 0, ok.stderr)
        XCTAssertNotNil(ok.stdout.firstMatch(of: /chosen by 3-fold cross-validation on 80 training rows\), test accuracy [01]\.\d{4} on 80 rows/), ok.stdout)
        let given = try Command.run(["linear-probe", "--train", path("f1.npy"), "--test", path("f2.npy"), "--c", "0.1"])
        XCTAssertEqual(given.status, 0, given.stderr)
        XCTAssertFalse(given.stdout.contains("cross-validation accuracy"), "one C: nothing to choose, no cross-validation")
        XCTAssertNotNil(given.stdout.firstMatch(of: /C 0\.1 \(given on 80 training rows\), test accuracy [01]\.\d{4} on 80 rows/), given.stdout)
    }
}
