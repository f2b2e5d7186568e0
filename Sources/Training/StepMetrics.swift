/// The named metrics of one step, global-batch means, as the objective names them
/// (`loss_d`, `loss_g`, `d_x`, …). Owned and updated in place by the trainer, so that a step
/// allocates nothing.
public final class StepMetrics {
    public let names: [String]
    public private(set) var values: [Float]
    /// Some rank was asked to stop (SIGTERM, SIGINT, SIGUSR1) during this step: every rank sees it.
    public internal(set) var stopRequested = false

    init(names: [String]) {
        self.names = names
        values = Array(repeating: 0, count: names.count)
    }

    func set(_ index: Int, _ value: Float) { values[index] = value }

    public subscript(name: String) -> Float? { names.firstIndex(of: name).map { values[$0] } }

    public var isFinite: Bool { values.allSatisfy(\.isFinite) }

    /// The non-saturating objective's five, by their former names.
    public var lossD: Float { self["loss_d"] ?? .nan }
    public var lossG: Float { self["loss_g"] ?? .nan }
    public var realProbability: Float { self["d_x"] ?? .nan }
    public var fakeProbabilityBefore: Float { self["d_g_z1"] ?? .nan }
    public var fakeProbabilityAfter: Float { self["d_g_z2"] ?? .nan }
}

extension Objective {
    /// The metrics as the log shows them: `loss_D 0.6012  loss_G 2.1450  D(x) 0.7712  D(G(z)) 0.2101 / 0.1503`.
    public func line(_ metrics: StepMetrics) -> String {
        display.map { item in
            item.label + " " + item.metrics.map { String(format: "%.4f", metrics[$0] ?? .nan) }.joined(separator: " / ")
        }.joined(separator: "  ")
    }
}
