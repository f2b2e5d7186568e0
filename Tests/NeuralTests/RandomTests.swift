import Neural
import XCTest

final class RandomTests: XCTestCase {
    /// Philox4x32-10 known-answer vectors from Random123's kat_vectors
    /// (counter and key all zeros; all ones).
    func testPhiloxKnownAnswers() {
        let zero = Philox(seed: 0).block(0, 0, 0, 0)
        XCTAssertEqual([zero.0, zero.1, zero.2, zero.3], [0x6627_E8D5, 0xE169_C58D, 0xBC57_AC4C, 0x9B00_DBD8])
        let ones = Philox(seed: UInt64.max).block(.max, .max, .max, .max)
        XCTAssertEqual([ones.0, ones.1, ones.2, ones.3], [0x408F_276D, 0x41C8_3B0E, 0xA20B_C7C6, 0x6D54_51FD])
    }

    func testNormalsHaveUnitMomentsAndDependOnlyOnTheirCounter() {
        let r = Philox(seed: 42)
        var xs = [Float](repeating: 0, count: 100_000)
        xs.withUnsafeMutableBufferPointer { r.normals(stream: 1, index: 0, into: $0.baseAddress!, count: $0.count) }
        let mean = xs.reduce(0.0) { $0 + Double($1) } / Double(xs.count)
        let variance = xs.reduce(0.0) { $0 + Double($1) * Double($1) } / Double(xs.count) - mean * mean
        // Standard errors: 1/sqrt(1e5) ≈ 0.003 for the mean, ≈ 0.0045 for the variance.
        XCTAssertEqual(mean, 0, accuracy: 0.015)
        XCTAssertEqual(variance, 1, accuracy: 0.025)
        var again = [Float](repeating: 0, count: 10)
        again.withUnsafeMutableBufferPointer { r.normals(stream: 1, index: 0, into: $0.baseAddress!, count: 10) }
        XCTAssertEqual(again, Array(xs[0..<10]))
        var other = [Float](repeating: 0, count: 10)
        other.withUnsafeMutableBufferPointer { r.normals(stream: 1, index: 1, into: $0.baseAddress!, count: 10) }
        XCTAssertNotEqual(other, again)
    }

    func testIntegersAreInRangeAndRoughlyUniform() {
        let r = Philox(seed: 5)
        var counts = [Int](repeating: 0, count: 7)
        for i in 0..<70_000 { counts[r.integer(stream: 3, index: UInt64(i), below: 7)] += 1 }
        // Each bin expects 10,000 with a standard deviation of about 93.
        for c in counts { XCTAssertEqual(c, 10_000, accuracy: 500) }
    }
}
