import Foundation

/// Philox4x32-10 (Salmon et al., "Parallel random numbers: as easy as 1, 2, 3", SC'11):
/// a counter-based generator. The output for a (key, counter) pair depends on nothing
/// else, so the noise of global sample `i` at step `t` is the same on any rank count.
public struct Philox: Sendable {
    public let key: (UInt32, UInt32)

    public init(seed: UInt64) {
        key = (UInt32(truncatingIfNeeded: seed), UInt32(truncatingIfNeeded: seed >> 32))
    }

    /// Four independent 32-bit words for the 128-bit counter `(c0, c1, c2, c3)`.
    @inline(__always)
    public func block(_ c0: UInt32, _ c1: UInt32, _ c2: UInt32, _ c3: UInt32) -> (UInt32, UInt32, UInt32, UInt32) {
        var x = (c0, c1, c2, c3)
        var k = key
        for round in 0..<10 {
            if round > 0 {
                k.0 &+= 0x9E37_79B9
                k.1 &+= 0xBB67_AE85
            }
            let p0 = UInt64(0xD251_1F53) &* UInt64(x.0)
            let p1 = UInt64(0xCD9E_8D57) &* UInt64(x.2)
            x = (UInt32(truncatingIfNeeded: p1 >> 32) ^ x.1 ^ k.0, UInt32(truncatingIfNeeded: p1),
                 UInt32(truncatingIfNeeded: p0 >> 32) ^ x.3 ^ k.1, UInt32(truncatingIfNeeded: p0))
        }
        return x
    }

    /// A uniform Float in the open interval (0, 1) from one 32-bit word (24 significant bits).
    @inline(__always)
    public static func unit(_ word: UInt32) -> Float {
        (Float(word >> 8) + 0.5) * (1.0 / 16_777_216.0)
    }

    /// Fills `out` with standard normal values for stream `(stream, index)`:
    /// element `j` depends only on (key, stream, index, j). Box-Muller, two values per block.
    public func normals(stream: UInt64, index: UInt64, into out: UnsafeMutablePointer<Float>, count: Int) {
        var j = 0
        while j < count {
            let pair = UInt32(truncatingIfNeeded: j / 2)
            let r = block(UInt32(truncatingIfNeeded: stream), UInt32(truncatingIfNeeded: stream >> 32),
                          UInt32(truncatingIfNeeded: index), pair ^ UInt32(truncatingIfNeeded: index >> 32) << 24)
            let u1 = Double(Philox.unit(r.0)), u2 = Double(Philox.unit(r.1))
            let radius = (-2 * Foundation.log(u1)).squareRoot()
            let angle = 2 * Double.pi * u2
            out[j] = Float(radius * cos(angle))
            if j + 1 < count { out[j + 1] = Float(radius * sin(angle)) }
            j += 2
        }
    }

    /// A uniform Float in (0, 1) for the element `j` of stream `(stream, index)`.
    @inline(__always)
    public func uniform(stream: UInt64, index: UInt64, element j: Int) -> Float {
        let r = block(UInt32(truncatingIfNeeded: stream), UInt32(truncatingIfNeeded: stream >> 32),
                      UInt32(truncatingIfNeeded: index), UInt32(truncatingIfNeeded: j) | 0x8000_0000)
        return Philox.unit(r.0)
    }

    /// A uniform integer in `0..<bound` for position `i` of stream `stream` (bias below 2^-32).
    @inline(__always)
    public func integer(stream: UInt64, index: UInt64, below bound: Int) -> Int {
        let r = block(UInt32(truncatingIfNeeded: stream), UInt32(truncatingIfNeeded: stream >> 32),
                      UInt32(truncatingIfNeeded: index), UInt32(truncatingIfNeeded: index >> 32) | 0x4000_0000)
        let wide = UInt64(r.0) << 32 | UInt64(r.1)
        return Int(wide.multipliedFullWidth(by: UInt64(bound)).high)
    }
}

/// Names of the random streams, so that no two uses of the generator share counters.
public enum RandomStream {
    /// Parameter initialisation of network `k` (0: G, 1: D, …).
    public static func initialization(_ k: UInt64) -> UInt64 { 0x1000_0000 + k }
    /// Latent vectors of draw `j` (below 64) at training step `t`: stream `(2 << 32) | (j << 40) | t`.
    public static func latent(step t: UInt64, draw j: UInt64 = 0) -> UInt64 { (2 << 32) | (j << 40) | t }
    /// The fixed latent batch of the sample grid.
    public static let fixedLatent: UInt64 = 3 << 32
    /// Dropout masks at step `t`, network pass `pass` (below 16) of draw `j` (below 64).
    public static func dropout(step t: UInt64, pass: UInt64, draw j: UInt64 = 0) -> UInt64 { (4 << 32) | (j << 57) | (t << 4) | pass }
    /// The data permutation of epoch `e`.
    public static func permutation(epoch e: UInt64) -> UInt64 { (5 << 32) | e }
    /// The noise of evaluation sample `i` (index `i`).
    public static let evaluation: UInt64 = 7 << 32
    /// G's conditioning of draw `j` (below 64) at step `t`: `kind` 0 the class, 1… the
    /// categorical codes, 0x100 the continuous codes.
    public static func condition(step t: UInt64, kind: UInt64, draw j: UInt64 = 0) -> UInt64 { (6 << 56) | (j << 49) | (kind << 40) | t }
}
