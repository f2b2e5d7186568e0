import Dispatch
import Storage

/// Layers with one parameter arena, one workspace and one context: a trunk (a chain, the
/// engine's `nn.Sequential`) and optionally heads, chains that each read the trunk's output
/// (a discriminator's adversarial logit, class logits, InfoGAN's Q outputs).
///
/// Parameter names follow PyTorch's `state_dict()` of Sequentials (`main.0.weight`,
/// `main.1.running_mean`, …); each head names its own layers (`adv.0.weight`) or continues the
/// trunk's numbering (the DCGAN's final logit convolution is `main.11`).
public final class Network {
    public let inputShape: Shape
    /// The trunk.
    public let layers: [Layer]
    public let heads: [Head]
    public let arena: ParameterArena
    public let workspace: Workspace
    public let context: LayerContext
    /// BatchNorm layers of the trunk, then of each head, in state-dict order.
    public let batchNorms: [BatchNorm]
    /// When set, every layer's forward and backward time is added to it.
    public var profile: LayerProfile?
    /// `(n, trunk output…)`: the sum of the heads' input gradients.
    private let trunkGradient: Tensor?
    private var ranHeads: [Bool]
    /// The trunk's output in the last forward (a classifier's penultimate features).
    public private(set) var trunkOutput: Tensor?

    init(inputShape: Shape, layers: [Layer], heads: [Head], arena: ParameterArena, workspace: Workspace, context: LayerContext) {
        self.inputShape = inputShape
        self.layers = layers
        self.heads = heads
        self.arena = arena
        self.workspace = workspace
        self.context = context
        batchNorms = (layers + heads.flatMap(\.layers)).compactMap { $0 as? BatchNorm }
        trunkGradient = heads.isEmpty ? nil : Tensor(layers.last?.outputShape ?? inputShape, layout: layers.last?.outputLayout ?? .plain)
        ranHeads = Array(repeating: false, count: heads.count)
        arena.seal()
        workspace.allocate()
    }

    /// The output of `forward`: the first head's, or the trunk's.
    public var outputShape: Shape { heads.first?.outputShape ?? trunkShape }
    public var trunkShape: Shape { layers.last?.outputShape ?? inputShape }
    /// Largest batch the network was built for.
    public var maxBatch: Int { inputShape.n }
    /// Trunk and head layers in order (for profiles).
    public var allLayers: [Layer] { layers + heads.flatMap(\.layers) }

    public var training: Bool {
        get { context.training }
        set { context.training = newValue }
    }

    public func head(named name: String) -> Head? { heads.first { $0.name == name } }

    /// `x (n, inputShape...)` → the trunk, then the heads listed (all by default). Returns the
    /// first head's output (or the trunk's), owned by the network; every head's is in `output`.
    @discardableResult
    public func forward(_ x: Tensor, heads selected: [Int]? = nil) -> Tensor {
        // Checked even in the engine's unchecked build: a larger batch would overrun every buffer.
        guard x.shape.perSample == inputShape.perSample && x.shape.n <= maxBatch else {
            fatalError("network input \(x.shape), expected up to \(inputShape)")
        }
        var h = x
        for (index, layer) in layers.enumerated() { h = run(index) { layer.forward(h) } }
        trunkOutput = h
        var offset = layers.count
        for (k, head) in heads.enumerated() {
            ranHeads[k] = selected?.contains(k) ?? true
            if ranHeads[k] {
                var o = h
                for (j, layer) in head.layers.enumerated() { o = run(offset + j) { layer.forward(o) } }
                head.output = o
            }
            offset += head.layers.count
        }
        return heads.first?.output ?? h
    }

    /// Backpropagates `dy` (the gradient of `forward`'s return value) through the last forward.
    /// `dy`'s contents may be overwritten (an in-place last layer computes its gradient there).
    /// `inputGradient: false` skips the first layer's input gradient (nothing needs it);
    /// `parameterGradients: false` leaves the arena's gradients alone (D inside the G step).
    @discardableResult
    public func backward(_ dy: Tensor, inputGradient: Bool = true, parameterGradients: Bool = true) -> Tensor {
        guard let first = heads.first else { return backwardTrunk(dy, inputGradient: inputGradient, parameterGradients: parameterGradients) }
        first.gradient.setBatch(dy.shape.n)
        first.gradient.data.update(from: dy.data, count: dy.count)
        for head in heads.dropFirst() { head.gradient.setBatch(dy.shape.n); head.gradient.fill(0) }
        return backwardHeads(inputGradient: inputGradient, parameterGradients: parameterGradients)
    }

