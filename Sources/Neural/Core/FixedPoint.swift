/// The arithmetic of exact gradient reduction (see `Reduction` in Training): float partials to
/// 64-bit fixed point and back. Hot loops, kept here with the engine's unchecked arithmetic so
/// that they vectorize.
///
/// A value `v` becomes the integer nearest `v · scale` (ties to even) by the classic mantissa
/// trick: for `|x| < 2^51`, `x + 1.5·2^52` is a double in `[2^52, 2^53)` whose last bits are the
/// integer, so its bit pattern less that of `1.5·2^52` is `round(x)` — plain additions that
/// vectorize, where a float-to-int64 conversion would not below AVX-512. Callers keep
/// `|v · scale| < 2^51` (and at most 2^11 values per sum, so sums stay below 2^62).
public enum FixedPoint {
    /// Every partial times the scale stays below this.
    public static let partialBound = 51
    static let magic: Double = 6_755_399_441_055_744  // 1.5 · 2^52
    static let magicBits = Int64(bitPattern: magic.bitPattern)

    /// `max |v_i|` over `count` values, or infinity when any is not finite.
    public static func largestMagnitude(_ v: UnsafePointer<Float>, count: Int) -> Float {
        var largest: Float = 0, poison: Float = 0
        for i in 0..<count {
            let a = abs(v[i])
            largest = a > largest ? a : largest
            poison += v[i] - v[i]  // 0 for finite values, NaN for NaN or ±infinity
        }
        return poison == 0 ? largest : .infinity
    }

    /// `acc_i += round(v_i · scale)` (to nearest, ties to even), for `|v_i · scale| < 2^51`.
    public static func accumulate(_ v: UnsafePointer<Float>, count: Int, scale: Double, into acc: UnsafeMutablePointer<Int64>) {
        let m = magic, bits = magicBits
        for i in 0..<count {
            acc[i] &+= Int64(bitPattern: (Double(v[i]) * scale + m).bitPattern) &- bits
        }
    }

    /// `out_i = Float(acc_i · inverse)`.
    public static func convert(_ acc: UnsafePointer<Int64>, count: Int, inverse: Double, into out: UnsafeMutablePointer<Float>) {
        for i in 0..<count { out[i] = Float(Double(acc[i]) * inverse) }
    }
}
