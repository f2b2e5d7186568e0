import Models
import Neural

/// What a GAN minimises, as data: the terms of the D step and of the G step. One training step
/// (`GANTrainer`) runs any objective; NS-GAN, AC-GAN and InfoGAN are three values of this type.
///
/// Every term is a loss on one head of D for the samples of one pass, with a target and a
/// weight, and names the metrics it feeds. Per-sample losses are averaged over the global batch
/// `B` (their gradients are scaled by `weight / B`), so a metric is `Σ weight·ℓ_i / B`.
public struct Objective: Sendable {
    /// A forward pass of D within a step.
    public enum Pass: Sendable, CaseIterable {
        /// D step, on the real batch.
        case real
        /// D step, on G's samples (G gets no gradient).
        case fake
        /// G step, on the same samples through the updated D (D gets no parameter gradients).
        case generator
    }

    /// Where a term's target comes from.
    public enum Target: Sendable, Equatable {
        case constant(Float)
        /// The real batch's dataset labels.
        case realLabels
        /// The classes sampled for G's inputs (AC-GAN).
        case sampledClasses
        /// Categorical code `k` sampled for G's inputs (InfoGAN).
        case categoricalCode(Int)
        /// The continuous codes sampled for G's inputs (InfoGAN).
        case continuousCodes
    }

    public struct Term: Sendable {
        public let pass: Pass
        /// Index of the head in D's heads (`Conditioning.heads` order).
        public let head: Int
        public let loss: Loss
        public let target: Target
        public let weight: Float
        /// The metrics the weighted loss adds to, e.g. `loss_g` and `loss_info`.
        public let lossMetrics: [String]
        /// The metric its auxiliary mean goes to: `σ(z)` for BCE (`d_x`), accuracy for CE.
        public let auxiliaryMetric: String?

        public init(_ pass: Pass, head: Int, _ loss: Loss, target: Target, weight: Float = 1, loss lossMetrics: String..., auxiliary: String? = nil) {
            self.pass = pass
            self.head = head
            self.loss = loss
            self.target = target
            self.weight = weight
            self.lossMetrics = lossMetrics
            auxiliaryMetric = auxiliary
        }
    }

    /// How a metric is shown in the log line: a label and one or more metric names joined by " / ".
    public struct Display: Sendable {
        public let label: String
        public let metrics: [String]
        public init(_ label: String, _ metrics: [String]) {
            self.label = label
            self.metrics = metrics
        }
    }

    public let name: String
    public let terms: [Term]
    /// Metric names in the order of `metrics.jsonl`: those displayed, in display order, then the rest.
    public let metrics: [String]
    public let display: [Display]

    public init(name: String, terms: [Term], display: [Display]) {
        self.name = name
        self.terms = terms
        self.display = display
        var names: [String] = display.flatMap(\.metrics)
        for term in terms {
            for m in term.lossMetrics + (term.auxiliaryMetric.map { [$0] } ?? []) where !names.contains(m) { names.append(m) }
        }
        metrics = names
    }

    public func terms(of pass: Pass) -> [Term] { terms.filter { $0.pass == pass } }

    /// The heads a pass reads, in head order.
    public func heads(of pass: Pass) -> [Int] { Array(Set(terms(of: pass).map(\.head))).sorted() }
}
