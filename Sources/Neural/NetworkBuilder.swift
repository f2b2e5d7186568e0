/// Builds a `Network` layer by layer, tracking shapes, layouts and PyTorch's module indices.
///
/// Nothing is allocated until `build()`: the builder first records the layers, so that
/// `estimatedBytes` can tell what the network will need (a command refuses a configuration
/// that does not fit before allocating any of it).
///
/// Under the oneDNN backend, convolutions write oneDNN's blocked layout and BatchNorm and
/// activations keep it; where a layer needs plain values (Linear, reshapes, a chain's output)
/// the builder puts in a `LayoutChange`, which takes no module index.
public final class NetworkBuilder {
    /// The shape at the end of the chain being built (the trunk, or the current head).
    public private(set) var shape: Shape
    /// The layout at the end of the chain being built.
    public private(set) var layout: Layout = .plain
    public let backend: Backend
    /// The convolutions' arithmetic on oneDNN (OpenBLAS layers compute in fp32).
    public let precision: Precision
    /// Samples per micro-batch the network will run (0: whole batches), for oneDNN's primitives.
    public var microBatch = 0
    let inputShape: Shape
    private var chain: Chain
    private var trunk: [Pending] = []
    private var heads: [(name: String, layers: [Pending])] = []
    private var trunkChain: Chain?
    /// Parameters and scratch, for the estimate.
    private var parameters = 0
    private var activationBytes = 0
    private var columns = 0, staging = 0

    /// A layer to construct at build time, in order (construction reserves arena slices).
    private typealias Pending = (ParameterArena, Workspace, LayerContext) -> Layer

    /// Naming state of a chain: its prefix and the next module index.
    private struct Chain {
        var prefix: String
        var index: Int
        var first: Bool
    }

    /// `input`: the per-sample shape with the largest batch as `n`.
    public init(input: Shape, prefix: String = "main", backend: Backend = .current, precision: Precision = .current) {
        shape = input
        inputShape = input
        self.backend = backend
        self.precision = precision
        chain = Chain(prefix: prefix, index: 0, first: true)
    }

    /// Ends the trunk (at the first call) and starts a head named `name` that reads the
    /// trunk's output; its modules are `prefix.N`, numbered from `index` (by default 0; the
    /// trunk's next index continues the trunk's numbering).
    public func head(_ name: String, prefix: String, index: Int? = nil) {
        if trunkChain == nil {
            trunkChain = chain
            trunkShape = shape
            trunkLayout = layout
        } else {
            requirePlain()  // the previous head's output
        }
        heads.append((name, []))
        chain = Chain(prefix: prefix, index: index ?? 0, first: true)
        shape = trunkShape
        layout = trunkLayout
    }

    private var trunkShape = Shape(1, 1)
    private var trunkLayout = Layout.plain

    /// Puts in a `LayoutChange` to `target` when the chain is in another layout here (it takes
    /// no module index).
    private func require(_ target: Layout) {
        guard layout != target else { return }
        let input = shape, from = layout
        append(input, parameters: 0, bytes: LayoutChange.bytes(input: input, from: from, to: target)) { _, _, _ in
            LayoutChange(input: input, from: from, to: target)
        }
        chain.index -= 1
        layout = target
    }

    private func requirePlain() { require(.plain) }

    /// The trunk's next module index (a head continuing the trunk's numbering starts there).
    public var trunkIndex: Int { (trunkChain ?? chain).index }

    private var nextName: String { "\(chain.prefix).\(chain.index)" }

    /// The BatchNorm just appended, as a maker taking the activation to fuse into it: the next
    /// `activation` may fuse (blocked layout) instead of adding a layer.
    private var fusable: ((Activation.Kind) -> Pending)?

    private func append(_ output: Shape, parameters p: Int, bytes: Int, _ make: @escaping Pending) {
        fusable = nil
        if heads.isEmpty { trunk.append(make) } else { heads[heads.count - 1].layers.append(make) }
        chain.index += 1
        chain.first = false
        shape = output
        parameters += p
        activationBytes += bytes
    }

    /// Initialisations default to PyTorch's (`U(±1/sqrt(fan_in))`).
    public func linear(_ out: Int, bias: Bool = true, weightInit: Initialization? = nil, biasInit: Initialization? = nil) {
        requirePlain()
        let input = shape, name = nextName
        append(Shape(input.n, out), parameters: input.perSample * out + (bias ? out : 0),
               bytes: Linear.bytes(input: input, outFeatures: out)) { arena, _, context in
            Linear(name: name, input: input, outFeatures: out, bias: bias, arena: arena, context: context,
                   weightInit: weightInit, biasInit: biasInit)
        }
    }

