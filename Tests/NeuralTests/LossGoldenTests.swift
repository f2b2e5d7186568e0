import Neural
import TestSupport
import XCTest

/// The losses of the conditional objectives and a fully connected BatchNorm1d chain against
/// PyTorch (Scripts/make_fixtures.py, objectives.safetensors), and the losses against finite
/// differences. Tolerance 1e-4 of each tensor's largest magnitude, as for the layers.
final class LossGoldenTests: XCTestCase {
    static let tolerance = 1e-4
    var fixture: Fixture!

    override func setUpWithError() throws { fixture = try Fixture("objectives") }

    func assertClose(_ actual: [Float], _ name: String, file: StaticString = #filePath, line: UInt = #line) throws {
        let c = Comparison(actual, try fixture.floats(name))
        XCTAssertLessThanOrEqual(c.relative, Self.tolerance, "\(name): \(c)", file: file, line: line)
    }

    /// Applies `loss` to all of `output (n, width)` with PyTorch's mean reduction: scale 1/n.
    func apply(_ loss: Loss, output: [Float], width: Int, target: Loss.Target) -> (loss: Float, gradient: [Float]) {
        let n = output.count / width
        var gradient = [Float](repeating: 0, count: output.count)
        let sums = output.withUnsafeBufferPointer { o in
            gradient.withUnsafeMutableBufferPointer { g in
                loss.apply(output: o.baseAddress!, width: width, target: target, samples: 0..<n, scale: 1 / Float(n), gradient: g.baseAddress!)
            }
        }
        return (Float(sums.loss / Double(n)), gradient)
    }

    func testSoftmaxCrossEntropy() throws {
        let z = try fixture.floats("ce.z"), labels = try fixture.floats("ce.labels").map { Int32($0) }
        let r = labels.withUnsafeBufferPointer { apply(.softmaxCrossEntropy(column: 0, classes: 5), output: z, width: 5, target: .labels($0.baseAddress!)) }
        try assertClose([r.loss], "ce.loss")
        try assertClose(r.gradient, "ce.dz")
        // The Tensor form agrees, and reports accuracy.
        let logits = try fixture.tensor("ce.z"), dz = Tensor(logits.shape)
        let t = SoftmaxCrossEntropy.loss(logits: logits, labels: labels, gradient: dz)
        try assertClose([t.loss], "ce.loss")
        try assertClose(dz.array, "ce.dz")
    }

    func testGaussianNLLWithUnitVariance() throws {
        let mu = try fixture.floats("nll.mu"), x = try fixture.floats("nll.x")
        let r = x.withUnsafeBufferPointer { apply(.gaussianNLL(column: 0, count: 2, learnedVariance: false), output: mu, width: 2,
                                                  target: .values($0.baseAddress!, stride: 2, offset: 0)) }
        try assertClose([r.loss], "nll.loss")
        try assertClose(r.gradient, "nll.dmu")
    }

    /// The head gives means then log-variances; PyTorch's `var` is `exp(logvar)`.
    func testGaussianNLLWithLearnedVariance() throws {
        let mu = try fixture.floats("nllv.mu"), logvar = try fixture.floats("nllv.logvar"), x = try fixture.floats("nllv.x")
        var output = [Float](repeating: 0, count: 24)
        for i in 0..<6 {
            output[4 * i] = mu[2 * i]
            output[4 * i + 1] = mu[2 * i + 1]
            output[4 * i + 2] = logvar[2 * i]
            output[4 * i + 3] = logvar[2 * i + 1]
        }
        let r = x.withUnsafeBufferPointer { apply(.gaussianNLL(column: 0, count: 2, learnedVariance: true), output: output, width: 4,
                                                  target: .values($0.baseAddress!, stride: 2, offset: 0)) }
        try assertClose([r.loss], "nllv.loss")
        let dmu: [Float] = (0..<12).map { r.gradient[4 * ($0 / 2) + $0 % 2] }
        let dlogvar: [Float] = (0..<12).map { r.gradient[4 * ($0 / 2) + 2 + $0 % 2] }
        try assertClose(dmu, "nllv.dmu")
        try assertClose(dlogvar, "nllv.dlogvar")
    }

