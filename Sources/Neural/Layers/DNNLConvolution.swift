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
    /// Counts forwards, so each plan reorders its weights once per forward.
    private var generation = 0

    public var kind: String { direction == .convolution ? "Conv2d" : "ConvTranspose2d" }
    /// oneDNN's implementations of forward, input gradient and weight gradient.
    public var algorithm: String {
        plans.values.first.map { "oneDNN \($0.forward.implementation) / \($0.backwardData.implementation) / \($0.backwardWeights.implementation)" } ?? "oneDNN"
    }
    public var outputShape: Shape { y.shape }

    /// Output spatial size for an input of `size` pixels.
    public static func outputSize(_ size: Int, _ direction: Direction, kernel: Int, stride: Int, padding: Padding) -> Int {
        direction == .convolution ? (size + padding.total - kernel) / stride + 1 : (size - 1) * stride - padding.total + kernel
    }

    /// Throws when oneDNN has no fast implementation for this layer (then the caller builds the
    /// OpenBLAS one); `microBatch` is the chunk size its primitives are made for first.
    public init(name: String, direction: Direction, input: Shape, outChannels: Int, kernel: Int, stride: Int, padding: Padding,
                bias hasBias: Bool, weightInit: Initialization, biasInit: Initialization?, inputLayout: Layout,
                arena: ParameterArena, context: LayerContext, microBatch: Int) throws(DNNLError) {
        self.direction = direction
        inChannels = input.c
        self.outChannels = outChannels
        self.kernel = kernel
        self.stride = stride
        self.padding = padding
        self.inputLayout = inputLayout
        outputLayout = .blocked(DNNL.block)
        self.arena = arena
        self.context = context
        inputShape = input
        let oh = Self.outputSize(input.h, direction, kernel: kernel, stride: stride, padding: padding)
        let ow = Self.outputSize(input.w, direction, kernel: kernel, stride: stride, padding: padding)
        precondition(oh > 0 && ow > 0, "\(name): empty output for input \(input)")
        y = Tensor(Shape(input.n, outChannels, oh, ow), layout: outputLayout)
        dx = Tensor(input, layout: inputLayout)
        self.hasBias = hasBias
        // The primitives first: should oneDNN refuse, nothing is reserved in the arena.
        let first = microBatch > 0 ? min(microBatch, input.n) : input.n
        plans[first] = try Plan(self, batch: first)
        let conv = direction == .convolution
        weight = arena.reserve("\(name).weight", shape: conv ? [outChannels, input.c, kernel, kernel] : [input.c, outChannels, kernel, kernel],
                               initialization: weightInit)
        // PyTorch's default bias bounds: fan_in = C·k·k for Conv2d, weight.size(1)·k·k = OC·k·k for ConvTranspose2d.
        let bound = 1 / Float((conv ? input.c : outChannels) * kernel * kernel).squareRoot()
        bias = hasBias ? arena.reserve("\(name).bias", shape: [outChannels], initialization: biasInit ?? .uniform(bound: bound)) : nil
    }

    /// Bytes of output and input gradient for `input` (the primitives' buffers are not counted).
    public static func bytes(input: Shape, inputLayout: Layout, output: Shape) -> Int {
        4 * (output.stored(.blocked(DNNL.block)) + input.stored(inputLayout))
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

    public func forward(_ x: Tensor) -> Tensor {
        self.x = x
        generation &+= 1
        y.setBatch(x.shape.n)
        let inSample = inputShape.stored(inputLayout) / inputShape.n, outSample = y.shape.stored(outputLayout) / y.shape.n
        let start = DispatchTime.now().uptimeNanoseconds
        for c in context.chunks(x.shape.n) {
            let p = plan(c.count)
            if p.reordered != generation {
                p.plainWeights.bind(arena.value(weight))
                p.toForwardWeights.execute()
                if let toBackward = p.toBackwardWeights { toBackward.execute() }
                p.reordered = generation
            }
            p.source.bind(x.data + c.start * inSample)
            p.destination.bind(y.data + c.start * outSample)
            if let bias { p.bias?.bind(arena.value(bias)) }
            p.forward.execute()
            DNNL.flops += flops(c.count)
        }
        DNNL.nanoseconds &+= DispatchTime.now().uptimeNanoseconds - start
        return y
    }

    public func backward(_ dy: Tensor, inputGradient: Bool, parameterGradients: Bool) -> Tensor {
        let n = dy.shape.n
        dx.setBatch(n)
        let inSample = inputShape.stored(inputLayout) / inputShape.n, outSample = y.shape.stored(outputLayout) / y.shape.n
        let start = DispatchTime.now().uptimeNanoseconds
        for c in context.chunks(n) {
            let p = plan(c.count)
            if parameterGradients {
                p.weightSource.bind(x.data + c.start * inSample)
                p.weightDiffDestination.bind(dy.data + c.start * outSample)
                p.backwardWeights.execute()
                p.plainDiff.bind(arena.gradient(weight, chunk: c.index))
                p.toArenaGradient.execute()
                DNNL.flops += flops(c.count)
                if let bias { accumulateChannelSums(dy, samples: c.range, into: arena.gradient(bias, chunk: c.index)) }
            }
            if inputGradient {
                p.diffSource.bind(dx.data + c.start * inSample)
                p.diffDestination.bind(dy.data + c.start * outSample)
                p.backwardData.execute()
                DNNL.flops += flops(c.count)
            }
        }
        DNNL.nanoseconds &+= DispatchTime.now().uptimeNanoseconds - start
        return dx
    }

    /// The primitives and memory objects for chunks of `batch` samples.
    final class Plan {
        let forward: DNNLPrimitive
        let backwardData: DNNLPrimitive
        let backwardWeights: DNNLPrimitive
        let toForwardWeights: DNNLPrimitive
        /// Nil when the input gradient reads the forward's weight format.
        let toBackwardWeights: DNNLPrimitive?
        let toArenaGradient: DNNLPrimitive
        let source: DNNLMemory, destination: DNNLMemory, bias: DNNLMemory?
        let diffSource: DNNLMemory, diffDestination: DNNLMemory
        let weightSource: DNNLMemory, weightDiffDestination: DNNLMemory
        let plainWeights: DNNLMemory, plainDiff: DNNLMemory
        private let buffers: [UnsafeMutablePointer<UInt8>]
        var reordered = 0

        init(_ layer: DNNLConvolution, batch m: Int) throws(DNNLError) {
            let deconv: Int32 = layer.direction == .convolution ? 0 : 1
            let inShape = layer.inputShape.batch(m), outShape = layer.y.shape.batch(m)
            let k = layer.kernel, OC = layer.outChannels, C = layer.inChannels
            let src = try DNNL.descriptor(inShape, layer.inputLayout), dst = try DNNL.descriptor(outShape, layer.outputLayout)
            let anyWeights = try DNNL.descriptor(OC, C, k, k, dnnl_format_tag_any)
            // PyTorch's weights: (OC, C, k, k) for a convolution, (C, OC, k, k) = "iohw" for a transposed one.
            let plain = try DNNL.descriptor(OC, C, k, k, deconv == 0 ? dnnl_oihw : dnnl_iohw)
            var biasDesc = dnnl_memory_desc_t()
            if layer.hasBias { try DNNL.check(sg_md1(&biasDesc, Int64(OC), dnnl_f32), "bias descriptor") }
            let (s, before, after) = (Int64(layer.stride), Int64(layer.padding.before), Int64(layer.padding.after))
            var op = dnnl_convolution_desc_t()
            var srcD = src, dstD = dst, weightsD = anyWeights
            try withUnsafePointer(to: &biasDesc) { (b: UnsafePointer<dnnl_memory_desc_t>) throws(DNNLError) in
                try DNNL.check(sg_conv_forward(&op, deconv, &srcD, &weightsD, !layer.hasBias ? nil : b, &dstD, s, before, after), "forward descriptor")
            }
            let name = "\(layer.kind) \(C)→\(OC)"
            forward = try DNNLPrimitive("\(name) forward", operation: &op)
            try DNNL.check(sg_conv_backward_data(&op, deconv, &srcD, &weightsD, &dstD, s, before, after), "input-gradient descriptor")
            backwardData = try DNNLPrimitive("\(name) input gradient", operation: &op, hint: forward)
            try DNNL.check(sg_conv_backward_weights(&op, deconv, &srcD, &weightsD, &dstD, s, before, after), "weight-gradient descriptor")
            backwardWeights = try DNNLPrimitive("\(name) weight gradient", operation: &op, hint: forward)
            for p in [forward, backwardData, backwardWeights] where p.implementation.hasPrefix("ref") {
                throw DNNLError("oneDNN has only its reference implementation for \(p.name)")
            }
            var forwardWeights = forward.query(dnnl_query_weights_md), backwardWeightsFormat = backwardData.query(dnnl_query_weights_md)
            let diffWeights = backwardWeights.query(dnnl_query_diff_weights_md)
            let sameWeights = dnnl_memory_desc_equal(&forwardWeights, &backwardWeightsFormat) != 0

            source = try DNNLMemory(src)
            destination = try DNNLMemory(dst)
            bias = !layer.hasBias ? nil : try DNNLMemory(biasDesc)
            diffSource = try DNNLMemory(src)
            diffDestination = try DNNLMemory(dst)
            weightSource = try DNNLMemory(src)
            weightDiffDestination = try DNNLMemory(dst)
            plainWeights = try DNNLMemory(plain)
            plainDiff = try DNNLMemory(plain)
            let blockedWeights = try DNNLMemory(forwardWeights)
            let backwardWeightsMemory = sameWeights ? blockedWeights : try DNNLMemory(backwardWeightsFormat)
            let diffWeightsMemory = try DNNLMemory(diffWeights)
            var owned: [UnsafeMutablePointer<UInt8>] = []
            for memory in sameWeights ? [blockedWeights, diffWeightsMemory] : [blockedWeights, backwardWeightsMemory, diffWeightsMemory] {
                let buffer: UnsafeMutablePointer<UInt8> = Memory.allocate(memory.byteCount)
                memory.bind(buffer)
                owned.append(buffer)
            }
            buffers = owned

            forward.add(Int32(SG_ARG_SRC), source)
            forward.add(Int32(SG_ARG_WEIGHTS), blockedWeights)
            if let bias { forward.add(Int32(SG_ARG_BIAS), bias) }
            forward.add(Int32(SG_ARG_DST), destination)
            backwardData.add(Int32(SG_ARG_DIFF_SRC), diffSource)
            backwardData.add(Int32(SG_ARG_WEIGHTS), backwardWeightsMemory)
            backwardData.add(Int32(SG_ARG_DIFF_DST), diffDestination)
            backwardWeights.add(Int32(SG_ARG_SRC), weightSource)
            backwardWeights.add(Int32(SG_ARG_DIFF_DST), weightDiffDestination)
            backwardWeights.add(Int32(SG_ARG_DIFF_WEIGHTS), diffWeightsMemory)

            toForwardWeights = try DNNLPrimitive(reorder: "\(name) weights", from: plain, to: forwardWeights, accumulate: false)
            toForwardWeights.add(Int32(SG_ARG_FROM), plainWeights)
            toForwardWeights.add(Int32(SG_ARG_TO), blockedWeights)
            if sameWeights {
                toBackwardWeights = nil
            } else {
                let reorder = try DNNLPrimitive(reorder: "\(name) weights for the input gradient", from: plain, to: backwardWeightsFormat, accumulate: false)
                reorder.add(Int32(SG_ARG_FROM), plainWeights)
                reorder.add(Int32(SG_ARG_TO), backwardWeightsMemory)
                toBackwardWeights = reorder
            }
            toArenaGradient = try DNNLPrimitive(reorder: "\(name) weight gradient", from: diffWeights, to: plain, accumulate: true)
            toArenaGradient.add(Int32(SG_ARG_FROM), diffWeightsMemory)
            toArenaGradient.add(Int32(SG_ARG_TO), plainDiff)
        }

        deinit { for b in buffers { Memory.free(b) } }
    }
}
