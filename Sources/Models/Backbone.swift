import Neural

/// The layers of a GAN family member, without its conditioning: how G turns an input vector
/// into an image, what D's shared trunk computes, and how a head projects the trunk's features.
/// A model is a backbone and a `Conditioning`; no code path exists per combination of the two.
public protocol Backbone: Sendable {
    /// PyTorch module prefixes of G and of D's trunk.
    var generatorPrefix: String { get }
    var trunkPrefix: String { get }
    /// Appends G's layers, from `(width, 1, 1)` inputs to `(channels, size, size)` images in [-1, 1].
    func generator(_ b: NetworkBuilder, _ config: ModelConfig)
    /// Appends D's trunk, from images to features.
    func trunk(_ b: NetworkBuilder, _ config: ModelConfig)
    /// Appends a head's projection of the trunk's features to `outputs` values per sample.
    func project(_ b: NetworkBuilder, outputs: Int)
    /// Appends the hidden layers of a Q head (before its Flatten and Linear).
    func qHidden(_ b: NetworkBuilder, _ config: ModelConfig)
    /// Image sizes it can produce, and a check of the configuration.
    func validate(_ config: ModelConfig) throws(ModelError)
}