    /// Linear → BatchNorm1d → LeakyReLU(0.1) → Linear, forward and backward with running statistics.
    func testLinearBatchNorm1dChain() throws {
        let b = NetworkBuilder(input: Shape(6, 12))
        b.linear(8)
        b.batchNorm()
        b.activation(.leakyReLU(slope: 0.1))
        b.linear(3)
        let network = b.build()
        // PyTorch names the Sequential's parameters `0.weight`, …; the engine `main.0.weight`.
        func pytorch(_ name: String) -> String { "chain." + name.dropFirst("main.".count) }
        for slice in network.arena.slices { network.arena.set(slice.name, try fixture.floats(pytorch(slice.name))) }
        network.arena.zeroGradients()
        let y = network.forward(try fixture.tensor("chain.x"))
        try assertClose(y.array, "chain.y")
        let dx = network.backward(try fixture.tensor("chain.dy"))
        try assertClose(dx.array, "chain.dx")
        for slice in network.arena.slices where slice.name != "main.0.bias" {
            try assertClose(Array(network.arena.gradients(slice.name)), "chain.d" + slice.name.dropFirst("main.".count))
        }
        // The bias feeding BatchNorm has an analytically zero gradient (PyTorch: 4e-16 in float64);
        // float32 leaves rounding noise, measured against the same layer's weight gradient.
        let bias = Comparison(Array(network.arena.gradients("main.0.bias")), try fixture.floats("chain.d0.bias"))
        let weightScale = Double(try fixture.floats("chain.d0.weight").map(abs).max()!)
        XCTAssertLessThanOrEqual(bias.maxAbsoluteError / weightScale, Self.tolerance, "chain.d0.bias: \(bias)")
        let bn = network.batchNorms[0]
        try assertClose(Array(UnsafeBufferPointer(start: bn.runningMean, count: 8)), "chain.1.running_mean")
        try assertClose(Array(UnsafeBufferPointer(start: bn.runningVar, count: 8)), "chain.1.running_var")
    }

    /// Every loss's gradient against the fourth-order central difference of its value, on random
    /// outputs (a 1e-2 step; the losses are smooth).
    func testLossGradientsAgainstFiniteDifferences() {
        let n = 5, width = 7
        var output = [Float](repeating: 0, count: n * width)
        output.withUnsafeMutableBufferPointer { Philox(seed: 3).normals(stream: 1, index: 0, into: $0.baseAddress!, count: $0.count) }
        let labels: [Int32] = [0, 3, 2, 4, 1]
        var values = [Float](repeating: 0, count: n * 3)
        values.withUnsafeMutableBufferPointer { Philox(seed: 4).normals(stream: 1, index: 0, into: $0.baseAddress!, count: $0.count) }
        let cases: [(String, Loss, Loss.Target?)] = [
            ("bce", .bceWithLogits(column: 6), nil),
            ("ce", .softmaxCrossEntropy(column: 1, classes: 5), nil),
            ("nll", .gaussianNLL(column: 0, count: 3, learnedVariance: false), nil),
            ("nll-learned", .gaussianNLL(column: 1, count: 3, learnedVariance: true), nil),
        ]
        labels.withUnsafeBufferPointer { l in
            values.withUnsafeBufferPointer { v in
                for (name, loss, _) in cases {
                    let target: Loss.Target
                    switch loss {
                    case .bceWithLogits: target = .constant(0.3)
                    case .softmaxCrossEntropy: target = .labels(l.baseAddress!)
                    case .gaussianNLL: target = .values(v.baseAddress!, stride: 3, offset: 0)
                    }
                    func value(_ o: [Float]) -> Double {
                        var scratch = [Float](repeating: 0, count: o.count)
                        return o.withUnsafeBufferPointer { ob in scratch.withUnsafeMutableBufferPointer { sb in
                            loss.apply(output: ob.baseAddress!, width: width, target: target, samples: 0..<n, scale: 1, gradient: sb.baseAddress!).loss
                        } }
                    }
                    var analytic = [Float](repeating: 0, count: output.count)
                    _ = output.withUnsafeBufferPointer { ob in analytic.withUnsafeMutableBufferPointer { ab in
                        loss.apply(output: ob.baseAddress!, width: width, target: target, samples: 0..<n, scale: 1, gradient: ab.baseAddress!)
                    } }
                    for i in output.indices {
                        let h: Float = 1e-2
                        func at(_ k: Float) -> Double { var o = output; o[i] += k * h; return value(o) }
                        let numeric = (-at(2) + 8 * at(1) - 8 * at(-1) + at(-2)) / (12 * Double(h))
                        // Sums of a few float32 terms of size ~1: rounding 6e-8/ε ≈ 1e-5.
                        XCTAssertEqual(numeric, Double(analytic[i]), accuracy: 2e-4, "\(name) d/doutput[\(i)]")
                    }
                }
            }
        }
    }
}
