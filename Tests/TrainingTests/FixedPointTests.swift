import Distributed
import Foundation
import Neural
import XCTest

/// The fixed-point sums behind exact gradient reduction, against the float sum they replace:
/// M = 64 micro-batch partials of mixed magnitudes, with the scale `Reduction` picks (checked:
/// `2^e` with `A·2^e < 2^51 ≤ 2A·2^e`, A the largest |partial|).
final class FixedPointTests: XCTestCase {
    let m = 64, count = 4096

    /// Partials: normals times magnitudes spread over 2^−30 … 1 by element, plus exact zeros.
    func partials() -> [[Float]] {
        let random = Philox(seed: 11)
        return (0..<m).map { k in
            var p = [Float](repeating: 0, count: count)
            p.withUnsafeMutableBufferPointer { random.normals(stream: 3, index: UInt64(k), into: $0.baseAddress!, count: count) }
            for i in 0..<count { p[i] = i % 97 == 0 ? 0 : p[i] * Float(sign: .plus, exponent: -(i % 31), significand: 1) }
            return p
        }
    }

    func fixedSum(_ parts: [[Float]], order: [Int]) -> (sum: [Float], largest: Double) {
        let largest = Double(parts.map { p in p.withUnsafeBufferPointer { FixedPoint.largestMagnitude($0.baseAddress!, count: count) } }.max()!)
        let scale = Reduction.scale(maximum: largest, micro: Double(m))
        XCTAssertTrue(largest * scale < 0x1p51 && 2 * largest * scale >= 0x1p51)
        var acc = [Int64](repeating: 0, count: count)
        for k in order { parts[k].withUnsafeBufferPointer { FixedPoint.accumulate($0.baseAddress!, count: count, scale: scale, into: &acc) } }
        var out = [Float](repeating: 0, count: count)
        FixedPoint.convert(acc, count: count, inverse: 1 / scale, into: &out)
        return (out, largest)
    }

    func testFixedPointSumsKeepTheirStatedPrecisionAndBeatTheFloatSum() {
        let parts = partials()
        let (fixed, a) = fixedSum(parts, order: Array(0..<m))
        // Reference: each element's sum in Double with compensation (exact enough: far below 2^−51·A).
        var worstFixed = 0.0, worstFloat = 0.0
        for i in 0..<count {
            var s = 0.0, c = 0.0
            var floatSum: Float = 0
            for k in 0..<m {
                let y = Double(parts[k][i]) - c, t = s + y
                c = (t - s) - y
                s = t
                floatSum += parts[k][i]
            }
            let error = abs(Double(fixed[i]) - s)
            // The stated bound: M·2^−51·A from the partials' rounding, plus the final rounding to float32.
            XCTAssertLessThanOrEqual(error, Double(m) * 0x1p-51 * a + Double(Float(s).ulp) / 2 + 1e-300, "element \(i)")
            if abs(s) > Double(m) * 0x1p-27 * a {
                XCTAssertLessThanOrEqual(error, Double(Float(s).ulp), "element \(i) (|sum| \(abs(s))) must be exact to float32's rounding")
            }
            worstFixed = max(worstFixed, error)
            worstFloat = max(worstFloat, abs(Double(floatSum) - s))
        }
        XCTAssertLessThan(worstFixed, worstFloat, "fixed point is more accurate than the float sum it replaces")
        print("fixed-point sum: largest error \(worstFixed / a) of A; float sum \(worstFloat / a) of A")
    }

    func testTheSumDoesNotDependOnTheOrder() {
        let parts = partials()
        let forward = fixedSum(parts, order: Array(0..<m)).sum
        let shuffled = fixedSum(parts, order: (0..<m).map { ($0 * 37) % m }).sum
        XCTAssertEqual(forward.map(\.bitPattern), shuffled.map(\.bitPattern))
    }
}
