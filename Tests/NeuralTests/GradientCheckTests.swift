import Neural
import TestSupport
import XCTest

/// Finite-difference checks of every layer's backward pass (input and parameter gradients).
///
/// Tolerance 1e-4: see `GradientCheck` for the error measures. With the fourth-order stencil
/// and ε = 1e-2 the measured errors are at most 1e-5 here (BatchNorm2d scale, 9e-6);
/// a 1% error in a single derivative (LeakyReLU slope) already measures 4e-4.
final class GradientCheckTests: XCTestCase {
    static let tolerance = 1e-4

    /// Inputs drawn from N(0, 1) and pushed at least `margin` away from 0, so a kink of
    /// ReLU or LeakyReLU never falls inside the stencil's ±2ε.
    func input(_ shape: Shape, seed: UInt64 = 3, margin: Float = 0) -> Tensor {
        let x = Tensor(shape)
        Philox(seed: seed).normals(stream: 5, index: 0, into: x.data, count: x.count)
        if margin > 0 {
            for i in 0..<x.count { x.data[i] = x.data[i] >= 0 ? x.data[i] + margin : x.data[i] - margin }
        }
        return x
    }

    func assertGradients(_ network: Network, _ x: Tensor, epsilon: Float = 1e-2, checkInput: Bool = true,
                         prepare: @escaping () -> Void = {}, file: StaticString = #filePath, line: UInt = #line) {
        network.arena.initialize(seed: 11, network: 0)
        var check = GradientCheck(network: network, input: x, epsilon: epsilon)
        check.prepare = prepare
        for result in check.run(checkInput: checkInput) {
            XCTAssertLessThanOrEqual(result.worst, Self.tolerance, "\(result)", file: file, line: line)
        }
    }

    func testLinear() {
        let b = NetworkBuilder(input: Shape(3, 5, 2, 1))
        b.linear(4)
        assertGradients(b.build(), input(Shape(3, 5, 2, 1)))
    }

    func testConv2d() {
        for (k, s, p, q, bias) in [(4, 2, 1, 1, false), (3, 1, 1, 1, true), (4, 1, 0, 0, false), (5, 2, 1, 2, true), (3, 2, 0, 1, false)] {
            let b = NetworkBuilder(input: Shape(2, 3, 6, 5))
            b.conv2d(4, kernel: k, stride: s, padding: Padding(before: p, after: q), bias: bias, weightInit: .normal(mean: 0, std: 0.3))
            assertGradients(b.build(), input(Shape(2, 3, 6, 5)))
        }
    }

    func testConvTranspose2d() {
        for (k, s, p, q, h, bias) in [(4, 1, 0, 0, 1, false), (3, 1, 0, 0, 1, true), (4, 2, 1, 1, 3, false), (3, 2, 1, 1, 4, false), (5, 2, 1, 2, 3, true)] {
            let b = NetworkBuilder(input: Shape(2, 3, h, h + 1))
            b.convTranspose2d(2, kernel: k, stride: s, padding: Padding(before: p, after: q), bias: bias, weightInit: .normal(mean: 0, std: 0.3))
            assertGradients(b.build(), input(Shape(2, 3, h, h + 1)))
        }
    }

    func testGlobalAveragePooling() {
        let b = NetworkBuilder(input: Shape(2, 3, 4, 5))
        b.globalAveragePool()
        b.linear(2)
        assertGradients(b.build(), input(Shape(2, 3, 4, 5)))
    }

    func testBatchNorm2d() {
        let b = NetworkBuilder(input: Shape(3, 4, 3, 2))
        b.batchNorm(scaleInit: .normal(mean: 1, std: 0.3))
        assertGradients(b.build(), input(Shape(3, 4, 3, 2)))
    }

    func testBatchNorm1d() {
        let b = NetworkBuilder(input: Shape(5, 6))
        b.batchNorm(scaleInit: .normal(mean: 1, std: 0.3))
        assertGradients(b.build(), input(Shape(5, 6)))
    }

    func testActivations() {
        for kind in [Activation.Kind.relu, .leakyReLU(slope: 0.2), .tanh, .sigmoid] {
            let b = NetworkBuilder(input: Shape(2, 3, 2, 2))
            b.activation(kind)
            assertGradients(b.build(), input(Shape(2, 3, 2, 2), margin: 0.1))
        }
    }

    /// Behind another layer an activation runs in place (its output overwrites its input).
    /// Smooth kinds: finite differences through a Linear in front. ReLU and LeakyReLU would put
    /// kinks inside the stencil there; they are checked exactly against the out-of-place layer below.
    func testSmoothActivationsInPlace() {
        for kind in [Activation.Kind.tanh, .sigmoid] {
            let b = NetworkBuilder(input: Shape(3, 5))
            b.linear(8)
            b.activation(kind)
            let network = b.build()
            XCTAssertTrue((network.layers[1] as! Activation).inPlace)
            assertGradients(network, input(Shape(3, 5)))
        }
    }

    /// In place and out of place give bit-identical outputs and input gradients.
    func testInPlaceActivationsEqualOutOfPlace() {
        for kind in [Activation.Kind.relu, .leakyReLU(slope: 0.2), .tanh, .sigmoid] {
            let shape = Shape(2, 3, 4, 4)
            let x = input(shape, seed: 4), dy = input(shape, seed: 5)
            let outOfPlace = Activation(kind, input: shape, inPlace: false)
            let expectedY = outOfPlace.forward(x).array
            let expectedDx = outOfPlace.backward(dy, inputGradient: true, parameterGradients: true).array
            let inPlace = Activation(kind, input: shape, inPlace: true)
            let y = inPlace.forward(x)
            XCTAssertTrue(y === x, "output overwrites the input")
            XCTAssertEqual(y.array, expectedY, "\(kind) forward")
            XCTAssertEqual(inPlace.backward(dy, inputGradient: true, parameterGradients: true).array, expectedDx, "\(kind) backward")
        }
    }

    func testDropoutWithAFixedMask() {
        let b = NetworkBuilder(input: Shape(4, 10))
        b.dropout(0.3)
        let network = b.build()
        // The same stream before every forward: the mask is fixed and the layer is linear.
        assertGradients(network, input(Shape(4, 10)), prepare: { network.context.dropoutStream = 17 })
    }

    func testReshape() {
        let b = NetworkBuilder(input: Shape(2, 12))
        b.reshape(Shape(1, 3, 2, 2))
        b.conv2d(2, kernel: 2, stride: 1, padding: 0, weightInit: .normal(mean: 0, std: 0.3))
        assertGradients(b.build(), input(Shape(2, 12)))
    }

    func testBCEWithLogitsAgainstFiniteDifferences() {
        let z = input(Shape(6, 1), seed: 9)
        let dz = Tensor(z.shape)
        for target: Float in [0, 1] {
            BCEWithLogits.loss(logits: z, target: target, gradient: dz)
            let analytic = dz.array
            for i in 0..<z.count {
                let saved = z.data[i], h: Float = 1e-2
                func loss(_ k: Float) -> Double {
                    z.data[i] = saved + k * h
                    return Double(BCEWithLogits.loss(logits: z, target: target, gradient: Tensor(z.shape)).loss)
                }
                let numeric = (-loss(2) + 8 * loss(1) - 8 * loss(-1) + loss(-2)) / (12 * Double(h))
                z.data[i] = saved
                // The loss is a mean of 6 terms of size ~1 held in float32: rounding 6e-8/ε ≈ 1e-5.
                XCTAssertEqual(numeric, Double(analytic[i]), accuracy: 1e-4, "dz[\(i)] target \(target)")
            }
        }
    }
}
