import Evaluation
import Neural
import TestSupport
import XCTest

/// Every metric against numpy/scipy (Scripts/make_fixtures.py, metrics.safetensors), the
/// analytic cases, and identical sets.
final class MetricTests: XCTestCase {
    var fixture: Fixture!

    override func setUpWithError() throws { fixture = try Fixture("metrics") }

    /// pytorch-fid's formula (scipy's sqrtm of Σ₁Σ₂) against ours (two symmetric eigensolves):
    /// the fixture holds float32, so agreement is to 1e-5 relative.
    func testFrechetDistanceMatchesScipy() throws {
        let a = try fixture.floats("fd.a"), b = try fixture.floats("fd.b")
        let d = try FrechetDistance.distance(a, count: 200, b, count: 150, dimension: 8)
        XCTAssertEqual(d, Double(try fixture.floats("fd.value")[0]), accuracy: 1e-5 * d)
        let (mean, covariance) = FrechetDistance.moments(a, count: 200, dimension: 8)
        XCTAssertEqual(Comparison(mean.map(Float.init), try fixture.floats("fd.mean_a")).relative, 0, accuracy: 1e-6)
        XCTAssertEqual(Comparison(covariance.map(Float.init), try fixture.floats("fd.cov_a")).relative, 0, accuracy: 1e-6)
        XCTAssertEqual(try FrechetDistance.distance(a, count: 200, a, count: 200, dimension: 8), 0, accuracy: 1e-9, "identical sets")
    }

    /// Two Gaussians with diagonal covariances: d² = ‖μ₁ − μ₂‖² + Σ (σ₁ − σ₂)²; and with a shared
    /// non-diagonal covariance, the mean term alone.
    func testFrechetDistanceOfKnownGaussians() throws {
        let variances1: [Double] = [1, 4, 9], variances2: [Double] = [4, 1, 0.25]
        func diagonal(_ v: [Double]) -> [Double] { (0..<9).map { $0 % 4 == 0 ? v[$0 / 4] : 0 } }
        let d = try FrechetDistance.distance(mean1: [0, 1, 2], covariance1: diagonal(variances1), mean2: [1, 1, 0],
                                             covariance2: diagonal(variances2), dimension: 3)
        let expected = 1.0 + 0 + 4 + zip(variances1, variances2).reduce(0) { $0 + pow($1.0.squareRoot() - $1.1.squareRoot(), 2) }
        XCTAssertEqual(d, expected, accuracy: 1e-10)
        let shared: [Double] = [2, 0.5, 0, 0.5, 1, 0.3, 0, 0.3, 1.5]
        XCTAssertEqual(try FrechetDistance.distance(mean1: [1, 2, 3], covariance1: shared, mean2: [0, 2, 5], covariance2: shared, dimension: 3),
                       5, accuracy: 1e-9)
    }

    func testSymmetricEigenReconstructs() throws {
        let a: [Double] = [4, 1, 2, 1, 3, 0, 2, 0, 5]
        let (values, v) = try SymmetricEigen.decompose(a, n: 3)
        XCTAssertEqual(values, values.sorted())
        for i in 0..<3 { for j in 0..<3 {
            let r = (0..<3).reduce(0.0) { $0 + v[i * 3 + $1] * values[$1] * v[j * 3 + $1] }
            XCTAssertEqual(r, a[i * 3 + j], accuracy: 1e-12)
        } }
    }

    /// ProGAN's `pyr_down`/`pyr_up` (scipy.ndimage.convolve, mode 'mirror') Laplacian pyramid.
    func testLaplacianPyramidMatchesProGAN() throws {
        let image = try fixture.floats("swd.image")
        let levels = image.withUnsafeBufferPointer { SlicedWasserstein.pyramid($0, channels: 2, size: 32) }
        XCTAssertEqual(levels.count, 2)
        XCTAssertLessThanOrEqual(Comparison(levels[0], try fixture.floats("swd.level0")).maxAbsoluteError, 1e-3)
        XCTAssertLessThanOrEqual(Comparison(levels[1], try fixture.floats("swd.level1")).maxAbsoluteError, 1e-3)
        XCTAssertEqual(SlicedWasserstein.resolutions(64), [64, 32, 16])
        XCTAssertEqual(SlicedWasserstein.resolutions(28), [28])
    }

