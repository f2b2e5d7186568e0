/// How a tensor's `(n, C, H, W)` values lie in memory.
///
/// - `plain`: NCHW, PyTorch's.
/// - `blocked(b)`: oneDNN's `nChw{b}c`, channels in blocks of `b` (16 on AVX-512 machines, 8 on
///   AVX2), a block's `b` values of one pixel side by side: value `(s, c, p)` lies at
///   `((s·C'/b + c/b)·P + p)·b + c % b`, with `C'` the channels rounded up to a multiple of `b`.
///   The padding channels hold zeros, always: every layer leaves them alone or writes zeros.
///
/// Convolutions on oneDNN read and write the blocked layout, and BatchNorm and activations work
/// in it, so activations stay blocked from layer to layer; layers that need plain values
/// (Linear, reshapes, a network's outputs) get them through a `LayoutChange` the builder puts in.
public enum Layout: Equatable, Sendable, CustomStringConvertible {
    case plain
    case blocked(Int)

    /// Channels as stored: `c` rounded up to the block.
    @inline(__always)
    public func storedChannels(_ c: Int) -> Int {
        switch self {
        case .plain: c
        case let .blocked(b): (c + b - 1) / b * b
        }
    }

    /// Where the plane of sample `s`, channel `c` starts and the distance between its pixels,
    /// for `C` channels of `P` pixels.
    @inline(__always)
    public func plane(sample s: Int, channel c: Int, channels C: Int, pixels P: Int) -> (offset: Int, stride: Int) {
        switch self {
        case .plain: ((s * C + c) * P, 1)
        case let .blocked(b): ((s * storedChannels(C) + c / b * b) * P + c % b, b)
        }
    }

    public var isBlocked: Bool { self != .plain }

    public var description: String {
        switch self {
        case .plain: "nchw"
        case let .blocked(b): "nChw\(b)c"
        }
    }
}

extension Shape {
    /// Elements stored for this shape in `layout` (with the padding channels).
    @inline(__always)
    public func stored(_ layout: Layout) -> Int { n * layout.storedChannels(c) * h * w }
}

/// Copies `x (n, C, P)` in layout `from` to `y` in layout `to` (padding channels of a blocked
/// `y` are written as zeros).
public func changeLayout(_ x: UnsafePointer<Float>, _ from: Layout, to y: UnsafeMutablePointer<Float>, _ to: Layout,
                         n: Int, c C: Int, p P: Int) {
    if from == to {
        y.update(from: x, count: n * from.storedChannels(C) * P)
        return
    }
    if case .blocked = to { y.update(repeating: 0, count: n * to.storedChannels(C) * P) }
    for s in 0..<n {
        for ch in 0..<C {
            let a = from.plane(sample: s, channel: ch, channels: C, pixels: P)
            let b = to.plane(sample: s, channel: ch, channels: C, pixels: P)
            var i = a.offset, j = b.offset
            for _ in 0..<P {
                y[j] = x[i]
                i += a.stride
                j += b.stride
            }
        }
    }
}
