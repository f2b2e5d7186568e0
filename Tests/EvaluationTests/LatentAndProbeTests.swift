import Evaluation
import Foundation
import Inference
import Models
import Neural
import TestSupport
import XCTest

/// The tools users run on a trained GAN: interpolation, D's features (against PyTorch), and the
/// linear probe (against LIBLINEAR's own command-line tools).
final class LatentAndProbeTests: XCTestCase {
    func testLinearAndSphericalInterpolation() {
        XCTAssertEqual(LatentSpace.lerp([0, 2], [4, 6], 0.25), [1, 3])
        // Orthogonal unit vectors: the arc from (1, 0) to (0, 1); t = 1/3 is at 30°.
        let s = LatentSpace.slerp([1, 0], [0, 1], 1.0 / 3)
        XCTAssertEqual(s[0], Float(cos(Double.pi / 6)), accuracy: 1e-6)
        XCTAssertEqual(s[1], Float(sin(Double.pi / 6)), accuracy: 1e-6)
        // Norms stay on the sphere; parallel vectors fall back to lerp.
        let t = LatentSpace.slerp([3, 0, 0], [0, 0, 3], 0.7)
        XCTAssertEqual(t.reduce(0) { $0 + $1 * $1 }.squareRoot(), 3, accuracy: 1e-5)
        XCTAssertEqual(LatentSpace.slerp([1, 1], [2, 2], 0.5), [1.5, 1.5])
        // Walks keep the conditioning of the start and include both ends.
        let walk = LatentSpace.walk([0, 0, 1, 0], [2, 4, 0, 1], noise: 2, steps: 3, spherical: false)
        XCTAssertEqual(walk, [[0, 0, 1, 0], [1, 2, 1, 0], [2, 4, 1, 0]])
    }

    func testArithmeticTerms() throws {
        let terms = try LatentSpace.terms("+0,1 -2 3")
        XCTAssertEqual(terms, [LatentSpace.Term(sign: 1, indices: [0, 1]), LatentSpace.Term(sign: -1, indices: [2]), LatentSpace.Term(sign: 1, indices: [3])])
        let sheet: [Float] = [1, 0, 9, 3, 2, 9, 1, 1, 9, 0, 5, 9]  // rows of (noise 2, conditioning 1)
        XCTAssertEqual(LatentSpace.sum(sheet, width: 3, noise: 2, terms: terms), [2 - 1 + 0, 1 - 1 + 5, 9])
        XCTAssertThrowsError(try LatentSpace.terms("+a,b")) { XCTAssertTrue("\($0)".contains("'+a,b'")) }
    }

    /// The feature layout (blocks, 4×4 pooling, channel-major order, concatenation) against
    /// PyTorch's AdaptiveMaxPool2d(4) on the same discriminator (features.safetensors).
    func testDiscriminatorFeaturesMatchPyTorch() throws {
        let fixture = try Fixture("features")
        let d = ModelConfig(architecture: .dcgan, imageSize: 32, channels: 1, nz: 8, ngf: 4, ndf: 4).discriminator(batch: 3)
        for slice in d.arena.slices { d.arena.set(slice.name, try fixture.floats("D.\(slice.name)")) }
        for bn in d.batchNorms {
            try fixture.floats("D.\(bn.name).running_mean").withUnsafeBufferPointer { bn.runningMean.update(from: $0.baseAddress!, count: bn.channels) }
            try fixture.floats("D.\(bn.name).running_var").withUnsafeBufferPointer { bn.runningVar.update(from: $0.baseAddress!, count: bn.channels) }
        }
        XCTAssertEqual(DiscriminatorFeatures.width(d), (4 + 8 + 16) * 16)
        var out = [Float](repeating: 0, count: 3 * DiscriminatorFeatures.width(d))
        let x = try fixture.tensor("x")
        out.withUnsafeMutableBufferPointer { DiscriminatorFeatures.compute(d, x, into: $0.baseAddress!) }
        let c = Comparison(out, try fixture.floats("features"))
        XCTAssertLessThanOrEqual(c.relative, 1e-4, "\(c)")
    }

    /// On a small problem, the probe's predictions equal those of `liblinear-train -s 1` and
    /// `liblinear-predict` given the same standardised features and C.
    func testProbeAgreesWithLIBLINEARsOwnTools() throws {
        guard let train = ["/usr/bin/liblinear-train"].first(where: FileManager.default.isExecutableFile(atPath:)) else {
            throw XCTSkip("liblinear-tools not installed (Scripts/install-deps.sh installs it)")
        }
        let n = 90, m = 30, d = 5, random = Philox(seed: 8)
        func points(_ count: Int, _ stream: UInt64) -> ([Float], [Int]) {
            var x = [Float](repeating: 0, count: count * d)
            x.withUnsafeMutableBufferPointer { random.normals(stream: stream, index: 0, into: $0.baseAddress!, count: $0.count) }
            let y = (0..<count).map { i in (x[i * d] + 0.5 * x[i * d + 1] > 0 ? 1 : 0) + (x[i * d + 2] > 0.8 ? 2 : 0) }
            for i in 0..<count { x[i * d + 3] = x[i * d + 3] * 5 + 2 }
            return (x, y)
        }
        let (xa, ya) = points(n, 1), (xb, yb) = points(m, 2)
        let result = try LinearProbe(dimension: d, candidates: [0.5], folds: 3).run(train: xa, trainLabels: ya, test: xb, testLabels: yb) { _ in }
        let (mean, scale) = LinearProbe.standardisation(xa, count: n, dimension: d)
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("probe-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        func file(_ x: [Float], _ y: [Int], _ name: String) throws -> String {
            let text = y.indices.map { i in
                "\(y[i]) " + (0..<d).map { j in "\(j + 1):\((Double(x[i * d + j]) - mean[j]) * scale[j])" }.joined(separator: " ") + " \(d + 1):1"
            }.joined(separator: "\n") + "\n"
            let path = directory.appendingPathComponent(name).path
            try text.write(toFile: path, atomically: true, encoding: .utf8)
            return path
        }
        let trainFile = try file(xa, ya, "train.txt"), testFile = try file(xb, yb, "test.txt")
        let model = directory.appendingPathComponent("model").path, predicted = directory.appendingPathComponent("out").path
        XCTAssertEqual(try Command.run(["-s", "1", "-c", "0.5", "-e", "0.1", "-q", trainFile, model], executable: URL(fileURLWithPath: train)).status, 0)
        XCTAssertEqual(try Command.run([testFile, model, predicted], executable: URL(fileURLWithPath: "/usr/bin/liblinear-predict")).status, 0)
        let theirs = try String(contentsOfFile: predicted, encoding: .utf8).split(separator: "\n").map { Int($0)! }
        XCTAssertEqual(result.predictions, theirs)
        XCTAssertGreaterThan(result.testAccuracy, 0.6)
    }
}
