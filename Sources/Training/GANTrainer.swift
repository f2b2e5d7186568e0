import Distributed
import Models
import Neural
import Storage

/// One replica of G and D with their optimizers, and the training iteration that runs any
/// `Objective` under any `Schedule` (DESIGN.md). With the default schedule:
///
/// ```
/// D step:  D(real) → the objective's real terms → backward (D parameters)
///          fake = G(inputs);  D(fake) → its fake terms → backward (D parameters only)
///          reduce D's gradients over micro-batches and ranks → Adam(D)
/// G step:  D(fake) through the updated D → its generator terms → backward (input gradient only)
///          → G backward → reduce G's gradients → Adam(G)
/// ```
/// `--d-steps` repeats the D step on fresh batches, `separate` reduces and updates after the
/// real pass and again after the fake pass, and `--g-steps` repeats the G step on fresh fakes.
/// Losses are means over the global batch `B` (gradients scaled by `weight/B`), so the reduced
/// gradient is the global batch's; synchronized BN makes the normalisation the global batch's
/// too, so R replicas follow one process with batch B. With micro-batches (`Reduction.exact`)
/// they follow it to the bit.
public final class GANTrainer {
    public let model: ModelConfig
    public let objective: Objective
    public let generator: Network
    public let discriminator: Network
    public var optimizerG: Adam
    public var optimizerD: Adam
    public let communicator: Communicator
    public let reduction: Reduction
    public let localBatch: Int
    /// Global index of this replica's first sample within each global batch.
    public let firstGlobalIndex: Int
    public let seed: UInt64
    public let schedule: Schedule
    /// `(b, C, H, W)` real images of the current D step, and `(b)` their labels, filled by the caller.
    public let real: Tensor
    public let realLabels: UnsafeMutablePointer<Int32>
    /// G's inputs of the current step (`fillLatents`).
    public let inputs: GeneratorInputs
    public var latent: Tensor { inputs.latent }
    /// The last step's metrics (updated in place).
    public let metrics: StepMetrics
    /// Where the current step is, for the stall watchdog.
    public let phase = StepPhase()
    /// Completed training iterations.
    public var step = 0
    /// Data batches consumed: iteration `t` trains on batches `batches ..< batches + dSteps`.
    public var batches = 0

    /// Where G's inputs of a step come from.
    public enum Latents {
        /// Drawn from the seed, the step and the draw (`GeneratorInputs`).
        case drawn
        /// Left as the caller set `inputs` (golden tests); the schedule must need one draw only.
        case preset
        /// Filled by the caller into `inputs` for each draw (golden tests of other schedules).
        case supplied((_ draw: Int) -> Void)

        var isPreset: Bool { if case .preset = self { true } else { false } }
    }

    /// A term ready to run: where its metrics go and its gradient scale `weight/B`.
    struct CompiledTerm {
        let term: Objective.Term
        let lossSlots: [Int]
        let auxiliarySlot: Int?
        let scale: Float
    }

    struct CompiledPass {
        let terms: [CompiledTerm]
        let heads: [Int]
    }

    private let passes: [CompiledPass]
    /// `(chunks, slots + 1)` per-micro-batch metric sums (the last column: the stop flag) and their total.
    private let metricWidth: Int
    private let metricPartials: UnsafeMutablePointer<Double>
    private let metricTotals: UnsafeMutablePointer<Double>
    /// Per metric: the steps whose means it sums (D steps for the D passes' metrics, G steps for G's).
    private let metricSteps: [Double]
    private let partialGradients: PartialGradients?
    private let optimizerTimer = CommunicationTimer()
    private let reductionTimer = CommunicationTimer()

