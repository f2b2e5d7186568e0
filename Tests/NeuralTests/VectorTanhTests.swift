import Foundation
import Neural
import XCTest

/// `VectorTanh` against the correctly rounded `tanh` (Double's, rounded to Float).
final class VectorTanhTests: XCTestCase {
    /// Distance in units in the last place between two finite Floats of the same sign.
    func ulps(_ a: Float, _ b: Float) -> Int { abs(Int(a.bitPattern) - Int(b.bitPattern)) }

    /// Every 31st Float from 2⁻³⁰ to 12 (about 8 M values, both polynomial pieces, the boundary at
    /// 0.625 and the cap at 9.5), and their negatives: within 2 ulp. Measured: 1 ulp (worst at
    /// 0.0068). The bound leaves one ulp for the reference: Double's `tanh` differs by an ulp
    /// between libm's variants for different CPUs, which can move its rounding to Float at a
    /// halfway point; `VectorTanh` itself is plain IEEE arithmetic without fused operations, the
    /// same bits on every x86-64 CPU.
    func testWithinTwoUlpOfTheCorrectlyRoundedValue() {
        var worst = (ulps: 0, x: Float(0))
        var bits = Float(0x1p-30).bitPattern
        let end = Float(12).bitPattern
        var input = [Float](), expected = [Float]()
        while bits < end {
            let x = Float(bitPattern: bits)
            input.append(x); expected.append(Float(Foundation.tanh(Double(x))))
            input.append(-x); expected.append(Float(Foundation.tanh(Double(-x))))
            bits += 31
        }
        var output = [Float](repeating: .nan, count: input.count)
        VectorTanh.apply(input, &output, input.count)
        for i in 0..<input.count where ulps(output[i], expected[i]) > worst.ulps {
            worst = (ulps(output[i], expected[i]), input[i])
        }
        XCTAssertLessThanOrEqual(worst.ulps, 2, "tanh(\(worst.x)): \(worst.ulps) ulp")
    }

    func testSpecialValuesAndOddness() {
        XCTAssertEqual(VectorTanh.tanh(0).bitPattern, Float(0).bitPattern)
        XCTAssertEqual(VectorTanh.tanh(-0.0).bitPattern, Float(-0.0).bitPattern)
        XCTAssertEqual(VectorTanh.tanh(.infinity), 1)
        XCTAssertEqual(VectorTanh.tanh(-.infinity), -1)
        XCTAssertEqual(VectorTanh.tanh(.greatestFiniteMagnitude), 1)
        XCTAssertEqual(VectorTanh.tanh(-1e30), -1)
        XCTAssertTrue(VectorTanh.tanh(.nan).isNaN)
        XCTAssertEqual(VectorTanh.tanh(.leastNonzeroMagnitude), .leastNonzeroMagnitude)
        XCTAssertEqual(VectorTanh.tanh(1e-20), 1e-20)
        for x: Float in [0.1, 0.624, 0.625, 0.626, 1, 3.7, 9.49, 9.5, 9.51, 20] {
            XCTAssertEqual(VectorTanh.tanh(-x), -VectorTanh.tanh(x), "odd at \(x)")
        }
    }

    /// A value's result does not depend on its position in a buffer (the tail past the last
    /// whole vector runs the same code), so a sample's output is the same bits in any batch.
    func testTheTailGivesTheSameBitsAsWholeVectors() {
        for count in 1...19 {
            let input = (0..<count).map { Float($0) * 0.37 - 2.9 }
            var output = [Float](repeating: .nan, count: count)
            VectorTanh.apply(input, &output, count)
            for i in 0..<count {
                XCTAssertEqual(output[i].bitPattern, VectorTanh.tanh(input[i]).bitPattern, "count \(count), index \(i)")
            }
        }
    }
}
