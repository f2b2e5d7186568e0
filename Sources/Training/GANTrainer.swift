import Distributed
import Models
import Neural

/// Means over the global batch of one step's losses and discriminator outputs.
public struct StepMetrics: Sendable, Equatable {
    /// `BCE(D(x), 1) + BCE(D(G(z)), 0)` in the D step.
    public var lossD: Float
    /// `BCE(D(G(z)), 1)` in the G step (non-saturating loss).
    public var lossG: Float
    /// Mean `σ(D(x))`, and mean `σ(D(G(z)))` before and after the D update.
    public var realProbability: Float
    public var fakeProbabilityBefore: Float
    public var fakeProbabilityAfter: Float
    /// Some rank was asked to stop (SIGTERM, SIGINT) during this step: every rank sees it.
    public var stopRequested = false

    public var isFinite: Bool {
        [lossD, lossG, realProbability, fakeProbabilityBefore, fakeProbabilityAfter].allSatisfy(\.isFinite)
    }
}

/// One replica of G and D with their optimizers, and the training step of DESIGN.md:
///
/// ```
/// D step: D(real) → BCE(1) → backward;  fake = G(z);  D(fake) → BCE(0) → backward (D only)
///         allreduce-average D's gradient arena → Adam(D)
/// G step: D(fake) → BCE(1) → backward through D (input gradient only) → G backward
///         allreduce-average G's gradient arena → Adam(G)
/// ```
/// Losses are means over this replica's batch `b`; averaging gradients over `R` replicas then
/// gives the gradient of the mean over the global batch `B = R·b`, and synchronized BN makes
/// the normalisation that of the global batch, so R replicas follow one process with batch B.
public final class GANTrainer {
    public let model: ModelConfig
    public let generator: Network
    public let discriminator: Network
    public var optimizerG: Adam
    public var optimizerD: Adam
    public let communicator: Communicator
    public let localBatch: Int
    /// Global index of this replica's first sample within each global batch.
    public let firstGlobalIndex: Int
    public let seed: UInt64
    /// `(b, C, H, W)` real images of the current step, filled by the caller.
    public let real: Tensor
    /// `(b, nz, 1, 1)` latent vectors of the current step (`fillLatents`).
    public let latent: Tensor
    /// `(b, 1, 1, 1)` gradient of the loss with respect to D's logits.
    private let dLogits: Tensor
    /// `(6)` metrics and the stop flag, exchanged between replicas in one reduction.
    private let metricSums: UnsafeMutablePointer<Float>
    /// Completed training steps.
    public var step = 0

    public init(model: ModelConfig, learningRate: Float, beta1: Float, localBatch: Int,
                communicator: Communicator, seed: UInt64) {
        self.model = model
        self.communicator = communicator
        self.localBatch = localBatch
        self.seed = seed
        firstGlobalIndex = communicator.rank * localBatch
        generator = model.generator(batch: localBatch)
        discriminator = model.discriminator(batch: localBatch)
        generator.arena.initialize(seed: seed, network: 0)
        discriminator.arena.initialize(seed: seed, network: 1)
        optimizerG = Adam(learningRate: learningRate, beta1: beta1)
        optimizerD = Adam(learningRate: learningRate, beta1: beta1)
        if communicator.size > 1 {
            let reducer = SynchronizedStatistics(communicator, timer: statisticsTimer)
            generator.context.reducer = reducer
            discriminator.context.reducer = reducer
        }
        for network in [generator, discriminator] {
            network.context.random = Philox(seed: seed)
            network.context.firstSampleIndex = firstGlobalIndex
        }
        real = Tensor(model.imageShape.batch(localBatch))
        latent = Tensor(model.latentShape.batch(localBatch))
        dLogits = Tensor(Shape(localBatch, 1, 1, 1))
        metricSums = .allocate(capacity: 6)
        metricSums.initialize(repeating: 0, count: 6)
    }

    deinit { metricSums.deallocate() }

