import Neural
import TestSupport
import XCTest

/// A network with a trunk and two heads: each head reads the trunk's output, `backwardHeads`
/// sums their input gradients into the trunk, and heads left out of a forward neither run nor
/// contribute. Checked against finite differences of `L = Σ w₁·head₁ + Σ w₂·head₂`.
final class HeadsTests: XCTestCase {
    func network() -> Network {
        let b = NetworkBuilder(input: Shape(4, 5))
        b.linear(6)
        b.activation(.tanh)
        b.head("one", prefix: "one")
        b.linear(2)
        b.head("two", prefix: "two")
        b.linear(3)
        b.batchNorm(scaleInit: .normal(mean: 1, std: 0.3))
        b.activation(.sigmoid)
        let n = b.build()
        n.arena.initialize(seed: 2, network: 0)
        return n
    }

    func testHeadGradientsSumIntoTheTrunkAndMatchFiniteDifferences() {
        let net = network()
        XCTAssertEqual(net.heads.map(\.name), ["one", "two"])
        XCTAssertEqual(net.arena.slices.map(\.name), ["main.0.weight", "main.0.bias", "one.0.weight", "one.0.bias",
                                                      "two.0.weight", "two.0.bias", "two.1.weight", "two.1.bias"])
        XCTAssertTrue((net.heads[1].layers[2] as! Activation).inPlace, "in place behind the head's BN")
        let x = Tensor(Shape(4, 5))
        Philox(seed: 5).normals(stream: 1, index: 0, into: x.data, count: x.count)
        var w1 = [Float](repeating: 0, count: 8), w2 = [Float](repeating: 0, count: 12)
        w1.withUnsafeMutableBufferPointer { Philox(seed: 6).normals(stream: 1, index: 0, into: $0.baseAddress!, count: 8) }
        w2.withUnsafeMutableBufferPointer { Philox(seed: 7).normals(stream: 1, index: 0, into: $0.baseAddress!, count: 12) }
        func loss() -> Double {
            net.forward(x)
            var total = 0.0
            for i in 0..<8 { total += Double(w1[i]) * Double(net.heads[0].output.data[i]) }
            for i in 0..<12 { total += Double(w2[i]) * Double(net.heads[1].output.data[i]) }
            return total
        }
        net.arena.zeroGradients()
        _ = loss()
        net.heads[0].gradient.copy(from: w1)
        net.heads[1].gradient.copy(from: w2)
        let dx = net.backwardHeads().array
        let parameters = Array(UnsafeBufferPointer(start: net.arena.gradients, count: net.arena.count))
        func numeric(_ p: UnsafeMutablePointer<Float>) -> Double {
            let saved = p.pointee, h: Float = 1e-2
            func at(_ k: Float) -> Double { p.pointee = saved + k * h; return loss() }
            let d = (-at(2) + 8 * at(1) - 8 * at(-1) + at(-2)) / (12 * Double(h))
            p.pointee = saved
            return d
        }
        let scale = max(dx.map(abs).max()!, parameters.map(abs).max()!)
        for i in 0..<x.count { XCTAssertEqual(numeric(x.data + i), Double(dx[i]), accuracy: 1e-4 * Double(scale), "dx[\(i)]") }
        for i in 0..<net.arena.count {
            XCTAssertEqual(numeric(net.arena.values + i), Double(parameters[i]), accuracy: 1e-4 * Double(scale), "parameter \(i)")
        }
    }

    /// A head left out of the forward keeps its BatchNorm statistics and gets no gradient.
    func testHeadsLeftOutDoNotRun() {
        let net = network()
        let x = Tensor(Shape(4, 5))
        x.fill(0.5)
        net.arena.zeroGradients()
        net.forward(x, heads: [0])
        XCTAssertEqual(net.batchNorms[0].batchesTracked, 0)
        net.heads[0].gradient.fill(1)
        net.heads[1].gradient.fill(1)
        net.backwardHeads()
        XCTAssertTrue(net.arena.gradients(net.arena.slices[4].name).allSatisfy { $0 == 0 }, "head two untouched")
        XCTAssertTrue(net.arena.gradients(net.arena.slices[2].name).contains { $0 != 0 })
    }
}