    /// Backpropagates every head that ran in the last forward from its `gradient` (which the
    /// losses filled), sums their input gradients, and continues through the trunk.
    @discardableResult
    public func backwardHeads(inputGradient: Bool = true, parameterGradients: Bool = true) -> Tensor {
        guard let trunkGradient else { preconditionFailure("backwardHeads on a network without heads") }
        var offset = layers.count
        var first = true
        for (k, head) in heads.enumerated() {
            defer { offset += head.layers.count }
            guard ranHeads[k] else { continue }
            var g = head.gradient
            for j in head.layers.indices.reversed() {
                let layer = head.layers[j]
                let input = g
                g = run(offset + j, backward: true) { layer.backward(input, inputGradient: true, parameterGradients: parameterGradients) }
            }
            trunkGradient.setBatch(g.shape.n)
            if first {
                trunkGradient.data.update(from: g.data, count: g.storedCount)
                first = false
            } else {
                for i in 0..<g.storedCount { trunkGradient.data[i] += g.data[i] }
            }
        }
        return backwardTrunk(trunkGradient, inputGradient: inputGradient, parameterGradients: parameterGradients)
    }

    private func backwardTrunk(_ dy: Tensor, inputGradient: Bool, parameterGradients: Bool) -> Tensor {
        var g = dy
        for index in layers.indices.reversed() {
            let input = g
            g = run(index, backward: true) {
                layers[index].backward(input, inputGradient: inputGradient || index > 0, parameterGradients: parameterGradients)
            }
        }
        return g
    }

    @inline(__always)
    private func run(_ index: Int, backward: Bool = false, _ body: () -> Tensor) -> Tensor {
        guard let profile else { return body() }
        let start = DispatchTime.now().uptimeNanoseconds
        let result = body()
        let elapsed = DispatchTime.now().uptimeNanoseconds - start
        if backward { profile.backward[index] &+= elapsed } else { profile.forward[index] &+= elapsed }
        return result
    }
}

/// A chain reading the trunk's output, with its own output and gradient buffers.
public final class Head {
    public let name: String
    public let layers: [Layer]
    /// The last forward's output `(n, width…)`.
    public internal(set) var output: Tensor!
    /// `dL/d output`, written by the losses before `backwardHeads`.
    public let gradient: Tensor

    init(name: String, layers: [Layer]) {
        self.name = name
        self.layers = layers
        gradient = Tensor(layers.last!.outputShape)
    }

    public var outputShape: Shape { layers.last!.outputShape }
    /// Values per sample.
    public var width: Int { outputShape.perSample }
}

/// Accumulated forward and backward nanoseconds per layer of one network (trunk, then heads).
public final class LayerProfile {
    public let names: [String]
    public var forward: [UInt64]
    public var backward: [UInt64]

    public init(_ network: Network) {
        names = network.allLayers.map(\.kind)
        forward = Array(repeating: 0, count: names.count)
        backward = Array(repeating: 0, count: names.count)
    }

    public func reset() {
        for i in names.indices { forward[i] = 0; backward[i] = 0 }
    }
}

extension Network {
    /// Parameters and BatchNorm buffers under `prefix.` in PyTorch's `state_dict()` order (each
    /// BatchNorm's running statistics and `num_batches_tracked` after its parameters).
    public func stateTensors(prefix: String) -> [StateList.Tensor] {
        var out: [StateList.Tensor] = []
        for slice in arena.slices {
            out.append(.init(name: "\(prefix).\(slice.name)", shape: slice.shape, kind: .parameter, pointer: UnsafeMutableRawPointer(arena.value(slice)),
                             written: { [arena] in arena.valuesChanged() }))
            if let bn = batchNorms.first(where: { "\($0.name).bias" == slice.name }) {
                out.append(.init(name: "\(prefix).\(bn.name).running_mean", shape: [bn.channels], kind: .buffer, pointer: UnsafeMutableRawPointer(bn.runningMean)))
                out.append(.init(name: "\(prefix).\(bn.name).running_var", shape: [bn.channels], kind: .buffer,
                                 pointer: UnsafeMutableRawPointer(bn.runningVar), nonNegative: true))
                out.append(.init(name: "\(prefix).\(bn.name).num_batches_tracked", shape: [], dtype: .i64, kind: .buffer,
                                 pointer: UnsafeMutableRawPointer(bn.tracked), nonNegative: true))
            }
        }
        return out
    }

    /// Adam's moments of the whole arena as flat tensors `name.exp_avg`, `name.exp_avg_sq`.
    public func optimizerTensors(name: String) -> [StateList.Tensor] {
        [.init(name: "\(name).exp_avg", shape: [arena.count], kind: .optimizer, pointer: UnsafeMutableRawPointer(arena.adamM)),
         .init(name: "\(name).exp_avg_sq", shape: [arena.count], kind: .optimizer, pointer: UnsafeMutableRawPointer(arena.adamV), nonNegative: true)]
    }
}
