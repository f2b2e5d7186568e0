import Foundation
import Synchronization

/// Ends a job whose training step stopped making progress: a collective that never returns
/// (a peer rank hung, or a network path lost without the launcher noticing) would otherwise
/// hold every rank, and the allocation, until something outside gives up.
///
/// A thread polls four times a second. A step is stalled when it has run longer than the
/// limit: `timeout` seconds when given; by default the longer of `floor` (30 s) and `factor`
/// (10) times the median of the last 50 steps, and 600 s for the first step (no history yet).
/// A slow but live step (a rank stopped for 20 s and resumed) stays under the floor. On a stall
/// the watchdog calls `onStall` once with a message naming the rank, its host, the step and the
/// phase it is stuck in (`StepPhase`); by default it prints it and exits the process at once
/// with status 75, so the launcher ends the job (the main thread is inside MPI and cannot
/// unwind). Checkpoints are written atomically, so the last one stays intact.
public final class StallWatchdog: @unchecked Sendable {
    public static let floor = 30.0
    public static let factor = 10.0
    public static let firstStep = 600.0
    static let history = 50

    /// The limit for the next step, given the durations of earlier ones (newest last).
    public static func limit(timeout: Double?, durations: [Double]) -> Double {
        if let timeout { return timeout }
        guard !durations.isEmpty else { return firstStep }
        let recent = durations.suffix(history).sorted()
        let median = recent.count % 2 == 1 ? recent[recent.count / 2] : (recent[recent.count / 2 - 1] + recent[recent.count / 2]) / 2
        return max(floor, factor * median)
    }

    private let timeout: Double?
    private let phase: StepPhase
    private let identity: String
    private let onStall: @Sendable (String) -> Void
    private let lock = NSLock()
    private var durations: [Double] = []
    /// Set while a step runs: its number and start (uptime nanoseconds), and its limit.
    private var running: (step: Int, start: UInt64, limit: Double)?
    private let stopped = Atomic<Bool>(false)
    private var fired = false

    /// - `timeout`: a fixed limit in seconds, or nil for the automatic one.
    /// - `identity`: e.g. "rank 1 on node07".
    public init(timeout: Double?, phase: StepPhase, identity: String,
                onStall: @escaping @Sendable (String) -> Void = StallWatchdog.exitJob) {
        self.timeout = timeout
        self.phase = phase
        self.identity = identity
        self.onStall = onStall
        durations.reserveCapacity(Self.history * 2)
        Thread.detachNewThread { [weak self] in
            while let watchdog = self, !watchdog.stopped.load(ordering: .relaxed) {
                watchdog.check()
                usleep(250_000)
            }
        }
    }

    deinit { stopped.store(true, ordering: .relaxed) }

    public func stop() { stopped.store(true, ordering: .relaxed) }

    /// Prints the message as an error line and exits with status 75 without unwinding.
    public static let exitJob: @Sendable (String) -> Void = { message in
        FileHandle.standardError.write(Data("error: \(message)\n".utf8))
        _exit(75)
    }

    public func stepStarted(_ step: Int) {
        lock.lock()
        running = (step, DispatchTime.now().uptimeNanoseconds, Self.limit(timeout: timeout, durations: durations))
        lock.unlock()
    }

    public func stepEnded() {
        lock.lock()
        if let running {
            if durations.count == 2 * Self.history { durations.removeFirst(Self.history) }
            durations.append(Double(DispatchTime.now().uptimeNanoseconds - running.start) * 1e-9)
        }
        running = nil
        lock.unlock()
    }

    private func check() {
        lock.lock()
        guard let running, !fired else { lock.unlock(); return }
        let elapsed = Double(DispatchTime.now().uptimeNanoseconds - running.start) * 1e-9
        guard elapsed > running.limit else { lock.unlock(); return }
        fired = true
        let basis = timeout != nil ? "--stall-timeout" : durations.isEmpty ? "the first step's limit" : "10 x the median step, at least \(Int(Self.floor)) s"
        lock.unlock()
        onStall("\(identity): step \(running.step + 1) made no progress for \(Int(elapsed)) s (limit \(Int(running.limit.rounded(.up))) s: \(basis)), stuck in \(phase.description); "
                + "a peer rank or the network between ranks is not responding. The job ends; the newest checkpoint is intact (resume with --resume auto)")
    }
}
