
import Foundation
import Neural

/// How per-micro-batch partial sums become global-batch sums, for everything a step sums over
/// samples: parameter gradients, BatchNorm statistics, losses and metrics.
///
/// - `exact` (`--micro-batch m`): the result does not depend on the rank count, to the bit.
///   Statistics and metrics: every rank's per-micro-batch rows are gathered and summed in
///   micro-batch order on every rank, so the order of every addition is fixed by the global
///   micro-batch index alone. Gradients (too large to gather): each micro-batch's gradient is
///   converted to 64-bit fixed point with a power-of-two scale per tensor that all ranks agree on
///   (one max-allreduce), summed as integers (exact, so associative), allreduced as integers with
///   `MPI_SUM`, and converted back once.
/// - `summed` (no micro-batches): this rank's batch is one partial; sums are allreduced in
///   floating point, so results depend on the rank count up to summation order.
///
/// Precision of the fixed-point gradients: with `A` the largest |partial| of a tensor over all
/// `M ≤ 2048` micro-batches, the scale is `2^e` with `A·2^e < 2^51 ≤ 2A·2^e`, so each partial is
/// rounded to a step of `2^−e ≤ 2^−50·A` (error `≤ 2^−51·A`) and a sum of `M` partials errs by at
/// most `M·2^−51·A` (`2^−45·A` for `M = 64`), while the integer sum stays below `M·2^51 ≤ 2^62`.
/// Every element larger than `M·2^−27·A` (`2^−21·A` for `M = 64`) is therefore exact to float32's
/// own rounding; smaller ones keep that absolute error, far below anything Adam resolves.
public final class Reduction: StatisticsReducer {
    public enum Mode: Sendable, Equatable {
        case exact(microBatch: Int)
        case summed
    }

    public let mode: Mode
    let communicator: Communicator
    /// Time in the collectives of statistics and metrics, and of gradients.
    public let statisticsTimer = CommunicationTimer()
    public let gradientTimer = CommunicationTimer()
    /// `(size × chunks × width)` rows gathered from every rank (exact mode).
    private var gathered: UnsafeMutablePointer<Double>
    private var gatheredCapacity: Int
    /// `(width)` local sums (summed mode).
    private var local: UnsafeMutablePointer<Double>
    private var localCapacity: Int
    /// Fixed-point accumulator `(count)` and per-slice maxima and scales.
    private var fixed: UnsafeMutablePointer<Int64>
    private var fixedCapacity = 0
    private var maxima: UnsafeMutablePointer<Double>
    private var maximaCapacity = 0

    public init(mode: Mode, communicator: Communicator) {
        self.mode = mode
        self.communicator = communicator
        gathered = Memory.allocate(1); gatheredCapacity = 1
        local = Memory.allocate(1); localCapacity = 1
        fixed = Memory.allocate(1); fixedCapacity = 1
        maxima = Memory.allocate(1); maximaCapacity = 1
    }

    deinit {
        Memory.free(gathered); Memory.free(local); Memory.free(fixed); Memory.free(maxima)
    }

    /// Sizes the buffers for rows of up to `width` values from `chunks` micro-batches per rank
    /// and arenas of up to `parameters` values in `slices` tensors, so that a step allocates nothing.
    public func reserve(chunks: Int, width: Int, parameters: Int, slices: Int) {
        let rows = communicator.size * chunks * width
        if rows > gatheredCapacity { Memory.free(gathered); gathered = Memory.allocate(rows); gatheredCapacity = rows }
        if width > localCapacity { Memory.free(local); local = Memory.allocate(width); localCapacity = width }
        if case .exact = mode, parameters > fixedCapacity { Memory.free(fixed); fixed = Memory.allocate(parameters); fixedCapacity = parameters }
        if slices > maximaCapacity { Memory.free(maxima); maxima = Memory.allocate(slices); maximaCapacity = slices }
    }

    /// Micro-batch size for the layers (0: one per rank).
    public var microBatch: Int {
        if case let .exact(m) = mode { return m }
        return 0
    }

    // MARK: Statistics and metrics

    public func sum(_ partials: UnsafePointer<Double>, chunks: Int, width: Int, into total: UnsafeMutablePointer<Double>) {
        do { try reduceRows(partials, chunks: chunks, width: width, into: total) } catch {
            FileHandle.standardError.write(Data("error: rank \(communicator.rank): reduction of statistics: \(error)\n".utf8))
            communicator.abort(code: 1)
        }
    }

