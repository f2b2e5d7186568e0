/// Transposed 2-D convolution as PyTorch's `nn.ConvTranspose2d` (no output padding,
/// dilation or groups): `x (n, C, H, W)` → `y (n, OC, OH, OW)` with weight `(C, OC, k, k)`,
/// `OH = (H - 1)*stride - before - after + k`, and an optional bias `(OC)`. It is the adjoint of a `Conv2d` with
/// the same kernel, stride and padding that maps `y`'s shape to `x`'s; TensorFlow's 'same' transposed convolution
/// is the one with `Padding.sameTransposed` (PyTorch's `ConvTranspose2d` with padding 0 followed by a crop of
/// `before` rows and columns at the top and left and `after` at the bottom and right).
///
/// Per micro-batch: `X (C, m*HW)` channel-major, one GEMM `cols (OC*k*k, m*HW) = Wᵀ · X`,
/// then `col2im` scatters the columns into `y`. Backward: `cols = im2col(dy)` and two GEMMs.
///
/// From one pixel without padding (a generator's first layer, latent → `k×k`), the columns are
/// the output: `Y (m, OC*k*k) = X (m, C) · W (C, OC*k*k)` is `y` in the plain layout, and the
/// gradients are `dW = Xᵀ · dY` and `dX = dY · Wᵀ`, with no im2col, col2im or transposition
/// (only a layout change when `y` is blocked). oneDNN ran this layer at 11–45 GFLOP/s (64×64×3:
/// 19.3 ms per step; this takes 3.5), so `Backend.route` sends it here under either backend.
public final class ConvTranspose2d: Layer {
    /// The adjoint convolution's geometry: from `y`'s shape `(OC, OH, OW)` to `x`'s `(H, W)`.
    public let geometry: ConvGeometry
    public let inChannels: Int
    let arena: ParameterArena
    let workspace: Workspace
    let context: LayerContext
    public let weight: ParameterArena.Slice
    public let bias: ParameterArena.Slice?
    let y: Tensor
    let dx: Tensor
    public let inputLayout: Layout
    public let outputLayout: Layout
    /// False for the partner of a oneDNN layer with a thin output (`forwardOf`): it runs only
    /// the forward.
    private let runsBackward: Bool
    /// One input pixel, no padding: the GEMMs without columns (`forwardFromOnePixel`).
    public let fromOnePixel: Bool
    private var x: Tensor!

    public init(name: String, input: Shape, outChannels: Int, kernel: Int, stride: Int, padding: Padding, bias hasBias: Bool = false,
                weightInit: Initialization, biasInit: Initialization? = nil,
                inputLayout: Layout = .plain, outputLayout: Layout = .plain, arena: ParameterArena, workspace: Workspace, context: LayerContext,
                forwardOf owner: ConvolutionParameters? = nil) {
        let oh = (input.h - 1) * stride - padding.total + kernel
        let ow = (input.w - 1) * stride - padding.total + kernel
        precondition(oh > 0 && ow > 0, "ConvTranspose2d \(name): empty output for input \(input)")
        geometry = ConvGeometry(channels: outChannels, height: oh, width: ow, kernel: kernel, stride: stride, padding: padding)
        precondition(geometry.outHeight == input.h && geometry.outWidth == input.w)
        inChannels = input.c
        self.arena = arena
        self.workspace = workspace
        self.context = context
        if let owner {
            // The partner of a oneDNN layer with a thin output: its forward, on that layer's parameters.
            (weight, bias) = (owner.weight, owner.bias)
        } else {
            weight = arena.reserve("\(name).weight", shape: [input.c, outChannels, kernel, kernel], initialization: weightInit)
            // PyTorch's default bias bound for ConvTranspose2d: fan_in = weight.size(1) * k * k.
            let bound = 1 / Float(outChannels * kernel * kernel).squareRoot()
            bias = hasBias ? arena.reserve("\(name).bias", shape: [outChannels], initialization: biasInit ?? .uniform(bound: bound)) : nil
        }
        self.inputLayout = inputLayout
        self.outputLayout = outputLayout
        y = Tensor(Shape(input.n, outChannels, oh, ow), layout: outputLayout)
        // A forward-only partner keeps no input gradient (one sample's worth stands in).
        dx = Tensor(owner == nil ? input : input.batch(1), layout: inputLayout)
        runsBackward = owner == nil
        fromOnePixel = Self.fromOnePixel(input: input, padding: padding)
        workspace.require(columns: geometry.patch * input.n * input.plane, staging: input.count)
    }

    /// Whether a layer on `input` with `padding` runs from one pixel (`forwardFromOnePixel`).
    public static func fromOnePixel(input: Shape, padding: Padding) -> Bool { input.plane == 1 && padding.total == 0 }

    /// Bytes of output and input gradient for `input`.
    public static func bytes(input: Shape, outChannels: Int, outHeight: Int, outWidth: Int) -> Int {
        4 * (input.n * outChannels * outHeight * outWidth + input.count)
    }

    public var outputShape: Shape { y.shape }

