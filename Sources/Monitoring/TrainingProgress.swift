import Foundation

/// The progress bar `train` shows on a terminal: steps done, the rate in images per second and
/// the time left, redrawn in place (at most five times a second) under the log lines.
public final class TrainingProgress {
    public let total: Int
    public let enabled: Bool
    private var last = Date.distantPast
    private var shown = false

    /// Draws only when standard output is a terminal; logs redirected to a file stay plain lines.
    /// Under mpirun it never draws: OpenMPI gives ranks a pseudo-terminal whatever mpirun's own
    /// output is (a batch job's log file would fill with redraws).
    public init(total: Int, enabled: Bool = isatty(STDOUT_FILENO) != 0 && ProcessInfo.processInfo.environment["OMPI_COMM_WORLD_SIZE"] == nil) {
        self.total = total
        self.enabled = enabled
    }

    /// Clears the bar before a log line is printed.
    public func clear() {
        guard enabled, shown else { return }
        FileHandle.standardOutput.write(Data("\r\u{1B}[K".utf8))
        shown = false
    }

    public func update(step: Int, imagesPerSecond: Double, stepsPerSecond: Double) {
        guard enabled else { return }
        let now = Date()
        guard now.timeIntervalSince(last) >= 0.2 || step == total else { return }
        last = now
        let width = 30, filled = total > 0 ? width * step / total : width
        let left = stepsPerSecond > 0 ? Double(total - step) / stepsPerSecond : 0
        let bar = String(repeating: "=", count: filled) + String(repeating: " ", count: width - filled)
        FileHandle.standardOutput.write(Data(String(format: "\r[%@] %d/%d  %.1f img/s  %@ left\u{1B}[K", bar, step, total, imagesPerSecond, Self.duration(left)).utf8))
        shown = true
    }

    static func duration(_ seconds: Double) -> String {
        let s = Int(seconds.rounded())
        return s >= 3600 ? "\(s / 3600)h\(s % 3600 / 60)m" : s >= 60 ? "\(s / 60)m\(s % 60)s" : "\(s)s"
    }
}
