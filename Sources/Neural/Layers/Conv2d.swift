/// 2-D convolution as PyTorch's `nn.Conv2d` (no dilation, no groups):
/// `x (n, C, H, W)` → `y (n, OC, OH, OW)` with weight `(OC, C, k, k)` and optional bias `(OC)`,
/// `OH = (H + before + after - k) / stride + 1` (`Padding`; PyTorch's when both are `padding`).
///
/// Per micro-batch of `m` samples: `cols (C*k*k, m*P) = im2col(x_c)`, one GEMM
/// `Y (OC, m*P) = W · cols`, then `Y` is regrouped to NCHW. Each layer keeps its forward `cols`
/// (micro-batch after micro-batch) for the weight gradient of the backward that follows
/// (im2col is memory-bound: recomputing it cost more than the memory); the backward's `dcols`
/// use the network's shared scratch matrix. Input and output may each be plain or blocked
/// (`Layout`): the gathers and scatters around the GEMMs read and write either at no extra cost.
public final class Conv2d: Layer {
    public let geometry: ConvGeometry
    public let outChannels: Int
    let arena: ParameterArena
    let workspace: Workspace
    let context: LayerContext
    public let weight: ParameterArena.Slice
    public let bias: ParameterArena.Slice?
    let y: Tensor
    let dx: Tensor
    public let inputLayout: Layout
    public let outputLayout: Layout
    /// `(C*k*k, n*P)` in micro-batch blocks: im2col of the last forward's input.
    private let columns: UnsafeMutablePointer<Float>
    /// False for the partner of a oneDNN layer with a thin input (`inputGradientOf`): it shares
    /// that layer's parameters and runs only the input gradient, so it keeps no columns.
    private let runsForward: Bool
    private var x: Tensor!

    public init(name: String, input: Shape, outChannels: Int, kernel: Int, stride: Int, padding: Padding,
                bias hasBias: Bool, weightInit: Initialization, biasInit: Initialization? = nil,
                inputLayout: Layout = .plain, outputLayout: Layout = .plain,
                arena: ParameterArena, workspace: Workspace, context: LayerContext, inputGradientOf owner: ConvolutionParameters? = nil) {
        geometry = ConvGeometry(channels: input.c, height: input.h, width: input.w,
                                kernel: kernel, stride: stride, padding: padding)
        precondition(geometry.outHeight > 0 && geometry.outWidth > 0, "Conv2d \(name): empty output for input \(input)")
        self.outChannels = outChannels
        self.arena = arena
        self.workspace = workspace
        self.context = context
        if let owner {
            (weight, bias) = (owner.weight, owner.bias)
        } else {
            weight = arena.reserve("\(name).weight", shape: [outChannels, input.c, kernel, kernel], initialization: weightInit)
            let bound = 1 / Float(geometry.patch).squareRoot()
            bias = hasBias ? arena.reserve("\(name).bias", shape: [outChannels], initialization: biasInit ?? .uniform(bound: bound)) : nil
        }
        runsForward = owner == nil
        self.inputLayout = inputLayout
        self.outputLayout = outputLayout
        // An input-gradient partner writes no output (one sample's worth stands in).
        y = Tensor(Shape(runsForward ? input.n : 1, outChannels, geometry.outHeight, geometry.outWidth), layout: outputLayout)
        dx = Tensor(input, layout: inputLayout)
        columns = Memory.allocate(runsForward ? geometry.patch * input.n * geometry.positions : 0)
        workspace.require(columns: geometry.patch * input.n * geometry.positions, staging: input.n * outChannels * geometry.positions)
    }

    deinit { Memory.free(columns) }

    /// Bytes of output, input gradient and kept columns for `input`.
    public static func bytes(input: Shape, geometry g: ConvGeometry, outChannels: Int) -> Int {
        4 * (input.n * outChannels * g.positions + input.count + g.patch * input.n * g.positions)
    }

    public var outputShape: Shape { y.shape }

