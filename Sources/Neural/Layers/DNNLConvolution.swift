@preconcurrency import CDNNL
import Dispatch

/// `Conv2d` or `ConvTranspose2d` (PyTorch's semantics, any `Padding`) on oneDNN primitives:
/// forward, input gradient and weight gradient, each made at build time for the micro-batch
/// shape and run micro-batch by micro-batch, like every layer (so a sample's result and each
/// micro-batch's weight gradient do not depend on the batch or the rank count).
///
/// The output is in oneDNN's blocked layout (`Layout.blocked`), the input blocked or plain.
/// Parameters stay in the arena in PyTorch's layout (`(OC, C, k, k)`, transposed `(C, OC, k, k)`):
/// each forward reorders the weights into the primitive's own format (the backward of the same
/// pass reuses them), and each micro-batch's weight gradient is reordered back, added into the
/// arena's gradient of that micro-batch. A bias is added by the forward primitive; its gradient
/// is summed here in Double, as the OpenBLAS layers do.
///
/// With a thin side (`ConvolutionRoute.thinInput`, `.thinOutput`), the one operation that would
/// write the thin tensor runs on a partner OpenBLAS layer (`Conv2d`'s input gradient,
/// `ConvTranspose2d`'s forward) sharing this layer's parameters, and the thin side is plain.
///
/// A stride-2 convolution with a small output runs its forward and input gradient folded
/// (`SpaceToDepth`, fp32): on `fold`ed copies of its input micro-batches and folded weights,
/// made when the weights change; its weight gradient stays direct.
///
/// In `Precision.bf16` the primitives read bf16: each forward converts its input micro-batch to
/// bf16 (kept for the weight gradient), each backward its output gradient, and the weights are
/// converted by their reorder; outputs, input gradients and weight gradients are fp32.
public final class DNNLConvolution: Layer {
    public enum Direction: Sendable { case convolution, transposed }

    public let direction: Direction
    public let inChannels: Int
    public let outChannels: Int
    public let kernel: Int
    public let stride: Int
    public let padding: Padding
    public let inputLayout: Layout
    public let outputLayout: Layout
    public let precision: Precision
    public let route: ConvolutionRoute
    /// The OpenBLAS layer that runs the operation writing a thin side, if any.
    private var partner: Layer?
    public private(set) var weight: ParameterArena.Slice!
    public private(set) var bias: ParameterArena.Slice?
    let hasBias: Bool
    let arena: ParameterArena
    let context: LayerContext
    let y: Tensor
    let dx: Tensor
    private let inputShape: Shape
    private var x: Tensor!
    private var plans: [Int: Plan] = [:]
    /// bf16 copies (16-bit words) of the last forward's input and of a micro-batch's output
    /// gradient; empty in fp32.
    private let lowInput: UnsafeMutablePointer<UInt16>
    private let lowGradient: UnsafeMutablePointer<UInt16>
    /// Runs folded (`SpaceToDepth`); then the folded input, its gradient and the folded weights
    /// (`(OC, 4C, k/2, k/2)`), else empty.
    public let spaceToDepth: Bool
    private let foldedInput: UnsafeMutablePointer<Float>
    private let foldedGradient: UnsafeMutablePointer<Float>
    private let foldedWeights: UnsafeMutablePointer<Float>

    public var kind: String { direction == .convolution ? "Conv2d" : "ConvTranspose2d" }
    /// oneDNN's implementations of forward, input gradient and weight gradient.
    public var algorithm: String {
        guard let p = plans.values.first else { return "oneDNN" }
        let oneDNN = "oneDNN \(precision == .bf16 ? "bf16 " : "")"
        switch route {
        case .thinInput: return oneDNN + "\(p.forward.implementation) / OpenBLAS GEMM (col2im, \(outputLayout) → \(inputLayout)) / \(p.backwardWeights.implementation)"
        case .thinOutput: return "OpenBLAS GEMM (col2im, \(inputLayout) → \(outputLayout)) / " + oneDNN + "\(p.backwardData.implementation) / \(p.backwardWeights.implementation)"
        default:
            if let f = p.folded {
                return oneDNN + "space-to-depth \(kernel / 2)×\(kernel / 2) \(f.forward.implementation) / \(f.backwardData.implementation) / direct \(p.backwardWeights.implementation)"
            }
            return oneDNN + "\(p.forward.implementation) / \(p.backwardData.implementation) / \(p.backwardWeights.implementation)"
        }
    }
    public var outputShape: Shape { y.shape }

