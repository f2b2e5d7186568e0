/// The shape of a Float32 NCHW tensor: `(n, c, h, w)`.
///
/// Every tensor in the engine is four-dimensional; a feature vector is `(n, f, 1, 1)`.
public struct Shape: Equatable, Hashable, Sendable, CustomStringConvertible {
    public var n: Int
    public var c: Int
    public var h: Int
    public var w: Int

    public init(_ n: Int, _ c: Int, _ h: Int = 1, _ w: Int = 1) {
        self.n = n; self.c = c; self.h = h; self.w = w
    }

    /// Elements of one sample: `c * h * w`.
    public var perSample: Int { c * h * w }
    /// Spatial positions of one channel: `h * w`.
    public var plane: Int { h * w }
    /// All elements: `n * c * h * w`.
    public var count: Int { n * perSample }

    /// The same per-sample shape with another batch size.
    public func batch(_ n: Int) -> Shape { Shape(n, c, h, w) }

    public var description: String { "(\(n), \(c), \(h), \(w))" }
}
