import Models
import Neural
import TestSupport
import XCTest

/// TensorFlow's 'same' padding and the Keras-style CelebA model (keras.safetensors):
/// - `Padding.same` against TensorFlow's documented formula, which is written differently;
/// - convolutions and transposed convolutions with it against direct loops over explicitly
///   padded inputs in the fixture script (odd and even sizes, strides 1 to 3);
/// - the whole model (64×64×3, capacity 2, batch 4) against PyTorch modules with explicit
///   `F.pad` and crops: outputs, every parameter gradient, D's input gradient and the running
///   statistics of Keras's BatchNorm (`ε = 1e-3`, momentum 0.99).
///
/// Tolerance 1e-4 of each tensor's largest magnitude, as for the DCGAN.
final class KerasModelTests: XCTestCase {
    static let tolerance = 1e-4
    var fixture: Fixture!
    let config = ModelConfig(architecture: .kerasCeleba, imageSize: 64, channels: 3, nz: 8, ngf: 2, ndf: 2)

    override func setUpWithError() throws { fixture = try Fixture("keras") }

    func assertClose(_ actual: UnsafeBufferPointer<Float>, _ name: String, file: StaticString = #filePath, line: UInt = #line) throws {
        let c = Comparison(actual, try fixture.floats(name))
        XCTAssertLessThanOrEqual(c.relative, Self.tolerance, "\(name): \(c)", file: file, line: line)
    }

    /// TensorFlow's documentation: `out = ceil(in / s)`; the padding totals `max(k − s, 0)` when
    /// `s` divides `in`, else `max(k − in % s, 0)`; the top/left gets the smaller half.
    func testSamePaddingFollowsTensorFlowsFormula() {
        for size in 1...20 {
            for k in 1...7 {
                for s in 1...4 {
                    let total = size % s == 0 ? max(k - s, 0) : max(k - size % s, 0)
                    let p = Padding.same(input: size, kernel: k, stride: s)
                    XCTAssertEqual(p, Padding(before: total / 2, after: total - total / 2), "in \(size) k \(k) s \(s)")
                    let g = ConvGeometry(channels: 1, height: size, width: size, kernel: k, stride: s, padding: p)
                    XCTAssertEqual(g.outHeight, (size + s - 1) / s, "in \(size) k \(k) s \(s)")
                }
            }
        }
        XCTAssertEqual(Padding.same(input: 64, kernel: 5, stride: 2), Padding(before: 1, after: 2), "one more at the bottom and right")
        XCTAssertEqual(Padding.sameTransposed(input: 4, kernel: 5, stride: 2), Padding(before: 1, after: 2))
    }

    func testSameConvolutionsMatchTheirDefinition() throws {
        for (size, k, s) in [(8, 5, 2), (7, 5, 2), (8, 5, 1), (6, 3, 2), (5, 4, 3)] {
            let key = "pad.\(size).\(k).\(s)"
            let b = NetworkBuilder(input: Shape(2, 3, size, size))
            b.conv2d(4, kernel: k, stride: s, padding: .same(input: size, kernel: k, stride: s))
            let conv = b.build()
            conv.arena.set("main.0.weight", try fixture.floats("\(key).w"))
            let y = conv.forward(try fixture.tensor("\(key).x"))
            let out = (size + s - 1) / s
            XCTAssertEqual(y.shape, Shape(2, 4, out, out), key)
            try assertClose(y.values, "\(key).y")
            guard size % s == 0 else { continue }
            let t = NetworkBuilder(input: Shape(2, 4, out, out))
            t.convTranspose2d(3, kernel: k, stride: s, padding: .sameTransposed(input: out, kernel: k, stride: s))
            let convT = t.build()
            convT.arena.set("main.0.weight", try fixture.floats("\(key).wt"))
            let yt = convT.forward(try fixture.tensor("\(key).xt"))
            XCTAssertEqual(yt.shape, Shape(2, 3, size, size), key)
            try assertClose(yt.values, "\(key).yt")
        }
    }

