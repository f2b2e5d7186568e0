import Models
import Neural
import TestSupport
import XCTest

/// The whole 32×32×3 DCGAN G and D (nz 16, ngf = ndf = 8, batch 4) against PyTorch's
/// pytorch/examples networks: parameter names and shapes, forward output, every parameter
/// gradient, D's input gradient, and BN running statistics after the forward.
///
/// Tolerance 1e-4 of each tensor's largest magnitude, as for single layers: four conv layers
/// and three BNs in float32 measure below 1e-5 here.
final class DCGANGoldenTests: XCTestCase {
    static let tolerance = 1e-4
    var fixture: Fixture!
    var config: ModelConfig!

    override func setUpWithError() throws {
        fixture = try Fixture("dcgan32")
        config = ModelConfig(architecture: .dcgan, imageSize: 32, channels: fixture.metadata("nc")!,
                             nz: fixture.metadata("nz")!, ngf: fixture.metadata("ngf")!, ndf: fixture.metadata("ndf")!)
    }

    /// Loads `prefix.main.*` parameters into the network; checks names and shapes match PyTorch's.
    func load(_ network: Network, from prefix: String) throws {
        for slice in network.arena.slices {
            XCTAssertEqual(try fixture.shape("\(prefix).\(slice.name)"), slice.shape, slice.name)
            network.arena.set(slice.name, try fixture.floats("\(prefix).\(slice.name)"))
        }
        let pytorchParameters = fixture.file.names.filter {
            $0.hasPrefix("\(prefix).") && !$0.hasSuffix("running_mean") && !$0.hasSuffix("running_var")
        }
        XCTAssertEqual(pytorchParameters.count, network.arena.slices.count, "PyTorch has \(pytorchParameters)")
    }

    func assertClose(_ actual: UnsafeBufferPointer<Float>, _ name: String, file: StaticString = #filePath, line: UInt = #line) throws {
        let c = Comparison(actual, try fixture.floats(name))
        XCTAssertLessThanOrEqual(c.relative, Self.tolerance, "\(name): \(c)", file: file, line: line)
    }

    func assertRunningStatistics(_ network: Network, _ prefix: String) throws {
        for bn in network.batchNorms {
            try assertClose(UnsafeBufferPointer(start: bn.runningMean, count: bn.channels), "\(prefix).\(bn.name).running_mean")
            try assertClose(UnsafeBufferPointer(start: bn.runningVar, count: bn.channels), "\(prefix).\(bn.name).running_var")
        }
    }

    func testGeneratorForwardAndBackward() throws {
        let n = fixture.metadata("batch")!
        let g = config.generator(batch: n)
        try load(g, from: "G0")
        g.arena.zeroGradients()
        let y = g.forward(try fixture.tensor("z"))
        XCTAssertEqual(y.shape, Shape(n, config.channels, 32, 32))
        try assertClose(y.values, "G.y")
        g.backward(try fixture.tensor("G.dy"), inputGradient: false)
        for slice in g.arena.slices { try assertClose(g.arena.gradients(slice.name), "G.d\(slice.name)") }
        try assertRunningStatistics(g, "G1")
    }

    func testDiscriminatorForwardAndBackward() throws {
        let n = fixture.metadata("batch")!
        let d = config.discriminator(batch: n)
        try load(d, from: "D0")
        d.arena.zeroGradients()
        let y = d.forward(try fixture.tensor("real"))
        XCTAssertEqual(y.shape, Shape(n, 1, 1, 1))
        try assertClose(y.values, "D.y")
        let dx = d.backward(try fixture.tensor("D.dy"))
        try assertClose(dx.values, "D.dx")
        for slice in d.arena.slices { try assertClose(d.arena.gradients(slice.name), "D.d\(slice.name)") }
        try assertRunningStatistics(d, "D1")
    }

    func testShapesForEverySupportedSize() {
        for size in DCGAN.supportedSizes {
            for channels in [1, 3] {
                let c = ModelConfig(architecture: .dcgan, imageSize: size, channels: channels, nz: 100, ngf: 8, ndf: 8)
                XCTAssertNoThrow(try c.validate())
                XCTAssertEqual(c.generator(batch: 2).outputShape, Shape(2, channels, size, size))
                XCTAssertEqual(c.discriminator(batch: 2).outputShape, Shape(2, 1, 1, 1))
            }
        }
        XCTAssertThrowsError(try ModelConfig(architecture: .dcgan, imageSize: 48).validate())
        XCTAssertThrowsError(try ModelConfig(architecture: .dcgan, imageSize: 32, channels: 2).validate())
    }

    /// pytorch/examples' 64×64 parameter count (ngf = ndf = 64, nz = 100, nc = 3): G 3,576,704; D 2,765,568.
    func testParameterCountsOfTheCanonical64Model() {
        let c = ModelConfig(architecture: .dcgan, imageSize: 64, channels: 3)
        XCTAssertEqual(c.generator(batch: 1).arena.count, 3_576_704)
        XCTAssertEqual(c.discriminator(batch: 1).arena.count, 2_765_568)
    }

    func testMLPGANShapesAndNames() {
        let c = ModelConfig(architecture: .mlp, imageSize: 28, channels: 1)
        let g = c.generator(batch: 3), d = c.discriminator(batch: 3)
        XCTAssertEqual(g.outputShape, Shape(3, 1, 28, 28))
        XCTAssertEqual(d.outputShape, Shape(3, 1, 1, 1))
        XCTAssertEqual(g.arena.slices.map(\.shape), [[256, 100], [256], [512, 256], [512], [1024, 512], [1024], [784, 1024], [784]])
        XCTAssertEqual(d.arena.slices.map(\.name).first, "model.0.weight")
        XCTAssertEqual(d.arena.slices.map(\.name).last, "model.9.bias")
    }
}