    public func forward(_ x: Tensor) -> Tensor {
        self.x = x
        let g = geometry, plane = x.shape.plane, inSample = inputLayout.storedChannels(inChannels) * plane
        let out = outputLayout.storedChannels(g.channels) * g.height * g.width
        y.setBatch(x.shape.n)
        if fromOnePixel {
            forwardFromOnePixel(x)
            if let bias { addChannelBias(arena.value(bias), to: y) }
            return y
        }
        for c in context.chunks(x.shape.n) {
            let width = c.count * plane
            batchToChannelMajor(x.data + c.start * inSample, n: c.count, c: inChannels, p: plane, layout: inputLayout, into: workspace.staging)
            // cols (OC*k*k, m*HW) = Wᵀ (OC*k*k, C) · X (C, m*HW)
            gemm(transA: true, transB: false, m: g.patch, n: width, k: inChannels,
                 a: arena.value(weight), lda: g.patch, b: workspace.staging, ldb: width,
                 beta: 0, c: workspace.columns, ldc: width)
            let target = y.data + c.start * out
            target.update(repeating: 0, count: c.count * out)
            col2im(workspace.columns, batch: c.count, g, layout: outputLayout, addingInto: target)
        }
        if let bias { addChannelBias(arena.value(bias), to: y) }
        return y
    }

    public func backward(_ dy: Tensor, inputGradient: Bool, parameterGradients: Bool) -> Tensor {
        precondition(runsBackward, "ConvTranspose2d: this layer computes the forward only")
        let n = dy.shape.n, g = geometry, plane = x.shape.plane, inSample = inputLayout.storedChannels(inChannels) * plane
        let out = outputLayout.storedChannels(g.channels) * g.height * g.width
        dx.setBatch(n)
        for c in context.chunks(n) {
            if fromOnePixel {
                backwardFromOnePixel(dy, c, inputGradient: inputGradient, parameterGradients: parameterGradients)
                continue
            }
            let width = c.count * plane
            im2col(dy.data + c.start * out, batch: c.count, g, layout: outputLayout, into: workspace.columns)
            if parameterGradients, let bias {
                // Σ dy over the micro-batch's samples and positions, in Double: a bias gradient is a
                // sum of thousands of terms of both signs, and float rounding would depend on the order.
                accumulateChannelSums(dy, samples: c.range, into: arena.gradient(bias, chunk: c.index))
            }
            if parameterGradients {
                batchToChannelMajor(x.data + c.start * inSample, n: c.count, c: inChannels, p: plane, layout: inputLayout, into: workspace.staging)
                // dW (C, OC*k*k) += X (C, m*HW) · colsᵀ (m*HW, OC*k*k)
                gemm(transA: false, transB: true, m: inChannels, n: g.patch, k: width,
                     a: workspace.staging, lda: width, b: workspace.columns, ldb: width,
                     beta: 1, c: arena.gradient(weight, chunk: c.index), ldc: g.patch)
            }
            if inputGradient {
                // dX (C, m*HW) = W (C, OC*k*k) · cols (OC*k*k, m*HW)
                gemm(transA: false, transB: false, m: inChannels, n: width, k: g.patch,
                     a: arena.value(weight), lda: g.patch, b: workspace.columns, ldb: width,
                     beta: 0, c: workspace.staging, ldc: width)
                channelToBatchMajor(workspace.staging, n: c.count, c: inChannels, p: plane, into: dx.data + c.start * inSample, layout: inputLayout)
            }
        }
        return dx
    }

    /// `Y (m, OC*k*k) = X (m, C) · W (C, OC*k*k)` per micro-batch: `X` is the input as stored
    /// (one pixel: a sample's channels are a row, `C'` apart), `Y` is `y` in the plain layout,
    /// written in place or into the columns and then moved into the blocked layout.
    private func forwardFromOnePixel(_ x: Tensor) {
        let g = geometry, stored = inputLayout.storedChannels(inChannels), out = outputLayout.storedChannels(g.channels) * g.height * g.width
        for c in context.chunks(x.shape.n) {
            let plain: UnsafeMutablePointer<Float> = outputLayout == .plain ? y.data + c.start * out : workspace.columns
            gemm(transA: false, transB: false, m: c.count, n: g.patch, k: inChannels,
                 a: x.data + c.start * stored, lda: stored, b: arena.value(weight), ldb: g.patch,
                 beta: 0, c: plain, ldc: g.patch)
            if outputLayout != .plain {
                changeLayout(plain, .plain, to: y.data + c.start * out, outputLayout, n: c.count, c: g.channels, p: g.height * g.width)
            }
        }
    }

    /// Micro-batch `c` of the backward from one pixel: `dY` plain (`dy` itself, or moved into
    /// the columns), `dW (C, OC*k*k) += Xᵀ · dY`, `dX (m, C) = dY · Wᵀ`.
    private func backwardFromOnePixel(_ dy: Tensor, _ c: Chunks.Chunk, inputGradient: Bool, parameterGradients: Bool) {
        let g = geometry, stored = inputLayout.storedChannels(inChannels), out = outputLayout.storedChannels(g.channels) * g.height * g.width
        let plain: UnsafeMutablePointer<Float>
        if outputLayout == .plain {
            plain = dy.data + c.start * out
        } else {
            plain = workspace.columns!
            changeLayout(dy.data + c.start * out, outputLayout, to: plain, .plain, n: c.count, c: g.channels, p: g.height * g.width)
        }
        if parameterGradients {
            if let bias { accumulateChannelSums(dy, samples: c.range, into: arena.gradient(bias, chunk: c.index)) }
            gemm(transA: true, transB: false, m: inChannels, n: g.patch, k: c.count,
                 a: x.data + c.start * stored, lda: stored, b: plain, ldb: g.patch,
                 beta: 1, c: arena.gradient(weight, chunk: c.index), ldc: g.patch)
        }
        if inputGradient {
            // The padding channels of a blocked `dx` are never written: they stay zero.
            gemm(transA: false, transB: true, m: c.count, n: inChannels, k: g.patch,
                 a: plain, lda: g.patch, b: arena.value(weight), ldb: g.patch,
                 beta: 0, c: dx.data + c.start * stored, ldc: stored)
        }
    }
}
