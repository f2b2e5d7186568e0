/// Transposed 2-D convolution as PyTorch's `nn.ConvTranspose2d` (no output padding,
/// dilation or groups): `x (n, C, H, W)` → `y (n, OC, OH, OW)` with weight `(C, OC, k, k)`,
/// `OH = (H - 1)*stride - 2*padding + k`. It is the adjoint of a `Conv2d` with the same
/// kernel, stride and padding that maps `y`'s shape to `x`'s.
///
/// Forward: `X (C, n*HW)` channel-major, one GEMM `cols (OC*k*k, n*HW) = Wᵀ · X`,
/// then `col2im` scatters the columns into `y`. Backward: `cols = im2col(dy)` and two GEMMs.
public final class ConvTranspose2d: Layer {
    /// The adjoint convolution's geometry: from `y`'s shape `(OC, OH, OW)` to `x`'s `(H, W)`.
    public let geometry: ConvGeometry
    public let inChannels: Int
    let arena: ParameterArena
    let workspace: Workspace
    public let weight: ParameterArena.Slice
    let y: Tensor
    let dx: Tensor
    private var x: Tensor!

    public init(name: String, input: Shape, outChannels: Int, kernel: Int, stride: Int, padding: Int,
                weightInit: Initialization, arena: ParameterArena, workspace: Workspace) {
        let oh = (input.h - 1) * stride - 2 * padding + kernel
        let ow = (input.w - 1) * stride - 2 * padding + kernel
        precondition(oh > 0 && ow > 0, "ConvTranspose2d \(name): empty output for input \(input)")
        geometry = ConvGeometry(channels: outChannels, height: oh, width: ow, kernel: kernel, stride: stride, padding: padding)
        precondition(geometry.outHeight == input.h && geometry.outWidth == input.w)
        inChannels = input.c
        self.arena = arena
        self.workspace = workspace
        weight = arena.reserve("\(name).weight", shape: [input.c, outChannels, kernel, kernel], initialization: weightInit)
        y = Tensor(Shape(input.n, outChannels, oh, ow))
        dx = Tensor(input)
        workspace.require(columns: geometry.patch * input.n * input.plane, staging: input.count)
    }

    public var outputShape: Shape { y.shape }

    public func forward(_ x: Tensor) -> Tensor {
        self.x = x
        let n = x.shape.n, g = geometry, positions = n * x.shape.plane
        y.setBatch(n)
        batchToChannelMajor(x.data, n: n, c: inChannels, p: x.shape.plane, into: workspace.staging)
        // cols (OC*k*k, n*HW) = Wᵀ (OC*k*k, C) · X (C, n*HW)
        gemm(transA: true, transB: false, m: g.patch, n: positions, k: inChannels,
             a: arena.value(weight), lda: g.patch, b: workspace.staging, ldb: positions,
             beta: 0, c: workspace.columns, ldc: positions)
        y.fill(0)
        col2im(workspace.columns, batch: n, g, addingInto: y.data)
        return y
    }

    public func backward(_ dy: Tensor, inputGradient: Bool, parameterGradients: Bool) -> Tensor {
        let n = dy.shape.n, g = geometry, plane = x.shape.plane, positions = n * plane
        dx.setBatch(n)
        im2col(dy.data, batch: n, g, into: workspace.columns)
        if parameterGradients {
            batchToChannelMajor(x.data, n: n, c: inChannels, p: plane, into: workspace.staging)
            // dW (C, OC*k*k) += X (C, n*HW) · colsᵀ (n*HW, OC*k*k)
            gemm(transA: false, transB: true, m: inChannels, n: g.patch, k: positions,
                 a: workspace.staging, lda: positions, b: workspace.columns, ldb: positions,
                 beta: 1, c: arena.gradient(weight), ldc: g.patch)
        }
        if inputGradient {
            // dX (C, n*HW) = W (C, OC*k*k) · cols (OC*k*k, n*HW)
            gemm(transA: false, transB: false, m: inChannels, n: positions, k: g.patch,
                 a: arena.value(weight), lda: g.patch, b: workspace.columns, ldb: positions,
                 beta: 0, c: workspace.staging, ldc: positions)
            channelToBatchMajor(workspace.staging, n: n, c: inChannels, p: plane, into: dx.data)
        }
        return dx
    }
}
