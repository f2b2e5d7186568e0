import Dispatch

/// A sequence of layers with one parameter arena, one workspace and one context:
/// the engine's equivalent of `nn.Sequential`. Parameter names follow PyTorch's
/// `state_dict()` of a Sequential called `prefix` (`main.0.weight`, `main.1.running_mean`, …).
public final class Network {
    public let inputShape: Shape
    public let layers: [Layer]
    public let arena: ParameterArena
    public let workspace: Workspace
    public let context: LayerContext
    /// BatchNorm layers in order, for their running statistics.
    public let batchNorms: [BatchNorm]
    /// When set, every layer's forward and backward time is added to it.
    public var profile: LayerProfile?

    init(inputShape: Shape, layers: [Layer], arena: ParameterArena, workspace: Workspace, context: LayerContext) {
        self.inputShape = inputShape
        self.layers = layers
        self.arena = arena
        self.workspace = workspace
        self.context = context
        batchNorms = layers.compactMap { $0 as? BatchNorm }
        arena.seal()
        workspace.allocate()
    }

    public var outputShape: Shape { layers.last!.outputShape }
    /// Largest batch the network was built for.
    public var maxBatch: Int { inputShape.n }

    public var training: Bool {
        get { context.training }
        set { context.training = newValue }
    }

    /// `x (n, inputShape...)` → output `(n, outputShape...)`, owned by the last layer.
    public func forward(_ x: Tensor) -> Tensor {
        precondition(x.shape.perSample == inputShape.perSample && x.shape.n <= maxBatch,
                     "network input \(x.shape), expected up to \(inputShape)")
        var h = x
        if let profile {
            for (index, layer) in layers.enumerated() {
                let start = DispatchTime.now().uptimeNanoseconds
                h = layer.forward(h)
                profile.forward[index] &+= DispatchTime.now().uptimeNanoseconds - start
            }
            return h
        }
        for layer in layers { h = layer.forward(h) }
        return h
    }

    /// Backpropagates `dy` through every layer of the last forward. `dy`'s contents may be
    /// overwritten (an in-place activation as the last layer computes its gradient there).
    /// `inputGradient: false` skips the first layer's input gradient (nothing needs it);
    /// `parameterGradients: false` leaves the arena's gradients alone (D inside the G step).
    @discardableResult
    public func backward(_ dy: Tensor, inputGradient: Bool = true, parameterGradients: Bool = true) -> Tensor {
        var g = dy
        for index in layers.indices.reversed() {
            let start = profile == nil ? 0 : DispatchTime.now().uptimeNanoseconds
            g = layers[index].backward(g, inputGradient: inputGradient || index > 0, parameterGradients: parameterGradients)
            if let profile { profile.backward[index] &+= DispatchTime.now().uptimeNanoseconds - start }
        }
        return g
    }
}

/// Builds a `Network` layer by layer, tracking the shape and PyTorch's module indices.
public final class NetworkBuilder {
    public private(set) var shape: Shape
    let inputShape: Shape
    let prefix: String
    let arena = ParameterArena()
    let workspace = Workspace()
    let context = LayerContext()
    var layers: [Layer] = []
    private var reshapes = 0

    /// `input`: the per-sample shape with the largest batch as `n`.
    public init(input: Shape, prefix: String = "main") {
        shape = input
        inputShape = input
        self.prefix = prefix
    }

    private var nextName: String { "\(prefix).\(layers.count - reshapes)" }

    private func append(_ layer: Layer) {
        layers.append(layer)
        shape = layer.outputShape
    }

    public func linear(_ out: Int, bias: Bool = true) {
        append(Linear(name: nextName, input: shape, outFeatures: out, bias: bias, arena: arena))
    }

    public func conv2d(_ out: Int, kernel: Int, stride: Int, padding: Int, bias: Bool = false,
                       weightInit: Initialization = .normal(mean: 0, std: 0.02)) {
        append(Conv2d(name: nextName, input: shape, outChannels: out, kernel: kernel, stride: stride, padding: padding,
                      bias: bias, weightInit: weightInit, arena: arena, workspace: workspace))
    }

    public func convTranspose2d(_ out: Int, kernel: Int, stride: Int, padding: Int,
                                weightInit: Initialization = .normal(mean: 0, std: 0.02)) {
        append(ConvTranspose2d(name: nextName, input: shape, outChannels: out, kernel: kernel, stride: stride,
                               padding: padding, weightInit: weightInit, arena: arena, workspace: workspace))
    }

    public func batchNorm(scaleInit: Initialization = .normal(mean: 1, std: 0.02)) {
        append(BatchNorm(name: nextName, input: shape, arena: arena, context: context, scaleInit: scaleInit))
    }

    /// In place unless it is the first layer: the network's input belongs to the caller.
    public func activation(_ kind: Activation.Kind) { append(Activation(kind, input: shape, inPlace: !layers.isEmpty)) }

    public func dropout(_ p: Float) { append(Dropout(probability: p, input: shape, context: context)) }

    /// Not a PyTorch module: takes no index, like `.view()` inside `forward`.
    public func reshape(_ to: Shape) {
        layers.append(Reshape(input: shape, to: to.batch(shape.n)))
        shape = to.batch(shape.n)
        reshapes += 1
    }

    public func build() -> Network {
        Network(inputShape: inputShape, layers: layers, arena: arena, workspace: workspace, context: context)
    }
}

/// Accumulated forward and backward nanoseconds per layer of one network.
public final class LayerProfile {
    public let names: [String]
    public var forward: [UInt64]
    public var backward: [UInt64]

    public init(_ network: Network) {
        names = network.layers.map { layer in
            switch layer {
            case let a as Activation:
                switch a.kind {
                case .relu: "ReLU"
                case .leakyReLU: "LeakyReLU"
                case .tanh: "Tanh"
                case .sigmoid: "Sigmoid"
                }
            default: String(describing: type(of: layer))
            }
        }
        forward = Array(repeating: 0, count: names.count)
        backward = Array(repeating: 0, count: names.count)
    }

    public func reset() {
        for i in names.indices { forward[i] = 0; backward[i] = 0 }
    }
}