    /// Weights default to DCGAN's `N(0, 0.02)`, a bias to PyTorch's default.
    public func conv2d(_ out: Int, kernel: Int, stride: Int, padding: Padding, bias: Bool = false,
                       weightInit: Initialization = .normal(mean: 0, std: 0.02), biasInit: Initialization? = nil) {
        convolution(.convolution, out, kernel: kernel, stride: stride, padding: padding, bias: bias, weightInit: weightInit, biasInit: biasInit)
    }

    public func convTranspose2d(_ out: Int, kernel: Int, stride: Int, padding: Padding, bias: Bool = false,
                                weightInit: Initialization = .normal(mean: 0, std: 0.02), biasInit: Initialization? = nil) {
        convolution(.transposed, out, kernel: kernel, stride: stride, padding: padding, bias: bias, weightInit: weightInit, biasInit: biasInit)
    }

    /// A convolution on oneDNN where the backend routes it there (with an OpenBLAS partner for an
    /// operation writing a thin side), else (or should oneDNN refuse it at build time) the
    /// OpenBLAS layer, reading and writing the same layouts.
    private func convolution(_ direction: DNNLConvolution.Direction, _ out: Int, kernel: Int, stride: Int, padding: Padding, bias: Bool,
                             weightInit: Initialization, biasInit: Initialization?) {
        let k = kernel
        let side = { (size: Int) in DNNLConvolution.outputSize(size, direction, kernel: k, stride: stride, padding: padding) }
        let positions = side(shape.h) * side(shape.w)
        let route = backend.route(transposed: direction == .transposed, input: shape.c, output: out, positions: positions,
                                  fromOnePixel: ConvTranspose2d.fromOnePixel(input: shape, padding: padding))
        let dnnl = route.usesDNNL
        let outLayout = route.outputLayout(backend, output: out)
        // oneDNN's fast kernels read a wide input blocked (plain, it gets its reference code) and a thin one plain.
        if dnnl { require(route == .thinInput ? .plain : .blocked(DNNL.block)) }
        let input = shape, name = nextName, inLayout = layout, micro = microBatch, precision = precision
        let output = Shape(input.n, out, side(input.h), side(input.w))
        precondition(output.h > 0 && output.w > 0, "\(name): empty output for input \(input)")
        let blas: Pending
        let blasBytes: Int
        /// The OpenBLAS layer running the operation that writes a thin side, on the oneDNN layer's parameters.
        let partner: (ConvolutionParameters, ParameterArena, Workspace, LayerContext) -> Layer
        let partnerBytes: Int
        if direction == .convolution {
            let g = ConvGeometry(channels: input.c, height: input.h, width: input.w, kernel: k, stride: stride, padding: padding)
            columns = max(columns, g.patch * input.n * g.positions)
            staging = max(staging, input.n * out * g.positions)
            blasBytes = Conv2d.bytes(input: input, geometry: g, outChannels: out)
            blas = { arena, workspace, context in
                Conv2d(name: name, input: input, outChannels: out, kernel: k, stride: stride, padding: padding,
                       bias: bias, weightInit: weightInit, biasInit: biasInit, inputLayout: inLayout, outputLayout: outLayout,
                       arena: arena, workspace: workspace, context: context)
            }
            partnerBytes = 4 * input.stored(inLayout)
            partner = { parameters, arena, workspace, context in
                Conv2d(name: name, input: input, outChannels: out, kernel: k, stride: stride, padding: padding,
                       bias: bias, weightInit: weightInit, biasInit: biasInit, inputLayout: inLayout, outputLayout: outLayout,
                       arena: arena, workspace: workspace, context: context, inputGradientOf: parameters)
            }
        } else {
            columns = max(columns, out * k * k * input.n * input.plane)
            staging = max(staging, input.count)
            blasBytes = ConvTranspose2d.bytes(input: input, outChannels: out, outHeight: output.h, outWidth: output.w)
            blas = { arena, workspace, context in
                ConvTranspose2d(name: name, input: input, outChannels: out, kernel: k, stride: stride,
                                padding: padding, bias: bias, weightInit: weightInit, biasInit: biasInit,
                                inputLayout: inLayout, outputLayout: outLayout, arena: arena, workspace: workspace, context: context)
            }
            partnerBytes = 4 * output.stored(outLayout)
            partner = { parameters, arena, workspace, context in
                ConvTranspose2d(name: name, input: input, outChannels: out, kernel: k, stride: stride,
                                padding: padding, bias: bias, weightInit: weightInit, biasInit: biasInit, inputLayout: inLayout,
                                outputLayout: outLayout, arena: arena, workspace: workspace, context: context, forwardOf: parameters)
            }
        }
        let dnnlBytes = DNNLConvolution.bytes(input: input, inputLayout: inLayout, output: output, outputLayout: outLayout, precision: precision,
                                              direction: direction, kernel: k, stride: stride, padding: padding, route: route)
            + (route == .oneDNN ? 0 : partnerBytes)
        append(output, parameters: input.c * out * k * k + (bias ? out : 0),
               bytes: dnnl ? dnnlBytes : blasBytes) {
            arena, workspace, context in
            guard dnnl else { return blas(arena, workspace, context) }
            // The precision asked for, else fp32 on oneDNN, else OpenBLAS.
            for p in precision == .fp32 ? [Precision.fp32] : [precision, .fp32] {
                if let layer = try? DNNLConvolution(name: name, direction: direction, input: input, outChannels: out, kernel: k, stride: stride,
                                                    padding: padding, bias: bias, weightInit: weightInit, biasInit: biasInit, inputLayout: inLayout,
                                                    arena: arena, context: context, microBatch: micro, precision: p, route: route,
                                                    partner: route == .oneDNN ? nil : { partner($0, arena, workspace, context) }) {
                    return layer
                }
            }
            return blas(arena, workspace, context)
        }
        layout = outLayout
    }

