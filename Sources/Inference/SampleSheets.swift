import Models
import Neural

/// The fixed inputs behind sample grids: noise from the seed's fixed-latent stream
/// (`RandomStream.fixedLatent`, vector `i` at index `i`) and a conditioning laid out per model:
///
/// - unconditional: 64 noise vectors, an 8×8 grid;
/// - AC-GAN: one row per class, the same noise down each column (8 columns);
/// - InfoGAN: the first categorical code down the rows (up to 10) against one continuous code
///   swept from −2 to 2 across 10 columns, one noise vector throughout, other codes at 0
///   (or the first category): the latent traversals of the InfoGAN paper, one sheet per
///   continuous code.
public struct SampleSheet: Sendable {
    /// File-name suffix (`""` for the main grid, `-c2` for the second code's traversal).
    public let suffix: String
    /// `(count, width)` generator inputs.
    public let inputs: [Float]
    public let count: Int
    public let columns: Int
}

public enum SampleSheets {
    /// `count` noise vectors of the fixed-latent stream as generator inputs, conditioning
    /// left at zero.
    public static func noise(_ c: Conditioning, count: Int, seed: UInt64, first: Int = 0) -> [Float] {
        var inputs = [Float](repeating: 0, count: count * c.width)
        let random = Philox(seed: seed)
        inputs.withUnsafeMutableBufferPointer { buffer in
            for i in 0..<count {
                random.normals(stream: RandomStream.fixedLatent, index: UInt64(first + i), into: buffer.baseAddress! + i * c.width, count: c.noise)
            }
        }
        return inputs
    }

    /// `count` fixed noise vectors with a default conditioning: sample `i` gets class `i mod k`,
    /// categorical code values `i mod size`, continuous codes 0.
    public static func inputs(_ c: Conditioning, count: Int, seed: UInt64) -> [Float] {
        var inputs = noise(c, count: count, seed: seed)
        for s in 0..<count {
            condition(&inputs, c, sample: s, class: c.classes > 0 ? s % c.classes : nil, codes: c.categorical.map { s % $0 })
        }
        return inputs
    }

    /// Sets sample `s`'s conditioning in `inputs`: a class, categorical code values, continuous values.
    public static func condition(_ inputs: inout [Float], _ c: Conditioning, sample s: Int, class k: Int? = nil,
                                 codes: [Int] = [], continuous: [Float] = []) {
        let row = s * c.width
        if let k, c.classes > 0 {
            for j in 0..<c.classes { inputs[row + c.classOffset + j] = j == k ? 1 : 0 }
        }
        for (j, v) in codes.enumerated() where j < c.categorical.count {
            for i in 0..<c.categorical[j] { inputs[row + c.categoricalOffset(j) + i] = i == v ? 1 : 0 }
        }
        for (j, v) in continuous.enumerated() where j < c.continuous {
            inputs[row + c.continuousOffset + j] = v
        }
    }

    /// The grids a training run writes at every sample step (and `sample` reproduces).
    public static func training(_ model: ModelConfig, seed: UInt64) -> [SampleSheet] {
        let c = model.conditioning
        if c.classes > 0 {
            let columns = 8, rows = c.classes
            var inputs = [Float](repeating: 0, count: rows * columns * c.width)
            let noise = noise(c, count: columns, seed: seed)
            for r in 0..<rows {
                for j in 0..<columns {
                    let s = r * columns + j
                    for i in 0..<c.noise { inputs[s * c.width + i] = noise[j * c.width + i] }
                    condition(&inputs, c, sample: s, class: r)
                }
            }
            return [SampleSheet(suffix: "", inputs: inputs, count: rows * columns, columns: columns)]
        }
        if c.hasCodes {
            let rows = c.categorical.first.map { min($0, 10) } ?? 1, columns = 10
            let base = noise(c, count: 1, seed: seed)
            return (0..<max(c.continuous, 1)).map { code in
                var inputs = [Float](repeating: 0, count: rows * columns * c.width)
                for r in 0..<rows {
                    for j in 0..<columns {
                        let s = r * columns + j
                        for i in 0..<c.noise { inputs[s * c.width + i] = base[i] }
                        var values = [Float](repeating: 0, count: c.continuous)
                        if c.continuous > 0 { values[code] = -2 + 4 * Float(j) / Float(columns - 1) }
                        condition(&inputs, c, sample: s, codes: [r] + Array(repeating: 0, count: max(c.categorical.count - 1, 0)), continuous: values)
                    }
                }
                return SampleSheet(suffix: code == 0 ? "" : "-c\(code + 2)", inputs: inputs, count: rows * columns, columns: columns)
            }
        }
        return [SampleSheet(suffix: "", inputs: noise(c, count: 64, seed: seed), count: 64, columns: 8)]
    }
}
