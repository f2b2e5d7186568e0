import Foundation

/// Signs that a run is failing, raised once each (and again after a recovery) as a warning line
/// and an event in `metrics.jsonl`:
/// - `d_wins`: D wins outright for a sustained stretch: over the last `window` logged steps D(x)
///   stays above 0.95, D(G(z)) below 0.05, and G's loss ends higher than it began;
/// - `mode_collapse`: an evaluation finds one predicted class holding more than half the samples
///   (of four classes or more), or the class entropy below half its maximum;
/// - `non_finite`: a loss stopped being finite (the run then stops, keeping its last checkpoint).
public struct Alarms {
    public struct Alarm: Equatable, Sendable {
        public let event: String
        public let message: String
    }

    public let window: Int
    private var recent: [(dx: Double, dgz: Double, lossG: Double)] = []
    private var raised: Set<String> = []

    public init(window: Int = 5) { self.window = window }

    /// Feeds one logged step's metrics; returns an alarm when one starts.
    public mutating func observe(_ metrics: [String: Double]) -> Alarm? {
        if let bad = metrics.first(where: { !$0.value.isFinite }) {
            return raise("non_finite", "\(bad.key) is \(bad.value); the run stops and keeps its last good checkpoint")
        }
        guard let dx = metrics["d_x"], let dgz = metrics["d_g_z1"], let lossG = metrics["loss_g"] else { return nil }
        recent.append((dx, dgz, lossG))
        if recent.count > window { recent.removeFirst() }
        let winning = recent.count == window && recent.allSatisfy { $0.dx > 0.95 && $0.dgz < 0.05 } && recent.last!.lossG > recent.first!.lossG
        if winning {
            return raise("d_wins", String(format: "D wins outright: D(x) > 0.95 and D(G(z)) < 0.05 for %d logged steps while loss_G rose to %.3f; G is not learning (lower D's learning rate or raise G's)", window, lossG))
        }
        if recent.last.map({ $0.dx < 0.9 || $0.dgz > 0.1 }) ?? false { raised.remove("d_wins") }
        return nil
    }

    /// Feeds an evaluation's class histogram; returns an alarm when it collapses.
    public mutating func observe(histogram: [Int]) -> Alarm? {
        let n = Double(histogram.reduce(0, +)), k = histogram.count
        guard n > 0, k >= 4 else { return nil }
        let largest = Double(histogram.max()!) / n
        let entropy = histogram.reduce(0.0) { $1 == 0 ? $0 : $0 - Double($1) / n * log2(Double($1) / n) }
        if largest > 0.5 || entropy < 0.5 * log2(Double(k)) {
            return raise("mode_collapse", String(format: "the samples' predicted classes collapse: %.0f%% in one class of %d, entropy %.2f of %.2f bits", 100 * largest, k, entropy, log2(Double(k))))
        }
        raised.remove("mode_collapse")
        return nil
    }

    private mutating func raise(_ event: String, _ message: String) -> Alarm? {
        guard raised.insert(event).inserted else { return nil }
        return Alarm(event: event, message: message)
    }
}