    func testDescriptorNormalisationAndDistanceMatchNumpy() throws {
        var d = try fixture.floats("swd.descriptors")
        SlicedWasserstein.normalize(&d, count: 300, channels: 2)
        XCTAssertLessThanOrEqual(Comparison(d, try fixture.floats("swd.normalized")).relative, 1e-5)
        let a = try fixture.floats("swd.a"), b = try fixture.floats("swd.b"), dirs = try fixture.floats("swd.directions")
        let distance = SlicedWasserstein.distance(a, b, count: 300, dimension: 98, directions: dirs, directionCount: 16)
        XCTAssertEqual(distance, Double(try fixture.floats("swd.distance")[0]), accuracy: 1e-5 * distance)
        XCTAssertEqual(SlicedWasserstein.distance(a, a, count: 300, dimension: 98, directions: dirs, directionCount: 16), 0)
    }

    func testSWDOfIdenticalSetsIsZeroAndOfDifferentSetsIsNot() {
        var images = [Float](repeating: 0, count: 20 * 32 * 32)
        images.withUnsafeMutableBufferPointer { Philox(seed: 1).normals(stream: 1, index: 0, into: $0.baseAddress!, count: $0.count) }
        let same = SlicedWasserstein.compute(images, images, count: 20, channels: 1, size: 32, patches: 16, repeats: 2, directions: 8)
        XCTAssertEqual(same.levels, [0, 0])
        let other = images.map { $0 * 0.3 + 0.5 * sin($0 * 3) }
        XCTAssertGreaterThan(SlicedWasserstein.compute(images, other, count: 20, channels: 1, size: 32, patches: 16, repeats: 2, directions: 8).average, 1)
    }

    func testPrecisionAndRecallMatchBruteForce() throws {
        let r = PrecisionRecall.compute(real: try fixture.floats("pr.real"), realCount: 80, fake: try fixture.floats("pr.fake"),
                                        fakeCount: 60, dimension: 4, k: 3)
        XCTAssertEqual(r.precision, Double(try fixture.floats("pr.precision")[0]), accuracy: 1e-6)
        XCTAssertEqual(r.recall, Double(try fixture.floats("pr.recall")[0]), accuracy: 1e-6)
        let real = try fixture.floats("pr.real")
        let same = PrecisionRecall.compute(real: real, realCount: 80, fake: real, fakeCount: 80, dimension: 4)
        XCTAssertEqual([same.precision, same.recall], [1, 1])
    }

    func testOptimalAssignmentMatchesScipy() throws {
        let flat = try fixture.floats("assign.cost").map(Double.init)
        let cost = (0..<7).map { Array(flat[($0 * 7)..<($0 * 7 + 7)]) }
        let assignment = Hungarian.minimumAssignment(cost)
        XCTAssertEqual(Set(assignment).count, 7)
        XCTAssertEqual((0..<7).reduce(0) { $0 + cost[$1][assignment[$1]] }, Double(try fixture.floats("assign.total")[0]))
    }

    func testCoverageAndMatchedAccuracy() {
        let collapsed = ClassCoverage(predictions: [Int](repeating: 2, count: 40), classes: 4)
        XCTAssertEqual(collapsed.entropy, 0)
        XCTAssertEqual(collapsed.largestShare, 1)
        let uniform = ClassCoverage(predictions: (0..<40).map { $0 % 4 }, classes: 4)
        XCTAssertEqual(uniform.entropy, 2, accuracy: 1e-12)
        XCTAssertEqual(uniform.largestShare, 0.25)
        // Codes that name the classes in another order match perfectly.
        let classes = (0..<30).map { $0 % 3 }, codes = classes.map { [2, 0, 1][$0] }
        let matched = ClassCoverage.matchedAccuracy(codes: codes, classes: classes, codeCount: 3, classCount: 3)
        XCTAssertEqual(matched.accuracy, 1)
        XCTAssertEqual(matched.matching, [1, 2, 0])
        XCTAssertEqual(ClassCoverage.accuracy(predictions: [0, 1, 2, 2], requested: [0, 1, 1, 2]), 0.75)
    }
}
