import Neural
import TestSupport
import XCTest

/// Every layer against PyTorch (Scripts/make_fixtures.py, float64 references from float32 inputs).
///
/// Tolerance: 1e-4 of the largest reference magnitude, per tensor. Float32 arithmetic on
/// these sizes (sums of at most a few hundred terms) stays near 1e-6; 1e-4 leaves room for
/// summation order while still catching any wrong index, stride or formula, which show up
/// at order 1e-1.
final class GoldenLayerTests: XCTestCase {
    static let tolerance = 1e-4
    var fixture: Fixture!

    override func setUpWithError() throws {
        fixture = try Fixture("layers")
    }

    /// Runs `network` (one layer named `main.0`) on the case `prefix` and compares output,
    /// input gradient and the listed parameter gradients.
    func check(_ prefix: String, _ network: Network, parameters: [String],
               file: StaticString = #filePath, line: UInt = #line) throws {
        for p in parameters { network.arena.set("main.0.\(p)", try fixture.floats("\(prefix).\(p)")) }
        network.arena.zeroGradients()
        let x = try fixture.tensor("\(prefix).x")
        let y = network.forward(x)
        let output = Comparison(y.values, try fixture.floats("\(prefix).y"))
        XCTAssertLessThanOrEqual(output.relative, Self.tolerance, "\(prefix) y: \(output)", file: file, line: line)
        let dy = try fixture.tensor("\(prefix).dy")
        let dx = network.backward(dy)
        let input = Comparison(dx.values, try fixture.floats("\(prefix).dx"))
        XCTAssertLessThanOrEqual(input.relative, Self.tolerance, "\(prefix) dx: \(input)", file: file, line: line)
        for p in parameters {
            let c = Comparison(network.arena.gradients("main.0.\(p)"), try fixture.floats("\(prefix).d\(p)"))
            XCTAssertLessThanOrEqual(c.relative, Self.tolerance, "\(prefix) d\(p): \(c)", file: file, line: line)
        }
    }

    func builder(_ prefix: String) throws -> NetworkBuilder {
        let s = try fixture.shape("\(prefix).x")
        let d = s + Array(repeating: 1, count: 4 - s.count)
        return NetworkBuilder(input: Shape(d[0], d[1], d[2], d[3]))
    }

    func testLinear() throws {
        let b = try builder("linear")
        b.linear(7)
        try check("linear", b.build(), parameters: ["weight", "bias"])
    }

    func testConv2dKernel4Stride2Padding1() throws {
        let b = try builder("conv_k4s2p1")
        b.conv2d(5, kernel: 4, stride: 2, padding: 1)
        try check("conv_k4s2p1", b.build(), parameters: ["weight"])
    }

    func testConv2dKernel3Stride1Padding1WithBiasOnNonSquareInput() throws {
        let b = try builder("conv_k3s1p1_bias")
        b.conv2d(6, kernel: 3, stride: 1, padding: 1, bias: true)
        try check("conv_k3s1p1_bias", b.build(), parameters: ["weight", "bias"])
    }

    func testConv2dKernel4Stride1Padding0() throws {
        let b = try builder("conv_k4s1p0")
        b.conv2d(1, kernel: 4, stride: 1, padding: 0)
        try check("conv_k4s1p0", b.build(), parameters: ["weight"])
    }

    func testConvTranspose2dFromOnePixel() throws {
        let b = try builder("convt_k4s1p0")
        b.convTranspose2d(5, kernel: 4, stride: 1, padding: 0)
        try check("convt_k4s1p0", b.build(), parameters: ["weight"])
    }

    func testConvTranspose2dKernel4Stride2Padding1OnNonSquareInput() throws {
        let b = try builder("convt_k4s2p1")
        b.convTranspose2d(3, kernel: 4, stride: 2, padding: 1)
        try check("convt_k4s2p1", b.build(), parameters: ["weight"])
    }

    func testConvTranspose2dKernel3Stride2Padding1() throws {
        let b = try builder("convt_k3s2p1")
        b.convTranspose2d(2, kernel: 3, stride: 2, padding: 1)
        try check("convt_k3s2p1", b.build(), parameters: ["weight"])
    }

