import Foundation

/// Progress of a long job on stderr: a bar redrawn in place on a terminal, otherwise a plain
/// line every few seconds (batch logs stay readable).
final class Progress {
    let total: Int
    let label: String
    let start = Date()
    let terminal = isatty(STDERR_FILENO) != 0
    var lastLine = Date.distantPast

    init(total: Int, label: String) {
        self.total = total
        self.label = label
    }

    func update(_ done: Int) {
        let now = Date()
        guard terminal || now.timeIntervalSince(lastLine) >= 5 || done == total else { return }
        lastLine = now
        let elapsed = now.timeIntervalSince(start)
        let rate = Double(done) / max(elapsed, 1e-9)
        let left = rate > 0 ? Double(total - done) / rate : 0
        let text = "\(label): \(done)/\(total) files, \(Int(rate)) files/s, \(Self.duration(left)) left"
        if terminal {
            let width = 30, filled = total > 0 ? width * done / total : width
            let bar = String(repeating: "=", count: filled) + String(repeating: " ", count: width - filled)
            FileHandle.standardError.write(Data("\r[\(bar)] \(text)\u{1B}[K".utf8))
            if done == total { FileHandle.standardError.write(Data("\n".utf8)) }
        } else {
            FileHandle.standardError.write(Data("\(text)\n".utf8))
        }
    }

    static func duration(_ seconds: Double) -> String {
        let s = Int(seconds.rounded())
        return s >= 3600 ? "\(s / 3600)h\(s % 3600 / 60)m" : s >= 60 ? "\(s / 60)m\(s % 60)s" : "\(s)s"
    }
}