    /// Output spatial size for an input of `size` pixels.
    public static func outputSize(_ size: Int, _ direction: Direction, kernel: Int, stride: Int, padding: Padding) -> Int {
        direction == .convolution ? (size + padding.total - kernel) / stride + 1 : (size - 1) * stride - padding.total + kernel
    }

    /// Throws when oneDNN has no fast implementation for this layer (then the caller builds the
    /// OpenBLAS one); `microBatch` is the chunk size its primitives are made for first. A
    /// `.thinInput` or `.thinOutput` route needs `partner`, which builds the OpenBLAS layer for
    /// the operation writing the thin side on this layer's parameters.
    public init(name: String, direction: Direction, input: Shape, outChannels: Int, kernel: Int, stride: Int, padding: Padding,
                bias hasBias: Bool, weightInit: Initialization, biasInit: Initialization?, inputLayout: Layout,
                arena: ParameterArena, context: LayerContext, microBatch: Int, precision: Precision = .fp32,
                route: ConvolutionRoute = .oneDNN, partner makePartner: ((ConvolutionParameters) -> Layer)? = nil) throws(DNNLError) {
        precondition(route.usesDNNL && (route == .oneDNN) == (makePartner == nil), "\(name): a thin side needs a partner, and only it")
        self.direction = direction
        self.precision = precision
        self.route = route
        inChannels = input.c
        self.outChannels = outChannels
        self.kernel = kernel
        self.stride = stride
        self.padding = padding
        self.inputLayout = inputLayout
        outputLayout = route.outputLayout(.onednn, output: outChannels)
        self.arena = arena
        self.context = context
        inputShape = input
        let oh = Self.outputSize(input.h, direction, kernel: kernel, stride: stride, padding: padding)
        let ow = Self.outputSize(input.w, direction, kernel: kernel, stride: stride, padding: padding)
        precondition(oh > 0 && ow > 0, "\(name): empty output for input \(input)")
        y = Tensor(Shape(input.n, outChannels, oh, ow), layout: outputLayout)
        dx = Tensor(input, layout: inputLayout)
        self.hasBias = hasBias
        let low = precision == .bf16
        lowInput = Memory.allocate(low ? input.stored(inputLayout) : 0)
        lowGradient = Memory.allocate(low ? y.shape.stored(outputLayout) : 0)
        spaceToDepth = Self.folds(direction: direction, input: input, inputLayout: inputLayout, output: y.shape, kernel: kernel, stride: stride,
                                  padding: padding, precision: precision, route: route)
        let folded = spaceToDepth ? SpaceToDepth.shape(input, padding: padding.before).count : 0
        foldedInput = Memory.allocate(folded)
        foldedInput.update(repeating: 0, count: folded)  // the folded padding is never written
        foldedGradient = Memory.allocate(folded)
        foldedWeights = Memory.allocate(spaceToDepth ? outChannels * input.c * kernel * kernel : 0)
        // The primitives first: should oneDNN refuse, nothing is reserved in the arena.
        let first = microBatch > 0 ? min(microBatch, input.n) : input.n
        plans[first] = try Plan(self, batch: first)
        let conv = direction == .convolution
        weight = arena.reserve("\(name).weight", shape: conv ? [outChannels, input.c, kernel, kernel] : [input.c, outChannels, kernel, kernel],
                               initialization: weightInit)
        // PyTorch's default bias bounds: fan_in = C·k·k for Conv2d, weight.size(1)·k·k = OC·k·k for ConvTranspose2d.
        let bound = 1 / Float((conv ? input.c : outChannels) * kernel * kernel).squareRoot()
        bias = hasBias ? arena.reserve("\(name).bias", shape: [outChannels], initialization: biasInit ?? .uniform(bound: bound)) : nil
        partner = makePartner?(ConvolutionParameters(weight: weight, bias: bias))
    }

    deinit {
        Memory.free(lowInput)
        Memory.free(lowGradient)
        Memory.free(foldedInput)
        Memory.free(foldedGradient)
        Memory.free(foldedWeights)
    }

