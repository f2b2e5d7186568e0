import Foundation
import Models
import Neural
import Storage

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

    /// Latents `(count, nz)` from the fixed-latent stream of `seed` (the training grids' batch).
    public func latents(count: Int, seed: UInt64?) -> [Float] {
        FixedLatents.latents(nz: model.nz, count: count, seed: seed ?? checkpoint.config.seed)
    }

    /// Reads latents of shape `(N, nz)` or `(N, nz, 1, 1)` from a float32 `.npy` file.
    public func latents(npy url: URL) throws(TrainingError) -> [Float] {
        let (shape, values) = try io { () throws(StorageError) in try NPY.read(url.path) }
        guard (shape.count == 2 || (shape.count == 4 && shape[2] == 1 && shape[3] == 1)), shape[0] > 0, shape[1] == model.nz else {
            throw TrainingError("--latents \(url.path): shape \(shape), expected (N, \(model.nz))")
        }
        if let bad = values.firstIndex(where: { !$0.isFinite }) {
            throw TrainingError("--latents \(url.path): value \(values[bad]) at row \(bad / model.nz), column \(bad % model.nz); latents must be finite")
        }
        return values
    }

    /// `images (N, C, H, W)` in [-1, 1] for `latents (N·nz)`, in batches of at most 64.
    public func generate(_ latents: [Float]) throws(TrainingError) -> [Float] {
        let generator = model.generator(batch: min(latents.count / model.nz, 64))
        try checkpoint.restore(generator, prefix: "netG")
        return FixedLatents.generate(generator, latents: latents)
    }
}
