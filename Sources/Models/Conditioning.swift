/// What a GAN's generator takes beside noise, and what its discriminator answers beside
/// real-or-fake: the part of a model that is independent of its backbone.
///
/// Generator input of one sample, a vector of `width` values (read as `(width, 1, 1)`):
/// ```
/// [ noise (nz) | class one-hot (classes) | categorical codes one-hot (Σ categorical) | continuous codes ]
/// ```
/// Discriminator heads on the shared trunk: the adversarial logit, always; class logits when
/// the generator takes a class (AC-GAN); Q outputs when it takes codes (InfoGAN): the logits of
/// each categorical code, then the means of the continuous codes (and their log-variances, when
/// learned).
public struct Conditioning: Codable, Equatable, Sendable {
    public var noise: Int
    /// Classes of the class input and class head (AC-GAN); 0 for none.
    public var classes: Int
    /// Sizes of the categorical codes (InfoGAN's `Cat(10)`).
    public var categorical: [Int]
    /// Number of continuous codes `U(−1, 1)`.
    public var continuous: Int
    /// Whether Q learns the variance of the continuous codes (else σ = 1).
    public var learnedVariance: Bool

    public init(noise: Int, classes: Int = 0, categorical: [Int] = [], continuous: Int = 0, learnedVariance: Bool = false) {
        self.noise = noise
        self.classes = classes
        self.categorical = categorical
        self.continuous = continuous
        self.learnedVariance = learnedVariance
    }

    /// Generator input values per sample.
    public var width: Int { noise + classes + categorical.reduce(0, +) + continuous }
    /// Offset of the class one-hot, of categorical code `k`, and of the continuous codes.
    public var classOffset: Int { noise }
    public func categoricalOffset(_ k: Int) -> Int { noise + classes + categorical.prefix(k).reduce(0, +) }
    public var continuousOffset: Int { noise + classes + categorical.reduce(0, +) }

    public var hasCodes: Bool { !categorical.isEmpty || continuous > 0 }

    /// The discriminator's heads, adversarial first.
    public var heads: [HeadKind] {
        var out: [HeadKind] = [.adversarial]
        if classes > 0 { out.append(.classes(classes)) }
        if hasCodes { out.append(.q(categorical: categorical, continuous: continuous, learnedVariance: learnedVariance)) }
        return out
    }
}

/// A discriminator head and the number of values it gives per sample.
public enum HeadKind: Equatable, Sendable {
    case adversarial
    case classes(Int)
    case q(categorical: [Int], continuous: Int, learnedVariance: Bool)

    /// The head's name and PyTorch module prefix.
    public var name: String {
        switch self {
        case .adversarial: "adv"
        case .classes: "cls"
        case .q: "q"
        }
    }

    public var width: Int {
        switch self {
        case .adversarial: 1
        case let .classes(k): k
        case let .q(categorical, continuous, learned): categorical.reduce(0, +) + continuous * (learned ? 2 : 1)
        }
    }
}
