import Data
import Foundation
import Storage
import TestSupport
import XCTest

/// AC-GAN and InfoGAN as a user meets them: training on labelled data, their grids and metrics,
/// `sample --class/--codes`, and the errors for what they cannot do.
final class ConditionalModelTests: TinyRunTestCase {
    func grid(_ relative: String) throws -> (width: Int, height: Int) {
        let png = try PNG.read(path: path(relative), channels: 1)
        return (png.width, png.height)
    }

    func metricNames(_ run: String) throws -> Set<String> {
        let line = try String(contentsOfFile: path("\(run)/metrics.jsonl"), encoding: .utf8).split(separator: "\n").last!
        return Set((try JSONSerialization.jsonObject(with: Data(line.utf8)) as! [String: Any]).keys)
    }

    func testACGANTrainsDrawsClassRowsAndSamplesAClass() throws {
        let out = try train("ac", steps: 4, ["--model", "acgan", "--sample-every", "4"])
        XCTAssertEqual(out.status, 0, out.stderr)
        XCTAssertTrue(out.stdout.contains("AC-GAN (dcgan backbone) 32x32x1, nz 16, 10 classes"), out.stdout)
        XCTAssertTrue(out.stdout.contains("acc(x)") && out.stdout.contains("acc(G(z))"), out.stdout)
        XCTAssertTrue(try metricNames("ac").isSuperset(of: ["loss_d", "loss_g", "d_x", "d_g_z1", "d_g_z2", "acc_real", "acc_fake", "loss_class"]))
        // One row per class (10), 8 columns of 32-pixel images with 2-pixel borders.
        let main = try grid("ac/samples/step-0000004.png")
        XCTAssertEqual([main.width, main.height], [8 * 34 + 2, 10 * 34 + 2])
        let strip = try grid("ac/samples/step-0000004-strip.png")
        XCTAssertEqual([strip.width, strip.height], [8 * 34 + 2, 2 * 34 + 2], "real images above G's images of D's classes")

        let checkpoint = path("ac/checkpoints/step-0000004.safetensors")
        let reproduced = try Command.run(["sample", "--checkpoint", checkpoint, "--out", path("grid.png")])
        XCTAssertEqual(reproduced.status, 0, reproduced.stderr)
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: path("grid.png"))),
                       try Data(contentsOf: URL(fileURLWithPath: path("ac/samples/step-0000004.png"))))
        let three = try Command.run(["sample", "--checkpoint", checkpoint, "--class", "3", "--count", "16", "--out", path("three.png"),
                                     "--save-latents", path("z.npy")])
        XCTAssertEqual(three.status, 0, three.stderr)
        let (shape, inputs) = try NPY.read(path("z.npy"))
        XCTAssertEqual(shape, [16, 26])
        for s in 0..<16 { XCTAssertEqual(Array(inputs[(s * 26 + 16)..<(s * 26 + 26)]), (0..<10).map { $0 == 3 ? 1 : 0 }, "one-hot class 3") }
        assertOneLineError(try Command.run(["sample", "--checkpoint", checkpoint, "--class", "10"]), "--class 10 is outside 0..<10")
        assertOneLineError(try Command.run(["sample", "--checkpoint", checkpoint, "--codes", "1,2"]), "--codes needs an InfoGAN")
    }

    func testInfoGANDrawsCodeTraversalsAndSamplesCodes() throws {
        let out = try train("info", steps: 3, ["--model", "infogan", "--ngf", "4", "--ndf", "4", "--sample-every", "3"])
        XCTAssertEqual(out.status, 0, out.stderr)
        XCTAssertTrue(out.stdout.contains("InfoGAN (mnist backbone) 28x28x1, nz 16, categorical codes 10, 2 continuous codes"), out.stdout)
        XCTAssertTrue(try metricNames("info").isSuperset(of: ["loss_info", "acc_code"]))
        // The categorical code down 10 rows against a continuous code across 10 columns, per code.
        for sheet in ["step-0000003.png", "step-0000003-c3.png"] {
            let g = try grid("info/samples/\(sheet)")
            XCTAssertEqual([g.width, g.height], [10 * 30 + 2, 10 * 30 + 2], sheet)
        }
        XCTAssertTrue(Directory.exists(path("info/samples/step-0000003-strip.png")))
        let checkpoint = path("info/checkpoints/step-0000003.safetensors")
        let coded = try Command.run(["sample", "--checkpoint", checkpoint, "--class", "7", "--codes", "1.5,-0.5", "--count", "4",
                                     "--out", path("coded.png"), "--save-latents", path("z.npy")])
        XCTAssertEqual(coded.status, 0, coded.stderr)
        let (_, inputs) = try NPY.read(path("z.npy"))
        XCTAssertEqual(Array(inputs[(16 + 10)..<(16 + 12)]), [1.5, -0.5])
        XCTAssertEqual(inputs[16 + 7], 1)
        assertOneLineError(try Command.run(["sample", "--checkpoint", checkpoint, "--codes", "1"]), "--codes takes 2 comma-separated numbers")
    }

    func testACGANOnUnlabelledDataIsOneError() throws {
        let images = directory.appendingPathComponent("flat")
        try FileManager.default.createDirectory(at: images, withIntermediateDirectories: true)
        for i in 0..<8 {
            try PNG.write(path: images.appendingPathComponent("\(i).png").path, width: 32, height: 32, channels: 1,
                          pixels: [UInt8](repeating: UInt8(i * 30), count: 1024))
        }
        XCTAssertEqual(try Command.run(["prepare", images.path, "--out", path("flat.pack"), "--size", "32", "--channels", "1"]).status, 0)
        assertOneLineError(try train("x", steps: 1, ["--model", "acgan", "--data", path("flat.pack")]), "--model acgan needs labelled images")
    }

    /// Class labels from subfolders reach the AC-GAN through a packed file.
    func testACGANTrainsFromALabelledPackedFile() throws {
        for (k, name) in ["boots", "coats", "shirts"].enumerated() {
            let folder = directory.appendingPathComponent("labelled/\(name)")
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
            for i in 0..<4 {
                try PNG.write(path: folder.appendingPathComponent("\(i).png").path, width: 40, height: 40, channels: 3,
                              pixels: [UInt8](repeating: UInt8(60 * k + i), count: 4800))
            }
        }
        let prepared = try Command.run(["prepare", path("labelled"), "--out", path("l.pack"), "--size", "32"])
        XCTAssertEqual(prepared.status, 0, prepared.stderr)
        let out = try Command.run(["train", "--model", "acgan", "--data", path("l.pack"), "--steps", "2", "--batch-size", "6",
                                   "--ngf", "4", "--ndf", "4", "--nz", "8", "--run-dir", path("run")])
        XCTAssertEqual(out.status, 0, out.stderr)
        XCTAssertTrue(out.stdout.contains("32x32x3, nz 8, 3 classes"), out.stdout)
    }
}