    /// The throwing form, for callers that can report failures (metrics).
    public func reduceRows(_ partials: UnsafePointer<Double>, chunks: Int, width: Int, into total: UnsafeMutablePointer<Double>) throws(CommunicatorError) {
        let start = statisticsTimer.start()
        defer { statisticsTimer.stop(start) }
        switch mode {
        case .exact:
            let rows = chunks * width
            precondition(communicator.size * rows <= gatheredCapacity, "reduction buffers not reserved")
            try communicator.allgather(partials, count: rows * 8, into: gathered)
            sumRows(gathered, rows: communicator.size * chunks, width: width, into: total)
        case .summed:
            sumRows(partials, rows: chunks, width: width, into: total)
            try communicator.allreduceSum(total, count: width)
        }
    }

    // MARK: Gradients

    /// Replaces `arena.gradients` by the global batch's gradient: the sum over every micro-batch
    /// of every rank (each already scaled by 1/B through the losses).
    public func reduceGradients(_ arena: ParameterArena) throws(CommunicatorError) {
        switch mode {
        case .summed:
            guard communicator.size > 1 else { return }
            let start = gradientTimer.start()
            try communicator.allreduceSum(arena.gradients, count: arena.count)
            gradientTimer.stop(start)
        case .exact:
            guard let partials = arena.partials else { preconditionFailure("exact reduction needs per-micro-batch gradients") }
            try reduceExactly(arena, partials)
        }
    }

    private func reduceExactly(_ arena: ParameterArena, _ partials: PartialGradients) throws(CommunicatorError) {
        let slices = arena.slices, chunks = partials.chunks
        precondition(slices.count <= maximaCapacity && arena.count <= fixedCapacity, "reduction buffers not reserved")
        for (s, slice) in slices.enumerated() {
            var largest: Float = 0
            for k in 0..<chunks { largest = max(largest, FixedPoint.largestMagnitude(partials.buffer(k) + slice.offset, count: slice.count)) }
            maxima[s] = Double(largest)
        }
        var start = gradientTimer.start()
        try communicator.allreduceMax(maxima, count: slices.count)
        gradientTimer.stop(start)
        let total = Double(chunks * communicator.size)
        for (s, slice) in slices.enumerated() {
            let scale = Self.scale(maximum: maxima[s], micro: total)
            let acc = fixed + slice.offset
            acc.update(repeating: 0, count: slice.count)
            guard scale > 0 else { continue }
            for k in 0..<chunks { FixedPoint.accumulate(partials.buffer(k) + slice.offset, count: slice.count, scale: scale, into: acc) }
        }
        start = gradientTimer.start()
        try communicator.allreduceSum(fixed, count: arena.count)
        gradientTimer.stop(start)
        let g = arena.gradients!
        for (s, slice) in slices.enumerated() {
            let scale = Self.scale(maximum: maxima[s], micro: total)
            guard scale > 0 else {
                // All zero; or a non-finite partial somewhere, and NaN then stops the run at its checks.
                (g + slice.offset).update(repeating: maxima[s] == 0 ? 0 : .nan, count: slice.count)
                continue
            }
            FixedPoint.convert(fixed + slice.offset, count: slice.count, inverse: 1 / scale, into: g + slice.offset)
        }
    }

    /// `2^e` with `maximum · 2^e < 2^51`, or 0 when every partial is zero or some is not finite
    /// (`maximum` is then infinite). `micro` (at most 2^11) keeps the sums below 2^62.
    public static func scale(maximum: Double, micro: Double) -> Double {
        precondition(micro <= 2048, "more than 2048 micro-batches per step")
        guard maximum > 0, maximum.isFinite else { return 0 }
        return Foundation.scalbn(1.0, FixedPoint.partialBound - Int(maximum.exponent) - 1)
    }
}

/// Accumulates wall time (collectives, optimizer updates).
public final class CommunicationTimer {
    public private(set) var nanoseconds: UInt64 = 0
    public var seconds: Double { Double(nanoseconds) * 1e-9 }
    public init() {}

    @inline(__always) public func start() -> UInt64 { DispatchTime.now().uptimeNanoseconds }
    @inline(__always) public func stop(_ start: UInt64) { nanoseconds += DispatchTime.now().uptimeNanoseconds - start }
}
