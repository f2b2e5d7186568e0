import Neural

/// G's inputs for a batch, and the labels and codes behind them (the targets of the
/// conditional objectives).
///
/// Everything of global sample `i` at draw `j` of step `t` comes from the counter-based generator
/// keyed by `(seed, stream(t, j), i)`, so it is the same on any rank count: noise `N(0, 1)`
/// (`RandomStream.latent`, as before conditioning existed), a class uniform in `0..<k`, each
/// categorical code uniform, continuous codes `U(−1, 1)`.
public final class GeneratorInputs {
    public let conditioning: Conditioning
    public let capacity: Int
    /// `(n, width, 1, 1)`.
    public let latent: Tensor
    /// `(n)` sampled classes (AC-GAN).
    public let classes: UnsafeMutablePointer<Int32>
    /// `(categorical.count, n)` sampled codes, code-major.
    public let codes: UnsafeMutablePointer<Int32>
    /// `(n, continuous)` sampled continuous codes.
    public let continuous: UnsafeMutablePointer<Float>

    public init(_ conditioning: Conditioning, batch: Int) {
        self.conditioning = conditioning
        capacity = batch
        latent = Tensor(Shape(batch, conditioning.width, 1, 1))
        classes = Memory.allocate(batch)
        codes = Memory.allocate(max(conditioning.categorical.count, 1) * batch)
        continuous = Memory.allocate(max(conditioning.continuous, 1) * batch)
    }

    deinit {
        Memory.free(classes)
        Memory.free(codes)
        Memory.free(continuous)
    }

    public func code(_ k: Int) -> UnsafeMutablePointer<Int32> { codes + k * capacity }

    /// Draws the inputs of global samples `first..<first + count` of draw `draw` of step `t`.
    public func sample(seed: UInt64, step t: Int, draw: Int = 0, first: Int, count: Int) {
        latent.setBatch(count)
        let random = Philox(seed: seed)
        let c = conditioning, width = c.width, step = UInt64(t), d = UInt64(draw)
        latent.fill(0)
        for s in 0..<count {
            let index = UInt64(first + s)
            let row = latent.data + s * width
            random.normals(stream: RandomStream.latent(step: step, draw: d), index: index, into: row, count: c.noise)
            if c.classes > 0 {
                let k = random.integer(stream: RandomStream.condition(step: step, kind: 0, draw: d), index: index, below: c.classes)
                classes[s] = Int32(k)
                row[c.classOffset + k] = 1
            }
            for (j, size) in c.categorical.enumerated() {
                let k = random.integer(stream: RandomStream.condition(step: step, kind: 1 + UInt64(j), draw: d), index: index, below: size)
                code(j)[s] = Int32(k)
                row[c.categoricalOffset(j) + k] = 1
            }
            for j in 0..<c.continuous {
                let u = 2 * random.uniform(stream: RandomStream.condition(step: step, kind: 0x100, draw: d), index: index, element: j) - 1
                continuous[s * c.continuous + j] = u
                row[c.continuousOffset + j] = u
            }
        }
    }
}