    /// Whether a layer runs folded (`SpaceToDepth`): a plain fp32 convolution on oneDNN that
    /// `SpaceToDepth.applies` to.
    static func folds(direction: Direction, input: Shape, inputLayout: Layout, output: Shape, kernel: Int, stride: Int, padding: Padding,
                      precision: Precision, route: ConvolutionRoute) -> Bool {
        direction == .convolution && route == .oneDNN && precision == .fp32
            && SpaceToDepth.applies(input: input, layout: inputLayout, kernel: kernel, stride: stride, padding: padding, outputPositions: output.plane)
    }

    /// Bytes of output and input gradient for `input`, in bf16 of their bf16 copies, and when
    /// folded of the folded input and its gradient (the primitives' buffers and a partner's are
    /// not counted).
    public static func bytes(input: Shape, inputLayout: Layout, output: Shape, outputLayout: Layout, precision: Precision = .fp32,
                             direction: Direction = .convolution, kernel: Int = 1, stride: Int = 1, padding: Padding = 0,
                             route: ConvolutionRoute = .oneDNN) -> Int {
        let values = output.stored(outputLayout) + input.stored(inputLayout)
        let folded = folds(direction: direction, input: input, inputLayout: inputLayout, output: output, kernel: kernel, stride: stride,
                           padding: padding, precision: precision, route: route)
            ? 8 * SpaceToDepth.shape(input, padding: padding.before).count : 0
        return (precision == .bf16 ? 6 : 4) * values + folded
    }

    /// FLOPs of one pass over `m` samples, counted as the GEMMs of im2col would be.
    private func flops(_ m: Int) -> Double {
        let positions = direction == .convolution ? y.shape.plane : inputShape.plane
        return 2 * Double(m * outChannels * inChannels * kernel * kernel * positions)
    }

    private func plan(_ m: Int) -> Plan {
        if let p = plans[m] { return p }
        do {
            let p = try Plan(self, batch: m)
            plans[m] = p
            return p
        } catch { fatalError("\(kind) (oneDNN) for a micro-batch of \(m): \(error)") }
    }

    /// Reorders the arena's weights into `p`'s formats when they changed since `p` last did
    /// (`ParameterArena.version`): D runs forward three times per step on the same weights.
    /// A few sampled values guard against a write that did not move the version.
    @inline(__always)
    private func reorderWeights(_ p: Plan) {
        let w = arena.value(weight), n = weight.count
        let sample = (w[0], w[n / 2], w[n - 1])
        guard p.reordered != arena.version || p.sample != sample else { return }
        if let f = p.folded {
            SpaceToDepth.foldWeights(w, outChannels: outChannels, channels: inChannels, kernel: kernel, into: foldedWeights)
            f.weights.convert(from: foldedWeights)
        } else {
            p.weights!.convert(from: w)
        }
        p.reordered = arena.version
        p.sample = sample
    }

    public func forward(_ x: Tensor) -> Tensor {
        self.x = x
        y.setBatch(x.shape.n)
        let inSample = inputShape.stored(inputLayout) / inputShape.n, outSample = y.shape.stored(outputLayout) / y.shape.n
        let start = DispatchTime.now().uptimeNanoseconds
        for c in context.chunks(x.shape.n) {
            let p = plan(c.count)
            // In bf16 the input's copy serves the forward and the weight gradient, also when the
            // forward is the partner's.
            if let convert = p.toLowSource {
                p.fullSource!.bind(x.data + c.start * inSample)
                p.source.bind(lowInput + c.start * inSample)
                convert.execute()
            } else {
                p.source.bind(x.data + c.start * inSample)
            }
            guard route != .thinOutput else { continue }
            reorderWeights(p)
            if let f = p.folded {
                let foldedSample = f.inputShape.count / f.inputShape.n
                SpaceToDepth.fold(x.data + c.start * inSample, inputShape.batch(c.count), padding: padding.before, block: f.block,
                                  into: foldedInput + c.start * foldedSample)
                f.source.bind(foldedInput + c.start * foldedSample)
                f.destination.bind(y.data + c.start * outSample)
                if let bias { f.bias?.bind(arena.value(bias)) }
                f.forward.execute()
            } else {
                p.destination.bind(y.data + c.start * outSample)
                if let bias { p.bias?.bind(arena.value(bias)) }
                p.forward.execute()
            }
            DNNL.flops += flops(c.count)
        }
        DNNL.nanoseconds &+= DispatchTime.now().uptimeNanoseconds - start
        return route == .thinOutput ? partner!.forward(x) : y
    }

