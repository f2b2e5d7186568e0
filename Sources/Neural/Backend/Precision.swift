@preconcurrency import CDNNL

/// The number format of the convolutions' arithmetic.
///
/// - `fp32`: everything in single precision (the default, and what the reference path computes).
/// - `bf16`: mixed precision. oneDNN's convolutions on the blocked layout read bf16 copies of
///   their inputs (the activation or the output gradient, and the weights), rounded to nearest
///   even from the fp32 values, multiply in bf16 and accumulate and write in fp32. Everything
///   else stays fp32: the master weights in the arena, the gradients, BatchNorm and its
///   statistics, activations between layers, Adam and the allreduce. Operations that run on
///   OpenBLAS (those writing a thin side, `ConvolutionRoute`) compute in fp32.
///
/// A bf16 product of two bf16 values is exact in fp32, so a bf16 convolution equals the fp32
/// convolution of the rounded inputs up to the order of the fp32 sums; that is what the tests
/// hold it to.
public enum Precision: String, Sendable, CaseIterable {
    case fp32
    case bf16

    /// The precision networks are built with; `--precision` sets it for a command.
    nonisolated(unsafe) public static var current: Precision = .fp32

    var dataType: dnnl_data_type_t { self == .bf16 ? dnnl_bf16 : dnnl_f32 }

    /// Why `bf16` cannot run here, or nil when oneDNN has fast bf16 convolutions on this CPU
    /// (`avx512_core` and up; AVX2-only CPUs have only oneDNN's reference code).
    public static let bf16Unavailable: String? = {
        do {
            let probe = try DNNLConvolution.probe(precision: .bf16)
            return probe.hasPrefix("ref") ? "oneDNN has only its reference bf16 convolution on this CPU (\(DNNL.isa))" : nil
        } catch {
            return "oneDNN has no bf16 convolution on this CPU (\(DNNL.isa))"
        }
    }()
}

/// Rounds `x` to the nearest bf16 (ties to even), as oneDNN's conversion does, and returns it as
/// a Float: the reference the bf16 path is tested against.
@inline(__always)
public func roundedToBFloat16(_ x: Float) -> Float {
    guard x.isFinite else { return x }
    let bits = x.bitPattern
    let rounded = (bits &+ 0x7FFF &+ ((bits >> 16) & 1)) & 0xFFFF_0000
    return Float(bitPattern: rounded)
}
