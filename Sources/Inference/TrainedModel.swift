import Foundation
import Models
import Neural
import Storage

/// A trained GAN read from a checkpoint, with no MPI and no training machinery: the model
/// configuration and seed from its metadata, and G (and D, for tools that need it) rebuilt
/// and loaded on demand. `sample`, the evaluation and the latent-space tools start here.
public struct TrainedModel {
    public let file: CheckpointFile
    public let model: ModelConfig
    /// The training run's seed (its fixed sample latents).
    public let seed: UInt64
    public let path: String

    /// The part of the saved training configuration inference needs.
    struct SavedConfig: Decodable {
        let model: ModelConfig
        let seed: UInt64
    }

    public init(checkpoint path: String) throws(InferenceError) {
        do { file = try CheckpointFile(contentsOf: path) } catch { throw InferenceError(error.description) }
        let saved: SavedConfig
        do { saved = try JSONDecoder().decode(SavedConfig.self, from: file.configJSON) } catch {
            throw InferenceError("\(path): checkpoint configuration is unreadable")
        }
        do { try saved.model.validate() } catch { throw InferenceError("\(path): checkpoint model is invalid (\(error.description))") }
        model = saved.model
        seed = saved.seed
        self.path = path
    }

    /// G for batches of up to `batch`, loaded, in eval mode (running BN statistics).
    public func generator(batch: Int) throws(InferenceError) -> Network {
        let g = model.generator(batch: batch)
        try load(g, prefix: "netG")
        g.training = false
        return g
    }

    /// D for batches of up to `batch`, loaded, in eval mode.
    public func discriminator(batch: Int) throws(InferenceError) -> Network {
        let d = model.discriminator(batch: batch)
        try load(d, prefix: "netD")
        d.training = false
        return d
    }

    private func load(_ network: Network, prefix: String) throws(InferenceError) {
        do { try file.restore(StateList(tensors: network.stateTensors(prefix: prefix))) } catch {
            throw InferenceError("\(path): \(error.description)")
        }
    }
}