    public func backward(_ dy: Tensor, inputGradient: Bool, parameterGradients: Bool) -> Tensor {
        let n = dy.shape.n
        dx.setBatch(n)
        let inSample = inputShape.stored(inputLayout) / inputShape.n, outSample = y.shape.stored(outputLayout) / y.shape.n
        let ownInputGradient = inputGradient && route != .thinInput
        let start = DispatchTime.now().uptimeNanoseconds
        for c in context.chunks(n) where parameterGradients || ownInputGradient {
            let p = plan(c.count)
            // In bf16 the gradient's conversion serves both primitives.
            let gradient: UnsafeRawPointer
            if let convert = p.toLowGradient {
                p.fullGradient!.bind(dy.data + c.start * outSample)
                p.diffDestination.bind(lowGradient + c.start * outSample)
                convert.execute()
                gradient = UnsafeRawPointer(lowGradient + c.start * outSample)
            } else {
                gradient = UnsafeRawPointer(dy.data + c.start * outSample)
            }
            if parameterGradients {
                p.weightSource.bind(precision == .bf16 ? UnsafeRawPointer(lowInput + c.start * inSample) : UnsafeRawPointer(x.data + c.start * inSample))
                p.weightDiffDestination.bind(gradient)
                p.backwardWeights.execute()
                p.plainDiff.bind(arena.gradient(weight, chunk: c.index))
                p.toArenaGradient.execute()
                DNNL.flops += flops(c.count)
                if let bias { accumulateChannelSums(dy, samples: c.range, into: arena.gradient(bias, chunk: c.index)) }
            }
            if ownInputGradient {
                reorderWeights(p)  // done already by the forward, except on the thin-output route
                if let f = p.folded {
                    let foldedSample = f.inputShape.count / f.inputShape.n
                    f.diffSource.bind(foldedGradient + c.start * foldedSample)
                    f.diffDestination.bind(gradient)
                    f.backwardData.execute()
                    SpaceToDepth.unfold(foldedGradient + c.start * foldedSample, inputShape.batch(c.count), padding: padding.before,
                                        block: f.block, into: dx.data + c.start * inSample)
                } else {
                    p.diffSource.bind(dx.data + c.start * inSample)
                    p.diffDestination.bind(gradient)
                    p.backwardData.execute()
                }
                DNNL.flops += flops(c.count)
            }
        }
        DNNL.nanoseconds &+= DispatchTime.now().uptimeNanoseconds - start
        if inputGradient && route == .thinInput { return partner!.backward(dy, inputGradient: true, parameterGradients: false) }
        return dx
    }

    /// The three primitives of a convolution, with the activation descriptors they read and write
    /// (fp32 `full`, and the `low` ones the primitives read: bf16 in `Precision.bf16`).
    struct Primitives {
        let forward: DNNLPrimitive, backwardData: DNNLPrimitive, backwardWeights: DNNLPrimitive
        let source: dnnl_memory_desc_t, lowSource: dnnl_memory_desc_t
        let destination: dnnl_memory_desc_t, lowDestination: dnnl_memory_desc_t
        let bias: dnnl_memory_desc_t?