    func load(_ network: Network, from prefix: String) throws {
        for slice in network.arena.slices {
            XCTAssertEqual(try fixture.shape("\(prefix).\(slice.name)"), slice.shape, slice.name)
            network.arena.set(slice.name, try fixture.floats("\(prefix).\(slice.name)"))
        }
        let pytorch = fixture.file.names.filter { $0.hasPrefix("\(prefix).") && !$0.contains("running_") }
        XCTAssertEqual(pytorch.count, network.arena.slices.count, "PyTorch has \(pytorch.sorted())")
    }

    func assertRunningStatistics(_ network: Network, _ prefix: String) throws {
        XCTAssertFalse(network.batchNorms.isEmpty)
        for bn in network.batchNorms {
            XCTAssertEqual(bn.epsilon, 1e-3)
            try assertClose(UnsafeBufferPointer(start: bn.runningMean, count: bn.channels), "\(prefix).\(bn.name).running_mean")
            try assertClose(UnsafeBufferPointer(start: bn.runningVar, count: bn.channels), "\(prefix).\(bn.name).running_var")
        }
    }

    func testGeneratorMatchesPyTorch() throws {
        let g = config.generator(batch: 4)
        try load(g, from: "G0")
        g.arena.zeroGradients()
        let y = g.forward(try fixture.tensor("z"))
        XCTAssertEqual(y.shape, Shape(4, 3, 64, 64))
        try assertClose(y.values, "G.y")
        g.backward(try fixture.tensor("G.dy"), inputGradient: false)
        for slice in g.arena.slices { try assertClose(g.arena.gradients(slice.name), "G.d\(slice.name)") }
        try assertRunningStatistics(g, "G1")
    }

    func testDiscriminatorMatchesPyTorch() throws {
        let d = config.discriminator(batch: 4)
        try load(d, from: "D0")
        d.arena.zeroGradients()
        let y = d.forward(try fixture.tensor("real"))
        XCTAssertEqual(y.shape, Shape(4, 1))
        try assertClose(y.values, "D.y")
        let dx = d.backward(try fixture.tensor("D.dy"))
        try assertClose(dx.values, "D.dx")
        for slice in d.arena.slices { try assertClose(d.arena.gradients(slice.name), "D.d\(slice.name)") }
        try assertRunningStatistics(d, "D1")
    }

    /// The tutorial's settings at its capacity 16: 5×5 kernels, four blocks each way, 'same'
    /// padding that halves (D) and doubles (G) the size, 64×64 only.
    func testShapesAndValidation() throws {
        let c = ModelConfig(architecture: .kerasCeleba, imageSize: 64, channels: 3, nz: 100, ngf: 16, ndf: 16)
        try c.validate()
        let g = c.generatorBuilder(batch: 2), d = c.discriminatorBuilder(batch: 2)
        XCTAssertEqual(g.shape, Shape(2, 3, 64, 64))
        XCTAssertEqual(d.shape, Shape(2, 1))
        // G: Dense 100→2048 (no bias, BN follows) + BN; ConvT 128→64→32→16→16 (5×5) + BNs; Conv 16→3 + bias.
        let gParameters = 100 * 2048 + 2 * 2048 + 25 * (128 * 64 + 64 * 32 + 32 * 16 + 16 * 16) + 2 * (64 + 32 + 16 + 16) + 25 * 16 * 3 + 3
        XCTAssertEqual(g.parameterCount, gParameters)
        // D: per block Conv f (5×5) + BN + Conv f (5×5, stride 2) + BN; Dense 128→1.
        var dParameters = 0, previous = 3
        for f in [16, 32, 64, 128] {
            dParameters += 25 * previous * f + 2 * f + 25 * f * f + 2 * f
            previous = f
        }
        XCTAssertEqual(d.parameterCount, dParameters + 128 + 1)
        XCTAssertThrowsError(try ModelConfig(architecture: .kerasCeleba, imageSize: 32, channels: 3).validate())
        XCTAssertEqual(ModelConfig(architecture: .kerasCeleba).resolvedBackbone, .keras)
    }
}