    public func forward(_ x: Tensor) -> Tensor {
        precondition(runsForward, "Conv2d: this layer computes input gradients only")
        self.x = x
        let g = geometry, plane = inputLayout.storedChannels(g.channels) * g.height * g.width
        let out = outputLayout.storedChannels(outChannels) * g.positions
        y.setBatch(x.shape.n)
        for c in context.chunks(x.shape.n) {
            let cols = columns + g.patch * c.start * g.positions, width = c.count * g.positions
            im2col(x.data + c.start * plane, batch: c.count, g, layout: inputLayout, into: cols)
            // Y (OC, m*P) = W (OC, C*k*k) · cols (C*k*k, m*P)
            gemm(transA: false, transB: false, m: outChannels, n: width, k: g.patch,
                 a: arena.value(weight), lda: g.patch, b: cols, ldb: width,
                 beta: 0, c: workspace.staging, ldc: width)
            channelToBatchMajor(workspace.staging, n: c.count, c: outChannels, p: g.positions, into: y.data + c.start * out, layout: outputLayout)
        }
        if let bias { addChannelBias(arena.value(bias), to: y) }
        return y
    }

    public func backward(_ dy: Tensor, inputGradient: Bool, parameterGradients: Bool) -> Tensor {
        let n = dy.shape.n, g = geometry, plane = inputLayout.storedChannels(g.channels) * g.height * g.width
        let out = outputLayout.storedChannels(outChannels) * g.positions
        dx.setBatch(n)
        precondition(runsForward || !parameterGradients, "Conv2d: this layer computes input gradients only")
        for c in context.chunks(n) {
            let width = c.count * g.positions
            // dY (OC, m*P), channel-major
            batchToChannelMajor(dy.data + c.start * out, n: c.count, c: outChannels, p: g.positions, layout: outputLayout, into: workspace.staging)
            if parameterGradients {
                // dW (OC, C*k*k) += dY (OC, m*P) · colsᵀ (m*P, C*k*k), with the forward's cols
                gemm(transA: false, transB: true, m: outChannels, n: g.patch, k: width,
                     a: workspace.staging, lda: width, b: columns + g.patch * c.start * g.positions, ldb: width,
                     beta: 1, c: arena.gradient(weight, chunk: c.index), ldc: g.patch)
                if let bias {
                    accumulateChannelSums(workspace.staging, channels: outChannels, length: width, into: arena.gradient(bias, chunk: c.index))
                }
            }
            if inputGradient {
                // dcols (C*k*k, m*P) = Wᵀ (C*k*k, OC) · dY (OC, m*P), then scattered back
                gemm(transA: true, transB: false, m: g.patch, n: width, k: outChannels,
                     a: arena.value(weight), lda: g.patch, b: workspace.staging, ldb: width,
                     beta: 0, c: workspace.columns, ldc: width)
                let target = dx.data + c.start * plane
                target.update(repeating: 0, count: c.count * plane)
                col2im(workspace.columns, batch: c.count, g, layout: inputLayout, addingInto: target)
            }
        }
        return dx
    }
}

/// `y[s, c, :, :] += b[c]` for a tensor `(n, C, H, W)` in any layout.
func addChannelBias(_ b: UnsafePointer<Float>, to y: Tensor) {
    let P = y.shape.plane, C = y.shape.c
    for s in 0..<y.shape.n {
        for ch in 0..<C {
            let (offset, step) = y.layout.plane(sample: s, channel: ch, channels: C, pixels: P)
            let p = y.data + offset, v = b[ch]
            for i in 0..<P { p[i * step] += v }
        }
    }
}

/// `out[c] += Σ_{s in samples, pixels} t[s, c, …]`, summed in Double, for `t` in any layout.
func accumulateChannelSums(_ t: Tensor, samples: Range<Int>, into out: UnsafeMutablePointer<Float>) {
    let P = t.shape.plane, C = t.shape.c
    for ch in 0..<C {
        var sum = 0.0
        for s in samples {
            let (offset, step) = t.layout.plane(sample: s, channel: ch, channels: C, pixels: P)
            let p = t.data + offset
            for i in 0..<P { sum += Double(p[i * step]) }
        }
        out[ch] += Float(sum)
    }
}

/// `out[c] += Σ_j m[c, j]` for a row-major `(channels, length)` matrix, summed in Double.
func accumulateChannelSums(_ m: UnsafePointer<Float>, channels: Int, length: Int, into out: UnsafeMutablePointer<Float>) {
    for ch in 0..<channels {
        let row = m + ch * length
        var sum = 0.0
        for j in 0..<length { sum += Double(row[j]) }
        out[ch] += Float(sum)
    }
}