    func testBatchNorm2dTrainingThenEval() throws {
        let b = try builder("bn2d")
        b.batchNorm()
        let network = b.build()
        try check("bn2d", network, parameters: ["weight", "bias"])
        let bn = network.batchNorms[0]
        let mean = Comparison(UnsafeBufferPointer(start: bn.runningMean, count: bn.channels), try fixture.floats("bn2d.running_mean"))
        let variance = Comparison(UnsafeBufferPointer(start: bn.runningVar, count: bn.channels), try fixture.floats("bn2d.running_var"))
        XCTAssertLessThanOrEqual(mean.relative, Self.tolerance, "running_mean: \(mean)")
        XCTAssertLessThanOrEqual(variance.relative, Self.tolerance, "running_var (unbiased): \(variance)")
        XCTAssertEqual(bn.batchesTracked, 1)
        network.training = false
        let y = network.forward(try fixture.tensor("bn2d_eval.x"))
        let eval = Comparison(y.values, try fixture.floats("bn2d_eval.y"))
        XCTAssertLessThanOrEqual(eval.relative, Self.tolerance, "eval y: \(eval)")
    }

    func testBatchNorm1d() throws {
        let b = try builder("bn1d")
        b.batchNorm()
        let network = b.build()
        try check("bn1d", network, parameters: ["weight", "bias"])
        let bn = network.batchNorms[0]
        let variance = Comparison(UnsafeBufferPointer(start: bn.runningVar, count: bn.channels), try fixture.floats("bn1d.running_var"))
        XCTAssertLessThanOrEqual(variance.relative, Self.tolerance, "running_var: \(variance)")
    }

    func testActivations() throws {
        let cases: [(String, Activation.Kind)] = [("relu", .relu), ("lrelu", .leakyReLU(slope: 0.2)), ("tanh", .tanh), ("sigmoid", .sigmoid)]
        for (prefix, kind) in cases {
            let b = try builder(prefix)
            b.activation(kind)
            try check(prefix, b.build(), parameters: [])
        }
    }

    func testBCEWithLogits() throws {
        for target in [1, 0] {
            let z = try fixture.tensor("bce\(target).z")
            let dz = Tensor(z.shape)
            let result = BCEWithLogits.loss(logits: z, target: Float(target), gradient: dz)
            let loss = Comparison([result.loss], try fixture.floats("bce\(target).loss"))
            XCTAssertLessThanOrEqual(loss.relative, Self.tolerance, "bce\(target) loss: \(loss)")
            let grad = Comparison(dz.values, try fixture.floats("bce\(target).dz"))
            XCTAssertLessThanOrEqual(grad.relative, Self.tolerance, "bce\(target) dz: \(grad)")
        }
    }

    func testAdamThreeSteps() throws {
        let arena = ParameterArena()
        _ = arena.reserve("p", shape: [10], initialization: .constant(0))
        arena.seal()
        arena.set("p", try fixture.floats("adam.p0"))
        var adam = Adam(learningRate: 0.01, beta1: 0.5, beta2: 0.999)
        for step in 1...3 {
            let g = try fixture.floats("adam.g\(step)")
            g.withUnsafeBufferPointer { arena.gradients.update(from: $0.baseAddress!, count: 10) }
            adam.update(arena)
            // The update moves p by about lr = 0.01, so compare the change, not p itself.
            let before = step == 1 ? try fixture.floats("adam.p0") : try fixture.floats("adam.p\(step - 1)")
            let expected = try fixture.floats("adam.p\(step)")
            let actualDelta = zip(Array(arena.values("p")), before).map { $0 - $1 }
            let expectedDelta = zip(expected, before).map { $0 - $1 }
            let c = Comparison(actualDelta, expectedDelta)
            XCTAssertLessThanOrEqual(c.relative, Self.tolerance, "Adam step \(step) update: \(c)")
            arena.set("p", expected)
        }
        XCTAssertEqual(adam.step, 3)
    }
}
