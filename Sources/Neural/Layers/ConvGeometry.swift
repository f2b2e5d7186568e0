/// Zero padding of a convolution window along each spatial axis: `before` rows (columns) above
/// (left of) the image and `after` below (right of) it. PyTorch pads symmetrically; TensorFlow's
/// 'same' pads one more after than before when the total is odd (`same(input:kernel:stride:)`).
public struct Padding: Equatable, Sendable, ExpressibleByIntegerLiteral {
    public let before: Int
    public let after: Int

    public init(before: Int, after: Int) {
        precondition(before >= 0 && after >= 0)
        self.before = before
        self.after = after
    }

    /// `p` on every side, as PyTorch's `padding=p`.
    public init(_ p: Int) { self.init(before: p, after: p) }
    public init(integerLiteral p: Int) { self.init(p) }

    public var total: Int { before + after }

    /// TensorFlow's 'same' for a convolution of `input` pixels: the output has
    /// `ceil(input / stride)` pixels, the padding totals `max((out − 1)·stride + kernel − input, 0)`,
    /// and `before = total / 2` (rounded down), `after` the rest. Stride 2, kernel 5 and an even
    /// input give `(1, 2)`; stride 1 and kernel 5 give `(2, 2)`.
    public static func same(input: Int, kernel: Int, stride: Int) -> Padding {
        let out = (input + stride - 1) / stride
        let total = max((out - 1) * stride + kernel - input, 0)
        return Padding(before: total / 2, after: total - total / 2)
    }

    /// TensorFlow's 'same' for a transposed convolution from `input` to `input · stride` pixels:
    /// it is the adjoint of the 'same' convolution from `input · stride` pixels to `input`, so it
    /// has that convolution's padding (`(1, 2)` for stride 2 and kernel 5).
    public static func sameTransposed(input: Int, kernel: Int, stride: Int) -> Padding {
        same(input: input * stride, kernel: kernel, stride: stride)
    }
}

/// Geometry of a 2-D convolution window, `out = (in + before + after − kernel) / stride + 1`
/// along each spatial axis (PyTorch's formula when `before = after = padding`).
public struct ConvGeometry: Equatable, Sendable {
    public let channels: Int
    public let height: Int, width: Int
    public let kernel: Int, stride: Int
    public let padding: Padding

    public init(channels: Int, height: Int, width: Int, kernel: Int, stride: Int, padding: Padding) {
        self.channels = channels; self.height = height; self.width = width
        self.kernel = kernel; self.stride = stride; self.padding = padding
    }

    public var outHeight: Int { (height + padding.total - kernel) / stride + 1 }
    public var outWidth: Int { (width + padding.total - kernel) / stride + 1 }
    /// Rows of the column matrix: `channels * kernel * kernel`.
    public var patch: Int { channels * kernel * kernel }
    /// Output positions per sample: `outHeight * outWidth`.
    public var positions: Int { outHeight * outWidth }
}

/// A convolution's weight and optional bias in the arena: reserved by the layer that owns them,
/// passed to a partner layer that runs some of its operations (`ConvolutionRoute`).
public struct ConvolutionParameters {
    public let weight: ParameterArena.Slice
    public let bias: ParameterArena.Slice?
}