    /// - `microBatch`: samples per micro-batch for exact, rank-count-independent reductions
    ///   (it must divide `localBatch`); 0 for one floating-point allreduce per sum.
    public init(model: ModelConfig, objective: Objective? = nil, schedule: Schedule = Schedule(), learningRate: Float,
                generatorLearningRate: Float? = nil, beta1: Float, localBatch: Int, communicator: Communicator, seed: UInt64, microBatch: Int = 0) {
        precondition(microBatch == 0 || localBatch % microBatch == 0, "micro-batch \(microBatch) does not divide \(localBatch)")
        let objective = objective ?? .of(model)
        self.model = model
        self.objective = objective
        self.communicator = communicator
        self.localBatch = localBatch
        self.seed = seed
        self.schedule = schedule
        firstGlobalIndex = communicator.rank * localBatch
        generator = model.generator(batch: localBatch, microBatch: microBatch)
        discriminator = model.discriminator(batch: localBatch, microBatch: microBatch)
        generator.arena.initialize(seed: seed, network: 0)
        discriminator.arena.initialize(seed: seed, network: 1)
        optimizerG = Adam(learningRate: generatorLearningRate ?? learningRate, beta1: beta1)
        optimizerD = Adam(learningRate: learningRate, beta1: beta1)
        reduction = Reduction(mode: microBatch > 0 ? .exact(microBatch: microBatch) : .summed, communicator: communicator)
        let chunks = Chunks(samples: localBatch, microBatch: microBatch).count
        partialGradients = microBatch > 0 ? PartialGradients(chunks: chunks, stride: max(generator.arena.count, discriminator.arena.count)) : nil
        for network in [generator, discriminator] {
            network.context.random = Philox(seed: seed)
            network.context.firstSampleIndex = firstGlobalIndex
            network.context.microBatch = microBatch
            network.context.reducer = reduction
            network.arena.partials = partialGradients
        }
        real = Tensor(model.imageShape.batch(localBatch))
        realLabels = Memory.allocate(localBatch)
        inputs = GeneratorInputs(model.conditioning, batch: localBatch)
        metrics = StepMetrics(names: objective.metrics)
        metricWidth = metrics.names.count + 1
        metricPartials = Memory.allocate(chunks * metricWidth)
        metricTotals = Memory.allocate(metricWidth)
        let globalBatch = Float(localBatch * communicator.size)
        let names = metrics.names
        metricSteps = names.map { name in
            let fromG = objective.terms(of: .generator).contains { $0.lossMetrics.contains(name) || $0.auxiliaryMetric == name }
            return Double(fromG ? schedule.gSteps : schedule.dSteps)
        }
        passes = Objective.Pass.allCases.map { pass in
            CompiledPass(terms: objective.terms(of: pass).map { term in
                CompiledTerm(term: term, lossSlots: term.lossMetrics.map { names.firstIndex(of: $0)! },
                             auxiliarySlot: term.auxiliaryMetric.map { names.firstIndex(of: $0)! }, scale: term.weight / globalBatch)
            }, heads: objective.heads(of: pass))
        }
        let widest = (generator.batchNorms + discriminator.batchNorms).map { 2 * $0.channels + 1 }.max() ?? 0
        reduction.reserve(chunks: chunks, width: max(widest, metricWidth), parameters: max(generator.arena.count, discriminator.arena.count),
                          slices: max(generator.arena.slices.count, discriminator.arena.slices.count))
    }

    deinit {
        Memory.free(realLabels)
        Memory.free(metricPartials)
        Memory.free(metricTotals)
    }

    /// G's inputs of global sample `i` at draw `j` of step `t` depend on `(seed, t, j, i)` only (`GeneratorInputs`).
    public func fillLatents(step t: Int, draw j: Int = 0) {
        inputs.sample(seed: seed, step: t, draw: j, first: firstGlobalIndex, count: localBatch)
    }

    /// Seconds spent in collectives (gradients, statistics, metrics) so far.
    public var communicationSeconds: Double { reduction.statisticsTimer.seconds + reduction.gradientTimer.seconds }
    /// Of which inside BatchNorm layers and metrics.
    public var statisticsSeconds: Double { reduction.statisticsTimer.seconds }
    /// Seconds spent in Adam updates so far.
    public var optimizerSeconds: Double { optimizerTimer.seconds }
    /// Seconds of gradient reduction outside the collectives (the fixed-point conversions of
    /// exact reductions) so far.
    public var conversionSeconds: Double { reductionTimer.seconds - reduction.gradientTimer.seconds }

    /// One training iteration: the schedule's D steps, each on the real batch that
    /// `loadReal(j)` puts into `real` and `realLabels` (D step `j` of this iteration: data batch
    /// `batches + j`), then its G steps; returns the objective's global-batch metrics, each the
    /// mean over the steps of its kind. `stopRequested` is asked at the end of the iteration, just
    /// before the reduction that carries it, so a signal that arrives during it stops the run
    /// after it; the result says whether any rank asked.
    @discardableResult
    public func trainStep(loadReal: (Int) -> Void = { _ in }, latents: Latents = .drawn,
                          stopRequested: () -> Bool = { false }) throws(CommunicatorError) -> StepMetrics {
        precondition(!latents.isPreset || (schedule.dSteps == 1 && schedule.reusesFakes(generatorStep: 0) && schedule.gSteps == 1),
                     "preset latents need a schedule with one draw")
        let D = discriminator, G = generator, n = localBatch, t = UInt64(step)
        D.training = true
        G.training = true
        let chunks = Chunks(samples: n, microBatch: reduction.microBatch).count
        metricPartials.update(repeating: 0, count: chunks * metricWidth)

        // (1) D steps.
        var fake: Tensor!
        for j in 0..<schedule.dSteps {
            loadReal(j)
            draw(j, latents)
            phase.enter(.discriminatorReal, step: j)
            D.arena.zeroGradients()
            D.context.dropoutStream = RandomStream.dropout(step: t, pass: 0, draw: UInt64(j))
            run(passes[0], on: real, inputGradient: false, parameterGradients: true)
            if schedule.dUpdate == .separate {
                phase.enter(.discriminatorUpdate, step: j)
                try update(D, &optimizerD)
                D.arena.zeroGradients()
            }
            phase.enter(.discriminatorFake, step: j)
            fake = G.forward(latent)
            D.context.dropoutStream = RandomStream.dropout(step: t, pass: 1, draw: UInt64(j))
            run(passes[1], on: fake, inputGradient: false, parameterGradients: true)
            phase.enter(.discriminatorUpdate, step: j)
            try update(D, &optimizerD)
        }
        batches += schedule.dSteps

        // (2) G steps through the updated D, without D's parameter gradients.
        for j in 0..<schedule.gSteps {
            let draw = schedule.dSteps + j
            phase.enter(.generator, step: j)
            if !schedule.reusesFakes(generatorStep: j) {
                self.draw(draw, latents)
                fake = G.forward(latent)
            }
            G.arena.zeroGradients()
            D.context.dropoutStream = RandomStream.dropout(step: t, pass: 2, draw: UInt64(draw))
            let dFake = run(passes[2], on: fake, inputGradient: true, parameterGradients: false)
            G.backward(dFake, inputGradient: false)
            phase.enter(.generatorUpdate, step: j)
            try update(G, &optimizerG)
        }
        step += 1
        phase.enter(.metrics)

        metricPartials[metricWidth - 1] = stopRequested() ? 1 : 0
        try reduction.reduceRows(metricPartials, chunks: chunks, width: metricWidth, into: metricTotals)
        let globalBatch = Double(n * communicator.size)
        for i in 0..<(metricWidth - 1) { metrics.set(i, Float(metricTotals[i] / (globalBatch * metricSteps[i]))) }
        metrics.stopRequested = metricTotals[metricWidth - 1] > 0
        phase.enter(.idle)
        return metrics
    }

