import Models
import Neural

/// The fixed latent batch behind the sample grids, and G run over latents in eval mode.
/// Training's grids and `swiftgan sample` both come from here, so `sample` on a checkpoint
/// reproduces the training run's grid exactly.
enum FixedLatents {
    /// `(count, nz)` latents: vector `i` is `normal(Philox(seed), stream fixedLatent, index i)`.
    static func latents(nz: Int, count: Int, seed: UInt64) -> [Float] {
        var z = [Float](repeating: 0, count: count * nz)
        let random = Philox(seed: seed)
        z.withUnsafeMutableBufferPointer { buffer in
            for i in 0..<count {
                random.normals(stream: RandomStream.fixedLatent, index: UInt64(i), into: buffer.baseAddress! + i * nz, count: nz)
            }
        }
        return z
    }

    /// `images (N, C, H, W)` for `latents (N·nz)`: G in eval mode (running BN statistics), in
    /// chunks of its largest batch; G's mode is restored afterwards.
    static func generate(_ generator: Network, latents: [Float]) -> [Float] {
        let nz = generator.inputShape.perSample, per = generator.outputShape.perSample
        let count = latents.count / nz
        let wasTraining = generator.training
        generator.training = false
        defer { generator.training = wasTraining }
        let chunk = Tensor(generator.inputShape)
        var images = [Float](repeating: 0, count: count * per)
        var start = 0
        while start < count {
            let n = min(generator.maxBatch, count - start)
            chunk.setBatch(n)
            latents.withUnsafeBufferPointer { chunk.data.update(from: $0.baseAddress! + start * nz, count: n * nz) }
            let y = generator.forward(chunk)
            images.withUnsafeMutableBufferPointer { ($0.baseAddress! + start * per).update(from: y.data, count: n * per) }
            start += n
        }
        return images
    }
}
