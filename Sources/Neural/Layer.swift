/// A layer with its forward and backward pass.
///
/// Rules every layer follows (as in llm.c):
/// - activations are written (`=`), parameter gradients accumulate (`+=`) into the arena;
/// - `forward` keeps a reference to its input, and `backward` must follow the matching
///   `forward` before the layer is run forward again;
/// - output and input-gradient tensors are allocated once at build time for the largest
///   batch, so a step allocates nothing.
public protocol Layer: AnyObject {
    /// The per-sample shape this layer produces, with the build-time batch size.
    var outputShape: Shape { get }
    /// `x (n, ...)` → `y (n, ...)`; the returned tensor is owned by the layer.
    func forward(_ x: Tensor) -> Tensor
    /// `dy` of the last forward's output → `dx` of its input, owned by the layer.
    /// `inputGradient: false` may skip computing `dx` (then the return value is stale);
    /// `parameterGradients: false` skips accumulating into the arena's gradients.
    func backward(_ dy: Tensor, inputGradient: Bool, parameterGradients: Bool) -> Tensor
}

/// Reduces per-channel statistics across data-parallel replicas, in place.
///
/// Synchronized BatchNorm calls this in training mode, in the forward pass with per-channel
/// sums and sums of squares and in the backward pass with two per-channel gradient sums.
/// The engine knows nothing of MPI; the trainer supplies an implementation.
public protocol StatisticsReducer: AnyObject {
    /// Replaces each of `values[0..<count]` by its sum over all replicas.
    func sumInPlace(_ values: UnsafeMutablePointer<Double>, count: Int)
}

/// State shared by all layers of one network: mode, the statistics reducer, and the
/// random stream for dropout.
public final class LayerContext {
    /// Training mode: batch statistics in BatchNorm, dropout active.
    public var training = true
    /// Synchronizes BatchNorm statistics; nil means this process's batch is the whole batch.
    public var reducer: StatisticsReducer?
    /// Dropout masks: generator, stream, and the global index of this replica's first sample.
    public var random = Philox(seed: 0)
    public var dropoutStream: UInt64 = 0
    public var firstSampleIndex = 0

    public init() {}
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

    public func allocate() {
        columns = .allocate(capacity: max(columnsCount, 1))
        columns.initialize(repeating: 0, count: max(columnsCount, 1))
        staging = .allocate(capacity: max(stagingCount, 1))
        staging.initialize(repeating: 0, count: max(stagingCount, 1))
    }

    deinit {
        columns?.deallocate()
        staging?.deallocate()
    }
}
