import Foundation
import Models
import Neural

/// `swiftgan sample`: G from a checkpoint, in eval mode (running BN statistics), on latents
/// from a `.npy` file or from the seed's fixed-latent stream (by default the checkpoint's seed,
/// which reproduces the training run's sample grids).
public struct Generation {
    public let checkpoint: Checkpoint
    public let model: ModelConfig

    public init(checkpoint url: URL) throws(TrainingError) {
        checkpoint = try Checkpoint(contentsOf: url)
        model = checkpoint.config.model
    }

    /// Latents `(count, nz)` from the fixed-latent stream of `seed`.
    public func latents(count: Int, seed: UInt64?) -> [Float] {
        let nz = model.nz
        var z = [Float](repeating: 0, count: count * nz)
        let random = Philox(seed: seed ?? checkpoint.config.seed)
        z.withUnsafeMutableBufferPointer { buffer in
            for i in 0..<count {
                random.normals(stream: RandomStream.fixedLatent, index: UInt64(i), into: buffer.baseAddress! + i * nz, count: nz)
            }
        }
        return z
    }

    /// Reads latents of shape `(N, nz)` or `(N, nz, 1, 1)` from a float32 `.npy` file.
    public func latents(npy url: URL) throws(TrainingError) -> [Float] {
        let (shape, values) = try NPY.read(url)
        guard (shape.count == 2 || (shape.count == 4 && shape[2] == 1 && shape[3] == 1)), shape[0] > 0, shape[1] == model.nz else {
            throw TrainingError("--latents \(url.path): shape \(shape), expected (N, \(model.nz))")
        }
        return values
    }

    /// `images (N, C, H, W)` in [-1, 1] for `latents (N·nz)`, in batches of at most 64.
    public func generate(_ latents: [Float]) throws(TrainingError) -> [Float] {
        let nz = model.nz, count = latents.count / nz
        let batch = min(count, 64)
        let generator = model.generator(batch: batch)
        try checkpoint.restore(generator, prefix: "netG")
        generator.training = false
        let z = Tensor(model.latentShape.batch(batch))
        let per = model.imageShape.perSample
        var images = [Float](repeating: 0, count: count * per)
        var start = 0
        while start < count {
            let n = min(batch, count - start)
            z.setBatch(n)
            latents.withUnsafeBufferPointer { z.data.update(from: $0.baseAddress! + start * nz, count: n * nz) }
            let y = generator.forward(z)
            images.withUnsafeMutableBufferPointer { ($0.baseAddress! + start * per).update(from: y.data, count: n * per) }
            start += n
        }
        return images
    }
}