    /// `z` of global sample `i` at step `t` is `normal(Philox(seed), stream latent(t), index i)`:
    /// the same on any rank count.
    public func fillLatents(step t: Int) {
        let random = Philox(seed: seed)
        let nz = model.nz
        for s in 0..<localBatch {
            random.normals(stream: RandomStream.latent(step: UInt64(t)), index: UInt64(firstGlobalIndex + s),
                           into: latent.data + s * nz, count: nz)
        }
    }

    /// Seconds spent in collectives (gradient averaging, metrics, synchronized BN) so far.
    public var communicationSeconds: Double { timer.seconds + statisticsTimer.seconds }
    /// Of which inside BatchNorm layers (synchronized statistics).
    public var statisticsSeconds: Double { statisticsTimer.seconds }
    /// Seconds spent in Adam updates so far.
    public var optimizerSeconds: Double { optimizerTimer.seconds }
    private let timer = CommunicationTimer()
    private let statisticsTimer = CommunicationTimer()
    private let optimizerTimer = CommunicationTimer()

    /// One D step and one G step on `real` and `latent`; returns global-batch means.
    /// `stopRequested` is asked at the end of the step, just before the reduction that carries
    /// it, so a signal that arrives during this step stops the run after this step; the
    /// result says whether any rank asked.
    public func trainStep(stopRequested: () -> Bool = { false }) throws(CommunicatorError) -> StepMetrics {
        let D = discriminator, G = generator
        D.training = true
        G.training = true

        // (1) D step: maximise log D(x) + log(1 − D(G(z))).
        D.arena.zeroGradients()
        D.context.dropoutStream = RandomStream.dropout(step: UInt64(step), pass: 0)
        let realLoss = BCEWithLogits.loss(logits: D.forward(real), target: 1, gradient: dLogits)
        D.backward(dLogits, inputGradient: false)
        let fake = G.forward(latent)
        D.context.dropoutStream = RandomStream.dropout(step: UInt64(step), pass: 1)
        let fakeLoss = BCEWithLogits.loss(logits: D.forward(fake), target: 0, gradient: dLogits)
        D.backward(dLogits, inputGradient: false)
        try averageGradients(D.arena)
        var start = optimizerTimer.start()
        optimizerD.update(D.arena)
        optimizerTimer.stop(start)

        // (2) G step: maximise log D(G(z)) through the updated D, without D weight gradients.
        G.arena.zeroGradients()
        D.context.dropoutStream = RandomStream.dropout(step: UInt64(step), pass: 2)
        let generatorLoss = BCEWithLogits.loss(logits: D.forward(fake), target: 1, gradient: dLogits)
        let dFake = D.backward(dLogits, inputGradient: true, parameterGradients: false)
        G.backward(dFake, inputGradient: false)
        try averageGradients(G.arena)
        start = optimizerTimer.start()
        optimizerG.update(G.arena)
        optimizerTimer.stop(start)
        step += 1

        metricSums[0] = realLoss.loss + fakeLoss.loss
        metricSums[1] = generatorLoss.loss
        metricSums[2] = realLoss.meanProbability
        metricSums[3] = fakeLoss.meanProbability
        metricSums[4] = generatorLoss.meanProbability
        metricSums[5] = stopRequested() ? 1 : 0
        start = timer.start()
        try communicator.allreduceSum(metricSums, count: 6)
        timer.stop(start)
        let r = Float(communicator.size)
        return StepMetrics(lossD: metricSums[0] / r, lossG: metricSums[1] / r, realProbability: metricSums[2] / r,
                           fakeProbabilityBefore: metricSums[3] / r, fakeProbabilityAfter: metricSums[4] / r,
                           stopRequested: metricSums[5] > 0)
    }

    /// One allreduce over the whole gradient arena, then division by the replica count.
    private func averageGradients(_ arena: ParameterArena) throws(CommunicatorError) {
        guard communicator.size > 1 else { return }
        let start = timer.start()
        try communicator.allreduceSum(arena.gradients, count: arena.count)
        timer.stop(start)
        let scale = 1 / Float(communicator.size)
        let g = arena.gradients!
        for i in 0..<arena.count { g[i] *= scale }
    }
}
