import Foundation
import Models

/// Walks and arithmetic in G's input space (Radford et al. 2015, §6.1 and §6.3.2), on the noise
/// part of the inputs; a conditional model's class or codes stay as given.
public enum LatentSpace {
    /// `(1 − t)·a + t·b`.
    public static func lerp(_ a: [Float], _ b: [Float], _ t: Float) -> [Float] {
        zip(a, b).map { (1 - t) * $0 + t * $1 }
    }

    /// Spherical interpolation, the path a Gaussian latent's norm keeps along: with
    /// `Ω = arccos(a·b / (‖a‖‖b‖))`, `sin((1 − t)Ω)/sin Ω · a + sin(tΩ)/sin Ω · b`; linear when
    /// `a` and `b` are (anti)parallel.
    public static func slerp(_ a: [Float], _ b: [Float], _ t: Float) -> [Float] {
        let dot = zip(a, b).reduce(0.0) { $0 + Double($1.0) * Double($1.1) }
        let na = a.reduce(0.0) { $0 + Double($1) * Double($1) }.squareRoot(), nb = b.reduce(0.0) { $0 + Double($1) * Double($1) }.squareRoot()
        guard na > 0, nb > 0 else { return lerp(a, b, t) }
        let omega = acos(max(-1, min(1, dot / (na * nb))))
        let s = sin(omega)
        guard s > 1e-6 else { return lerp(a, b, t) }
        let wa = Float(sin((1 - Double(t)) * omega) / s), wb = Float(sin(Double(t) * omega) / s)
        return zip(a, b).map { wa * $0 + wb * $1 }
    }

    /// `steps` inputs from `a` to `b` in equal steps of t (both ends included), interpolating the
    /// first `noise` values and keeping `a`'s conditioning.
    public static func walk(_ a: [Float], _ b: [Float], noise: Int, steps: Int, spherical: Bool) -> [[Float]] {
        (0..<steps).map { k in
            let t = steps == 1 ? 0 : Float(k) / Float(steps - 1)
            let z = spherical ? slerp(Array(a.prefix(noise)), Array(b.prefix(noise)), t) : lerp(Array(a.prefix(noise)), Array(b.prefix(noise)), t)
            return z + a.dropFirst(noise)
        }
    }

    /// A term of vector arithmetic: a sign and the sheet indices whose mean it adds.
    public struct Term: Equatable, Sendable {
        public let sign: Float
        public let indices: [Int]
        public init(sign: Float, indices: [Int]) {
            self.sign = sign
            self.indices = indices
        }
    }

    /// Parses `"+3,7,12 -4,5,9 +20,21,22"` (a leading `+` may be left out).
    public static func terms(_ text: String) throws(InferenceError) -> [Term] {
        let parts = text.split(separator: " ", omittingEmptySubsequences: true)
        guard !parts.isEmpty else { throw InferenceError("--terms is empty; write them as \"+3,7,12 -4,5,9 +20,21,22\"") }
        return try parts.map { (part) throws(InferenceError) -> Term in
            var body = Substring(part), sign: Float = 1
            if body.first == "+" || body.first == "-" { sign = body.first == "-" ? -1 : 1; body = body.dropFirst() }
            let indices = body.split(separator: ",").map { Int($0) }
            guard !indices.isEmpty, indices.allSatisfy({ $0 != nil && $0! >= 0 }) else {
                throw InferenceError("--terms: '\(part)' is not a sign and comma-separated indices, e.g. +3,7,12")
            }
            return Term(sign: sign, indices: indices.map { $0! })
        }
    }

    /// The mean of sheet rows `indices` (each `width` values).
    public static func mean(_ sheet: [Float], width: Int, indices: [Int]) -> [Float] {
        var out = [Float](repeating: 0, count: width)
        for i in indices { for j in 0..<width { out[j] += sheet[i * width + j] } }
        return out.map { $0 / Float(indices.count) }
    }

    /// `Σ sign · mean(term)` over the noise part; the conditioning of the first term's first vector.
    public static func sum(_ sheet: [Float], width: Int, noise: Int, terms: [Term]) -> [Float] {
        var out = Array(sheet[(terms[0].indices[0] * width)..<(terms[0].indices[0] * width + width)])
        for j in 0..<noise { out[j] = 0 }
        for term in terms {
            let m = mean(sheet, width: width, indices: term.indices)
            for j in 0..<noise { out[j] += term.sign * m[j] }
        }
        return out
    }
}