    private func draw(_ j: Int, _ latents: Latents) {
        switch latents {
        case .drawn: fillLatents(step: step, draw: j)
        case .preset: break
        case let .supplied(fill): fill(j)
        }
    }

    /// Reduces `network`'s gradients over micro-batches and ranks, then one Adam update.
    private func update(_ network: Network, _ optimizer: inout Adam) throws(CommunicatorError) {
        var start = reductionTimer.start()
        try reduction.reduceGradients(network.arena)
        reductionTimer.stop(start)
        start = optimizerTimer.start()
        optimizer.update(network.arena)
        optimizerTimer.stop(start)
    }

    /// D forward on `x` through the pass's heads, its terms' losses (gradients into the heads,
    /// sums into the metric rows, micro-batch by micro-batch), and D backward.
    @discardableResult
    private func run(_ pass: CompiledPass, on x: Tensor, inputGradient: Bool, parameterGradients: Bool) -> Tensor {
        let D = discriminator, n = x.shape.n
        D.forward(x, heads: pass.heads)
        for h in pass.heads {
            D.heads[h].gradient.setBatch(n)
            D.heads[h].gradient.fill(0)
        }
        for c in D.context.chunks(n) {
            let row = metricPartials + c.index * metricWidth
            for compiled in pass.terms {
                let head = D.heads[compiled.term.head]
                let sums = compiled.term.loss.apply(output: head.output.data, width: head.width, target: target(compiled.term.target),
                                                    samples: c.range, scale: compiled.scale, gradient: head.gradient.data)
                for slot in compiled.lossSlots { row[slot] += Double(compiled.term.weight) * sums.loss }
                if let slot = compiled.auxiliarySlot { row[slot] += sums.auxiliary }
            }
        }
        return D.backwardHeads(inputGradient: inputGradient, parameterGradients: parameterGradients)
    }

    private func target(_ target: Objective.Target) -> Loss.Target {
        switch target {
        case let .constant(v): .constant(v)
        case .realLabels: .labels(realLabels)
        case .sampledClasses: .labels(inputs.classes)
        case let .categoricalCode(k): .labels(inputs.code(k))
        case .continuousCodes: .values(inputs.continuous, stride: model.conditioning.continuous, offset: 0)
        }
    }

    // MARK: State

    /// Everything a checkpoint holds, the broadcast copies and the replica digest covers:
    /// parameters and BN buffers of both networks, Adam's moments, and the step counters.
    public var state: StateList {
        StateList(tensors: generator.stateTensors(prefix: "netG") + discriminator.stateTensors(prefix: "netD")
                      + generator.optimizerTensors(name: "optimizerG") + discriminator.optimizerTensors(name: "optimizerD"),
                  counters: [
                      .init(name: "step", get: { [unowned self] in step }, set: { [unowned self] in step = $0 }),
                      // Checkpoints before schedules existed trained on batch t at step t.
                      .init(name: "batches", get: { [unowned self] in batches }, set: { [unowned self] in batches = $0 },
                            absent: { $0["step"].flatMap(Int.init) }),
                      .init(name: "optimizerG.step", get: { [unowned self] in optimizerG.step }, set: { [unowned self] in optimizerG.step = $0 }),
                      .init(name: "optimizerD.step", get: { [unowned self] in optimizerD.step }, set: { [unowned self] in optimizerD.step = $0 }),
                  ])
    }
}