        /// Throws when oneDNN refuses the layer or has only its reference code for an operation
        /// the route runs on it (the one writing a thin side is the partner's, and not run).
        init(_ direction: Direction, input: Shape, inputLayout: Layout, output: Shape, outputLayout: Layout, kernel k: Int, stride: Int,
             padding: Padding, bias hasBias: Bool, precision: Precision, route: ConvolutionRoute = .oneDNN) throws(DNNLError) {
            let deconv: Int32 = direction == .convolution ? 0 : 1
            let OC = output.c, C = input.c, low = precision.dataType
            source = try DNNL.descriptor(input, inputLayout)
            destination = try DNNL.descriptor(output, outputLayout)
            lowSource = try DNNL.descriptor(input, inputLayout, type: low)
            lowDestination = try DNNL.descriptor(output, outputLayout, type: low)
            var weights = try DNNL.descriptor(OC, C, k, k, dnnl_format_tag_any, type: low)
            var diffWeights = try DNNL.descriptor(OC, C, k, k, dnnl_format_tag_any)
            var biasDesc = dnnl_memory_desc_t()
            if hasBias { try DNNL.check(sg_md1(&biasDesc, Int64(OC), dnnl_f32), "bias descriptor") }
            bias = hasBias ? biasDesc : nil
            let (s, before, after) = (Int64(stride), Int64(padding.before), Int64(padding.after))
            var op = dnnl_convolution_desc_t()
            var src = source, dst = destination, lowSrc = lowSource, lowDst = lowDestination
            try withUnsafePointer(to: &biasDesc) { (b: UnsafePointer<dnnl_memory_desc_t>) throws(DNNLError) in
                try DNNL.check(sg_conv_forward(&op, deconv, &lowSrc, &weights, !hasBias ? nil : b, &dst, s, before, after), "forward descriptor")
            }
            let name = "\(direction == .convolution ? "Conv2d" : "ConvTranspose2d") \(C)→\(OC)\(precision == .bf16 ? " bf16" : "")"
            forward = try DNNLPrimitive("\(name) forward", operation: &op)
            try DNNL.check(sg_conv_backward_data(&op, deconv, &src, &weights, &lowDst, s, before, after), "input-gradient descriptor")
            backwardData = try DNNLPrimitive("\(name) input gradient", operation: &op, hint: forward)
            try DNNL.check(sg_conv_backward_weights(&op, deconv, &lowSrc, &diffWeights, &lowDst, s, before, after), "weight-gradient descriptor")
            backwardWeights = try DNNLPrimitive("\(name) weight gradient", operation: &op, hint: forward)
            let used = route == .thinInput ? [forward, backwardWeights] : route == .thinOutput ? [backwardData, backwardWeights] : [forward, backwardData, backwardWeights]
            for p in used where p.implementation.hasPrefix("ref") {
                throw DNNLError("oneDNN has only its reference implementation for \(p.name)")
            }
        }
    }

    /// The implementations of a small blocked convolution (16 → 16 channels, 3×3 on 8×8) in
    /// `precision`; throws if oneDNN has only its reference code for one of them.
    static func probe(precision: Precision) throws(DNNLError) -> String {
        let b = Layout.blocked(DNNL.block)
        let p = try Primitives(.convolution, input: Shape(2, 16, 8, 8), inputLayout: b, output: Shape(2, 16, 8, 8), outputLayout: b,
                               kernel: 3, stride: 1, padding: Padding(1), bias: false, precision: precision)
        return p.forward.implementation
    }

    /// The primitives and memory objects for chunks of `batch` samples.
    final class Plan {
        let forward: DNNLPrimitive
        let backwardData: DNNLPrimitive
        let backwardWeights: DNNLPrimitive
        /// The arena's weights converted for the forward and the input gradient; nil when the
        /// layer runs folded (then those two primitives are never run, and hold no weights).
        let weights: ConvolutionWeights?
        let toArenaGradient: DNNLPrimitive
        /// In bf16: the conversions of an input micro-batch (`fullSource` → `source`) and of an
        /// output gradient (`fullGradient` → `diffDestination`).
        let toLowSource: DNNLPrimitive?, toLowGradient: DNNLPrimitive?
        let fullSource: DNNLMemory?, fullGradient: DNNLMemory?
        let source: DNNLMemory, destination: DNNLMemory, bias: DNNLMemory?
        let diffSource: DNNLMemory, diffDestination: DNNLMemory
        let weightSource: DNNLMemory, weightDiffDestination: DNNLMemory
        let plainDiff: DNNLMemory
        /// The folded forward and input gradient of a layer that runs folded.
        let folded: Folded?
        private let buffers: [UnsafeMutablePointer<UInt8>]
        /// The arena version and sampled weights the reordered weights were made from (0: never).
        var reordered: UInt64 = 0
        var sample: (Float, Float, Float) = (0, 0, 0)