    /// PyTorch's defaults: `ε = 1e-5`, `momentum = 0.1` (the running statistics move by
    /// `momentum` toward the batch's; Keras's `momentum = 0.99` is PyTorch's 0.01).
    public func batchNorm(scaleInit: Initialization = .normal(mean: 1, std: 0.02), epsilon: Float = 1e-5, momentum: Float = 0.1) {
        let input = shape, name = nextName, l = layout
        let make = { (activation: Activation.Kind?) -> Pending in
            { arena, _, context in
                BatchNorm(name: name, input: input, epsilon: epsilon, momentum: momentum, layout: l, activation: activation,
                          arena: arena, context: context, scaleInit: scaleInit)
            }
        }
        append(input, parameters: 2 * input.c, bytes: BatchNorm.bytes(input: input, layout: l), make(nil))
        if l.isBlocked { fusable = { make($0) } }
    }

    /// `(C, H, W)` → `(C)`: each channel's mean over its plane.
    public func globalAveragePool() {
        let input = shape, l = layout
        append(Shape(input.n, input.c), parameters: 0, bytes: GlobalAveragePooling.bytes(input: input, layout: l)) { _, _, _ in
            GlobalAveragePooling(input: input, layout: l)
        }
        layout = .plain
    }

    /// In place unless it begins a chain: the network's input belongs to the caller, and a
    /// head's input (the trunk's output) is shared by every head.
    /// Fused into a BatchNorm just before it in the blocked layout (ReLU, LeakyReLU): the
    /// activation then takes its module index but no layer of its own.
    public func activation(_ kind: Activation.Kind) {
        if let fusable, kind == .relu || { if case .leakyReLU = kind { true } else { false } }() {
            let fused = fusable(kind)
            if heads.isEmpty { trunk[trunk.count - 1] = fused } else { heads[heads.count - 1].layers[heads[heads.count - 1].layers.count - 1] = fused }
            self.fusable = nil
            chain.index += 1
            chain.first = false
            return
        }
        if kind == .sigmoid { requirePlain() }
        let input = shape, inPlace = !chain.first, l = layout
        append(input, parameters: 0, bytes: Activation.bytes(input: input, inPlace: inPlace)) { _, _, _ in
            Activation(kind, input: input, layout: l, inPlace: inPlace)
        }
    }

    public func dropout(_ p: Float) {
        requirePlain()
        let input = shape
        append(input, parameters: 0, bytes: Dropout.bytes(input: input)) { _, _, context in
            Dropout(probability: p, input: input, context: context)
        }
    }

    /// A reshape; `indexed: false` (the default) takes no module index, like `.view()` inside
    /// `forward`; `indexed: true` stands for `nn.Unflatten` inside a Sequential.
    public func reshape(_ to: Shape, indexed: Bool = false) {
        requirePlain()
        let input = shape, output = to.batch(shape.n)
        append(output, parameters: 0, bytes: Reshape.bytes(input: input)) { _, _, _ in Reshape(input: input, to: output) }
        if !indexed { chain.index -= 1 }
    }

    /// `nn.Flatten` inside a Sequential: takes a module index, runs nothing (a `Linear` reads any
    /// per-sample shape as its features).
    public func flatten() { chain.index += 1 }

    /// What `build()` will allocate: parameters with their gradients and Adam moments,
    /// activations and input gradients, and the shared scratch.
    public var estimatedBytes: Int { 16 * parameters + activationBytes + 4 * (columns + staging) + 8 * shape.count }

    public var parameterCount: Int { parameters }

    /// Builds the network; the chain that produces its output (the trunk without heads, or the
    /// last head) ends plain.
    public func build() -> Network {
        requirePlain()
        let arena = ParameterArena(), workspace = Workspace(), context = LayerContext()
        context.microBatch = microBatch
        let trunkLayers = trunk.map { $0(arena, workspace, context) }
        let built = heads.map { head in Head(name: head.name, layers: head.layers.map { $0(arena, workspace, context) }) }
        return Network(inputShape: inputShape, layers: trunkLayers, heads: built, arena: arena, workspace: workspace, context: context)
    }
}
