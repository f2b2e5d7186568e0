import Neural

/// Finite-difference check of a network's backward pass.
///
/// The scalar probed is `L = Σ_i w_i·y_i` for fixed random weights `w` (so `dy = w`),
/// summed in Double. Its derivative along a direction `v` is estimated with the fourth-order
/// central stencil `[−L(+2ε) + 8L(+ε) − 8L(−ε) + L(−2ε)] / 12ε`, whose truncation error is
/// O(ε⁴); that lets ε be large enough (1e-2 of the input scale) for float32 rounding in
/// `y` to stay far below the tolerance. Two directions are probed per tensor:
/// - the analytic gradient `g` itself, with error relative to `⟨g, g⟩`;
/// - a Gaussian direction, with error relative to `‖g‖·‖v‖` (the Cauchy–Schwarz bound).
public struct GradientCheck {
    public struct Result: CustomStringConvertible {
        public let name: String
        public let alongGradient: Double
        public let alongRandom: Double
        public var worst: Double { max(alongGradient, alongRandom) }
        public var description: String { "\(name): along gradient \(alongGradient), along random \(alongRandom)" }
    }

    let network: Network
    let input: Tensor
    let weights: Tensor
    public var epsilon: Float
    /// Called before every forward, e.g. to fix the dropout stream.
    public var prepare: () -> Void = {}

    public init(network: Network, input: Tensor, epsilon: Float = 1e-2, seed: UInt64 = 7) {
        self.network = network
        self.input = input
        self.epsilon = epsilon
        let y = network.forward(input)
        weights = Tensor(y.shape)
        Philox(seed: seed).normals(stream: 99, index: 0, into: weights.data, count: weights.count)
    }

    func loss() -> Double {
        prepare()
        let y = network.forward(input)
        var total = 0.0
        for i in 0..<y.count { total += Double(y.data[i]) * Double(weights.data[i]) }
        return total
    }

    /// Directional derivative of `L` when `values[0..<count]` moves along `direction`.
    func numericDerivative(_ values: UnsafeMutablePointer<Float>, count: Int, direction: [Float]) -> Double {
        let saved = Array(UnsafeBufferPointer(start: values, count: count))
        func at(_ k: Float) -> Double {
            for i in 0..<count { values[i] = saved[i] + k * epsilon * direction[i] }
            network.arena.valuesChanged()  // the values may be parameters
            return loss()
        }
        let d = (-at(2) + 8 * at(1) - 8 * at(-1) + at(-2)) / (12 * Double(epsilon))
        for i in 0..<count { values[i] = saved[i] }
        network.arena.valuesChanged()
        return d
    }

    func compare(_ name: String, values: UnsafeMutablePointer<Float>, gradient: [Float], seed: UInt64) -> Result {
        let n = gradient.count
        let gNorm = gradient.reduce(0.0) { $0 + Double($1) * Double($1) }.squareRoot()
        let maxG = gradient.map { abs($0) }.max() ?? 0
        // Along the gradient, scaled so the largest step is epsilon.
        let unit = maxG > 0 ? gradient.map { $0 / maxG } : gradient
        let analytic1 = unit.indices.reduce(0.0) { $0 + Double(unit[$1]) * Double(gradient[$1]) }
        let numeric1 = numericDerivative(values, count: n, direction: unit)
        let along = analytic1 > 0 ? abs(numeric1 - analytic1) / analytic1 : abs(numeric1)
        // Along a Gaussian direction.
        var v = [Float](repeating: 0, count: n)
        v.withUnsafeMutableBufferPointer { Philox(seed: seed).normals(stream: 98, index: 0, into: $0.baseAddress!, count: n) }
        let vMax = v.map { abs($0) }.max() ?? 1
        v = v.map { $0 / vMax }
        let vNorm = v.reduce(0.0) { $0 + Double($1) * Double($1) }.squareRoot()
        let analytic2 = v.indices.reduce(0.0) { $0 + Double(v[$1]) * Double(gradient[$1]) }
        let numeric2 = numericDerivative(values, count: n, direction: v)
        let bound = gNorm * vNorm
        let random = bound > 0 ? abs(numeric2 - analytic2) / bound : abs(numeric2)
        return Result(name: name, alongGradient: along, alongRandom: random)
    }

    /// Checks the input gradient and every parameter slice's gradient.
    public func run(checkInput: Bool = true) -> [Result] {
        network.arena.zeroGradients()
        prepare()
        _ = network.forward(input)
        // backward may overwrite its dy (an in-place last layer): hand it a copy of w.
        let dy = Tensor(weights.shape)
        dy.data.update(from: weights.data, count: weights.count)
        let dx = network.backward(dy, inputGradient: true, parameterGradients: true)
        let inputGradient = Array(UnsafeBufferPointer(start: dx.data, count: dx.count))
        let arena = network.arena
        let parameterGradients = arena.slices.map { Array(UnsafeBufferPointer(start: arena.gradient($0), count: $0.count)) }
        var results: [Result] = []
        if checkInput {
            results.append(compare("input", values: input.data, gradient: inputGradient, seed: 1))
        }
        for (k, slice) in arena.slices.enumerated() {
            results.append(compare(slice.name, values: arena.value(slice), gradient: parameterGradients[k], seed: UInt64(k + 2)))
        }
        return results
    }
}