        init(_ layer: DNNLConvolution, batch m: Int) throws(DNNLError) {
            let k = layer.kernel, OC = layer.outChannels, C = layer.inChannels
            let primitives = try Primitives(layer.direction, input: layer.inputShape.batch(m), inputLayout: layer.inputLayout,
                                            output: layer.y.shape.batch(m), outputLayout: layer.outputLayout, kernel: k,
                                            stride: layer.stride, padding: layer.padding, bias: layer.hasBias, precision: layer.precision,
                                            route: layer.route)
            forward = primitives.forward
            backwardData = primitives.backwardData
            backwardWeights = primitives.backwardWeights
            let name = forward.name.dropLast(" forward".count)
            // PyTorch's weights: (OC, C, k, k) for a convolution, (C, OC, k, k) = "iohw" for a transposed one.
            let plain = try DNNL.descriptor(OC, C, k, k, layer.direction == .convolution ? dnnl_oihw : dnnl_iohw)
            let diffWeights = backwardWeights.query(dnnl_query_diff_weights_md)

            let low = layer.precision != .fp32
            source = try DNNLMemory(primitives.lowSource)
            destination = try DNNLMemory(primitives.destination)
            bias = try primitives.bias.map { (d) throws(DNNLError) in try DNNLMemory(d) }
            diffSource = try DNNLMemory(primitives.source)
            diffDestination = try DNNLMemory(primitives.lowDestination)
            weightSource = try DNNLMemory(primitives.lowSource)
            weightDiffDestination = try DNNLMemory(primitives.lowDestination)
            fullSource = low ? try DNNLMemory(primitives.source) : nil
            fullGradient = low ? try DNNLMemory(primitives.destination) : nil
            plainDiff = try DNNLMemory(plain)
            let diffWeightsMemory = try DNNLMemory(diffWeights)
            let buffer: UnsafeMutablePointer<UInt8> = Memory.allocate(diffWeightsMemory.byteCount)
            diffWeightsMemory.bind(buffer)
            buffers = [buffer]

            forward.add(Int32(SG_ARG_SRC), source)
            if let bias { forward.add(Int32(SG_ARG_BIAS), bias) }
            forward.add(Int32(SG_ARG_DST), destination)
            backwardData.add(Int32(SG_ARG_DIFF_SRC), diffSource)
            backwardData.add(Int32(SG_ARG_DIFF_DST), diffDestination)
            backwardWeights.add(Int32(SG_ARG_SRC), weightSource)
            backwardWeights.add(Int32(SG_ARG_DIFF_DST), weightDiffDestination)
            backwardWeights.add(Int32(SG_ARG_DIFF_WEIGHTS), diffWeightsMemory)
            weights = layer.spaceToDepth ? nil : try ConvolutionWeights(plain: plain, forward: forward, backwardData: backwardData, name: String(name))

            toArenaGradient = try DNNLPrimitive(reorder: "\(name) weight gradient", from: diffWeights, to: plain, accumulate: true)
            toArenaGradient.add(Int32(SG_ARG_FROM), diffWeightsMemory)
            toArenaGradient.add(Int32(SG_ARG_TO), plainDiff)
            if let fullSource, let fullGradient {
                let toSource = try DNNLPrimitive(reorder: "\(name) input to bf16", from: primitives.source, to: primitives.lowSource, accumulate: false)
                toSource.add(Int32(SG_ARG_FROM), fullSource)
                toSource.add(Int32(SG_ARG_TO), source)
                let toGradient = try DNNLPrimitive(reorder: "\(name) output gradient to bf16", from: primitives.destination,
                                                   to: primitives.lowDestination, accumulate: false)
                toGradient.add(Int32(SG_ARG_FROM), fullGradient)
                toGradient.add(Int32(SG_ARG_TO), diffDestination)
                (toLowSource, toLowGradient) = (toSource, toGradient)
            } else {
                (toLowSource, toLowGradient) = (nil, nil)
            }
            folded = layer.spaceToDepth ? try Folded(layer, batch: m) : nil
        }

        deinit { for b in buffers { Memory.free(b) } }
    }

    /// A folded layer's `k/2 × k/2` stride-1 forward and input gradient on `inputShape`
    /// (`SpaceToDepth.shape`), with their weights reordered from the folded plain ones.
    final class Folded {
        let inputShape: Shape
        let block: Int
        let forward: DNNLPrimitive, backwardData: DNNLPrimitive
        let weights: ConvolutionWeights
        let source: DNNLMemory, destination: DNNLMemory, bias: DNNLMemory?
        let diffSource: DNNLMemory, diffDestination: DNNLMemory

