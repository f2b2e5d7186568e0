/// The updates of one training iteration: `dSteps` discriminator steps, each on a fresh real
/// batch and fresh fakes, then `gSteps` generator steps.
///
/// - `joint` (pytorch/examples `dcgan/main.py`): one D update per D step, on the summed
///   gradients of the real and the fake batch; the first G step reuses the last D step's fakes
///   (and their inputs), later G steps draw fresh noise.
/// - `separate` (the Keras CelebA tutorial): two D updates per D step, first on the real batch,
///   then on the fake batch; every G step draws fresh noise.
///
/// Iteration `t` consumes data batches `cursor ..< cursor + dSteps` (the cursor is part of the
/// training state, so a resumed run continues with the next unused batch even when the schedule
/// changed), and draws G's inputs from draw `j` of step `t`: `j < dSteps` for the D steps,
/// `dSteps + j` for fresh G steps (draw 0 is the stream of the default schedule).
public struct Schedule: Codable, Equatable, Sendable, CustomStringConvertible {
    public enum DiscriminatorUpdate: String, Codable, Sendable, CaseIterable {
        case joint, separate
    }

    public var dSteps: Int
    public var gSteps: Int
    public var dUpdate: DiscriminatorUpdate

    /// The most steps of each kind: draws and dropout streams are numbered below 64.
    public static let maximumSteps = 30

    public init(dSteps: Int = 1, gSteps: Int = 1, dUpdate: DiscriminatorUpdate = .joint) {
        self.dSteps = dSteps
        self.gSteps = gSteps
        self.dUpdate = dUpdate
    }

    /// The default, pytorch/examples' iteration: one joint D update, one G update on the same fakes.
    public var isDefault: Bool { self == Schedule() }

    /// Adam updates of D per iteration.
    public var discriminatorUpdates: Int { dUpdate == .joint ? dSteps : 2 * dSteps }

    /// Whether G step `j` trains on the fakes of the last D step rather than fresh ones.
    public func reusesFakes(generatorStep j: Int) -> Bool { j == 0 && dUpdate == .joint }

    public func validate() throws(TrainingError) {
        guard (1...Self.maximumSteps).contains(dSteps), (1...Self.maximumSteps).contains(gSteps) else {
            throw TrainingError("--d-steps and --g-steps must be from 1 to \(Self.maximumSteps), got \(dSteps) and \(gSteps)")
        }
    }

    public var description: String {
        "\(dSteps) D step\(dSteps == 1 ? "" : "s") (\(dUpdate.rawValue) update\(dUpdate == .joint ? "" : "s") on real and fake), \(gSteps) G step\(gSteps == 1 ? "" : "s") per iteration"
    }
}
