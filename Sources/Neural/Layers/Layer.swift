/// A layer with its forward and backward pass.
///
/// Rules every layer follows (as in llm.c):
/// - activations are written (`=`), parameter gradients accumulate (`+=`) into the arena,
///   micro-batch by micro-batch (`arena.gradient(slice, chunk:)`);
/// - every sum over samples (a GEMM over the batch, BatchNorm's statistics) is formed per
///   micro-batch (`context.chunks(n)`), with the same shapes whatever the batch, so a sample's
///   result never depends on how many other samples share the call;
/// - `forward` keeps a reference to its input, and `backward` must follow the matching
///   `forward` before the layer is run forward again;
/// - output and input-gradient tensors are allocated once at build time for the largest
///   batch, so a step allocates nothing.
public protocol Layer: AnyObject {
    /// The per-sample shape this layer produces, with the build-time batch size.
    var outputShape: Shape { get }
    /// The layout of its output (and of the gradient its backward expects).
    var outputLayout: Layout { get }
    /// `x (n, ...)` → `y (n, ...)`; the returned tensor is owned by the layer.
    func forward(_ x: Tensor) -> Tensor
    /// `dy` of the last forward's output → `dx` of its input, owned by the layer.
    /// `inputGradient: false` may skip computing `dx` (then the return value is stale);
    /// `parameterGradients: false` skips accumulating into the arena's gradients.
    func backward(_ dy: Tensor, inputGradient: Bool, parameterGradients: Bool) -> Tensor
    /// A short name for profiles (`Conv2d`, `LeakyReLU`, …).
    var kind: String { get }
}

extension Layer {
    public var kind: String { String(describing: type(of: self)) }
    public var outputLayout: Layout { .plain }
}

/// Combines per-micro-batch partial sums (BatchNorm statistics, loss and metric sums) over
/// the whole global batch.
///
/// `partials` holds `chunks` rows of `width` Doubles, this replica's micro-batches in order;
/// `total` receives the sum over every micro-batch of every replica. The engine knows nothing
/// of MPI: the trainer supplies implementations (`Reduction`); without one, this replica's
/// batch is the whole batch and the rows are summed in order.
public protocol StatisticsReducer: AnyObject {
    func sum(_ partials: UnsafePointer<Double>, chunks: Int, width: Int, into total: UnsafeMutablePointer<Double>)
}

/// The ordered sum of `chunks` rows of `width`: row 0 first, then 1, … (the order every rank
/// count reproduces).
public func sumRows(_ partials: UnsafePointer<Double>, rows: Int, width: Int, into total: UnsafeMutablePointer<Double>) {
    total.update(repeating: 0, count: width)
    for k in 0..<rows {
        let row = partials + k * width
        for j in 0..<width { total[j] += row[j] }
    }
}

/// State shared by all layers of one network: mode, micro-batch size, the statistics reducer,
/// and the random stream for dropout.
public final class LayerContext {
    /// Training mode: batch statistics in BatchNorm, dropout active.
    public var training = true
    /// Samples per micro-batch; 0: each batch is one micro-batch.
    public var microBatch = 0
    /// Combines BatchNorm statistics; nil means this process's batch is the whole batch.
    public var reducer: StatisticsReducer?
    /// Dropout masks: generator, stream, and the global index of this replica's first sample.
    public var random = Philox(seed: 0)
    public var dropoutStream: UInt64 = 0
    public var firstSampleIndex = 0

    public init() {}

    /// The micro-batches of a batch of `n` samples.
    @inline(__always)
    public func chunks(_ n: Int) -> Chunks { Chunks(samples: n, microBatch: microBatch) }

    /// Sums `chunks` rows of partial statistics over the global batch.
    public func reduce(_ partials: UnsafePointer<Double>, chunks: Int, width: Int, into total: UnsafeMutablePointer<Double>) {
        if let reducer {
            reducer.sum(partials, chunks: chunks, width: width, into: total)
        } else {
            sumRows(partials, rows: chunks, width: width, into: total)
        }
    }
}

/// Scratch memory shared by the layers of a network, which run one at a time:
/// `columns` holds im2col matrices, `staging` channel-major copies of activations.
public final class Workspace {
    public private(set) var columnsCount = 0
    public private(set) var stagingCount = 0
    public private(set) var columns: UnsafeMutablePointer<Float>!
    public private(set) var staging: UnsafeMutablePointer<Float>!

    public init() {}

    public func require(columns c: Int, staging s: Int) {
        precondition(columns == nil, "workspace already allocated")
        columnsCount = max(columnsCount, c)
        stagingCount = max(stagingCount, s)
    }

    public var bytes: Int { 4 * (columnsCount + stagingCount) }

    public func allocate() {
        columns = Memory.allocate(columnsCount)
        staging = Memory.allocate(stagingCount)
    }

    deinit {
        Memory.free(columns)
        Memory.free(staging)
    }
}