        init(_ layer: DNNLConvolution, batch m: Int) throws(DNNLError) {
            guard case let .blocked(b) = layer.inputLayout else { preconditionFailure("folding needs the blocked layout") }
            block = b
            inputShape = SpaceToDepth.shape(layer.inputShape.batch(m), padding: layer.padding.before)
            let half = layer.kernel / 2, OC = layer.outChannels
            let primitives = try Primitives(.convolution, input: inputShape, inputLayout: layer.inputLayout, output: layer.y.shape.batch(m),
                                            outputLayout: layer.outputLayout, kernel: half, stride: 1, padding: 0, bias: layer.hasBias,
                                            precision: .fp32)
            forward = primitives.forward
            backwardData = primitives.backwardData
            let name = "\(forward.name.dropLast(" forward".count)) folded"
            let plain = try DNNL.descriptor(OC, inputShape.c, half, half, dnnl_oihw)
            source = try DNNLMemory(primitives.source)
            destination = try DNNLMemory(primitives.destination)
            bias = try primitives.bias.map { (d) throws(DNNLError) in try DNNLMemory(d) }
            diffSource = try DNNLMemory(primitives.source)
            diffDestination = try DNNLMemory(primitives.destination)
            forward.add(Int32(SG_ARG_SRC), source)
            if let bias { forward.add(Int32(SG_ARG_BIAS), bias) }
            forward.add(Int32(SG_ARG_DST), destination)
            backwardData.add(Int32(SG_ARG_DIFF_SRC), diffSource)
            backwardData.add(Int32(SG_ARG_DIFF_DST), diffDestination)
            weights = try ConvolutionWeights(plain: plain, forward: forward, backwardData: backwardData, name: name)
        }
    }

    /// Weights in the formats a forward and an input-gradient primitive chose (one buffer when
    /// they chose the same), reordered from plain ones (`convert`); added to both primitives.
    final class ConvolutionWeights {
        private let plain: DNNLMemory
        private let toForward: DNNLPrimitive
        /// Nil when the input gradient reads the forward's format.
        private let toBackward: DNNLPrimitive?
        private let buffers: [UnsafeMutablePointer<UInt8>]

        init(plain descriptor: dnnl_memory_desc_t, forward: DNNLPrimitive, backwardData: DNNLPrimitive, name: String) throws(DNNLError) {
            var forwardFormat = forward.query(dnnl_query_weights_md), backwardFormat = backwardData.query(dnnl_query_weights_md)
            let same = dnnl_memory_desc_equal(&forwardFormat, &backwardFormat) != 0
            plain = try DNNLMemory(descriptor)
            let forwardWeights = try DNNLMemory(forwardFormat)
            let backwardWeights = same ? forwardWeights : try DNNLMemory(backwardFormat)
            var owned: [UnsafeMutablePointer<UInt8>] = []
            for memory in same ? [forwardWeights] : [forwardWeights, backwardWeights] {
                let buffer: UnsafeMutablePointer<UInt8> = Memory.allocate(memory.byteCount)
                memory.bind(buffer)
                owned.append(buffer)
            }
            buffers = owned
            forward.add(Int32(SG_ARG_WEIGHTS), forwardWeights)
            backwardData.add(Int32(SG_ARG_WEIGHTS), backwardWeights)
            toForward = try DNNLPrimitive(reorder: "\(name) weights", from: descriptor, to: forwardFormat, accumulate: false)
            toForward.add(Int32(SG_ARG_FROM), plain)
            toForward.add(Int32(SG_ARG_TO), forwardWeights)
            if same {
                toBackward = nil
            } else {
                let reorder = try DNNLPrimitive(reorder: "\(name) weights for the input gradient", from: descriptor, to: backwardFormat, accumulate: false)
                reorder.add(Int32(SG_ARG_FROM), plain)
                reorder.add(Int32(SG_ARG_TO), backwardWeights)
                toBackward = reorder
            }
        }

        deinit { for b in buffers { Memory.free(b) } }

        /// Reorders the plain weights at `values` into both formats.
        func convert(from values: UnsafePointer<Float>) {
            plain.bind(values)
            toForward.execute()
            toBackward?.execute()
        }
    }
}
