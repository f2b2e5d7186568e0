/// 2-D convolution as PyTorch's `nn.Conv2d` (no dilation, no groups):
/// `x (n, C, H, W)` → `y (n, OC, OH, OW)` with weight `(OC, C, k, k)` and optional bias `(OC)`,
/// `OH = (H + 2*padding - k) / stride + 1`.
///
/// Forward: `cols (C*k*k, n*P) = im2col(x)`, then one GEMM `Y (OC, n*P) = W · cols`,
/// then `Y` is regrouped to NCHW. Each layer keeps its own `cols` for the weight gradient of
/// the backward that follows (im2col is memory-bound: recomputing it cost more than the
/// memory); the backward's `dcols` use the network's shared scratch matrix.
public final class Conv2d: Layer {
    public let geometry: ConvGeometry
    public let outChannels: Int
    let arena: ParameterArena
    let workspace: Workspace
    public let weight: ParameterArena.Slice
    public let bias: ParameterArena.Slice?
    let y: Tensor
    let dx: Tensor
    /// `(C*k*k, n*P)`: im2col of the last forward's input.
    private let columns: UnsafeMutablePointer<Float>
    private var x: Tensor!

    public init(name: String, input: Shape, outChannels: Int, kernel: Int, stride: Int, padding: Int,
                bias hasBias: Bool, weightInit: Initialization, arena: ParameterArena, workspace: Workspace) {
        geometry = ConvGeometry(channels: input.c, height: input.h, width: input.w,
                                kernel: kernel, stride: stride, padding: padding)
        precondition(geometry.outHeight > 0 && geometry.outWidth > 0, "Conv2d \(name): empty output for input \(input)")
        self.outChannels = outChannels
        self.arena = arena
        self.workspace = workspace
        weight = arena.reserve("\(name).weight", shape: [outChannels, input.c, kernel, kernel], initialization: weightInit)
        let bound = 1 / Float(geometry.patch).squareRoot()
        bias = hasBias ? arena.reserve("\(name).bias", shape: [outChannels], initialization: .uniform(bound: bound)) : nil
        y = Tensor(Shape(input.n, outChannels, geometry.outHeight, geometry.outWidth))
        dx = Tensor(input)
        let columnsCount = geometry.patch * input.n * geometry.positions
        columns = .allocate(capacity: columnsCount)
        columns.initialize(repeating: 0, count: columnsCount)
        workspace.require(columns: columnsCount, staging: y.capacity)
    }

    deinit { columns.deallocate() }

    public var outputShape: Shape { y.shape }

    public func forward(_ x: Tensor) -> Tensor {
        self.x = x
        let n = x.shape.n, g = geometry, positions = n * g.positions
        y.setBatch(n)
        im2col(x.data, batch: n, g, into: columns)
        // Y (OC, n*P) = W (OC, C*k*k) · cols (C*k*k, n*P)
        gemm(transA: false, transB: false, m: outChannels, n: positions, k: g.patch,
             a: arena.value(weight), lda: g.patch, b: columns, ldb: positions,
             beta: 0, c: workspace.staging, ldc: positions)
        channelToBatchMajor(workspace.staging, n: n, c: outChannels, p: g.positions, into: y.data)
        if let bias { addChannelBias(arena.value(bias), to: y) }
        return y
    }

    public func backward(_ dy: Tensor, inputGradient: Bool, parameterGradients: Bool) -> Tensor {
        let n = dy.shape.n, g = geometry, positions = n * g.positions
        dx.setBatch(n)
        // dY (OC, n*P), channel-major
        batchToChannelMajor(dy.data, n: n, c: outChannels, p: g.positions, into: workspace.staging)
        if parameterGradients {
            // dW (OC, C*k*k) += dY (OC, n*P) · colsᵀ (n*P, C*k*k), with the forward's cols
            gemm(transA: false, transB: true, m: outChannels, n: g.patch, k: positions,
                 a: workspace.staging, lda: positions, b: columns, ldb: positions,
                 beta: 1, c: arena.gradient(weight), ldc: g.patch)
            if let bias { accumulateChannelSums(workspace.staging, channels: outChannels, length: positions, into: arena.gradient(bias)) }
        }
        if inputGradient {
            // dcols (C*k*k, n*P) = Wᵀ (C*k*k, OC) · dY (OC, n*P), then scattered back
            gemm(transA: true, transB: false, m: g.patch, n: positions, k: outChannels,
                 a: arena.value(weight), lda: g.patch, b: workspace.staging, ldb: positions,
                 beta: 0, c: workspace.columns, ldc: positions)
            dx.fill(0)
            col2im(workspace.columns, batch: n, g, addingInto: dx.data)
        }
        return dx
    }
}

/// `y[s, c, :, :] += b[c]` for a tensor `(n, C, H, W)`.
func addChannelBias(_ b: UnsafePointer<Float>, to y: Tensor) {
    let plane = y.shape.plane, c = y.shape.c
    for s in 0..<y.shape.n {
        for ch in 0..<c {
            let p = y.data + (s * c + ch) * plane
            let v = b[ch]
            for i in 0..<plane { p[i] += v }
        }
    }
}

/// `out[c] += Σ_j m[c, j]` for a row-major `(channels, length)` matrix.
func accumulateChannelSums(_ m: UnsafePointer<Float>, channels: Int, length: Int, into out: UnsafeMutablePointer<Float>) {
    for ch in 0..<channels {
        let row = m + ch * length
        var sum: Float = 0
        for j in 0..<length { sum += row[j] }
        out[ch] += sum
    }
}
