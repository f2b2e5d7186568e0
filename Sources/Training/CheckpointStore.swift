import Foundation
import Storage

/// The run directory's `checkpoints/step-NNNNNNN.safetensors`, managed by rank 0: atomic
/// writes, keeping the newest `keep` valid ones, and finding the newest valid one.
///
/// Nothing unreadable is ever deleted: pruning removes only checkpoints that validate
/// (format, version, checksum), so a file this build cannot read (corrupt, or written by a
/// newer version) stays for the user to inspect, and is reported once.
public final class CheckpointStore {
    public let directory: URL
    public let keep: Int
    /// Receives one line per checkpoint that pruning leaves because it cannot be read.
    var warn: (String) -> Void
    /// Paths known to validate: written by this process, or checked once.
    private var validated: Set<String> = []
    private var reported: Set<String> = []

    public init(runDirectory: URL, keep: Int, warn: @escaping (String) -> Void = { _ in }) {
        directory = runDirectory.appendingPathComponent("checkpoints")
        self.keep = keep
        self.warn = warn
    }

    public func url(step: Int) -> URL {
        directory.appendingPathComponent(String(format: "step-%07d.safetensors", step))
    }

    /// Checkpoint files present, newest (highest step) first.
    public func list() -> [(step: Int, url: URL)] {
        Directory.entries(directory.path).compactMap { name -> (Int, URL)? in
            guard name.hasPrefix("step-"), name.hasSuffix(".safetensors"),
                  let step = Int(name.dropFirst(5).dropLast(12)), step >= 0 else { return nil }
            return (step, directory.appendingPathComponent(name))
        }.sorted { $0.0 > $1.0 }
    }

    /// Writes atomically (temporary file, fsync, rename, fsync of the directory), then removes
    /// valid checkpoints beyond the newest `keep` valid ones.
    public func write(_ checkpoint: Checkpoint) throws(TrainingError) {
        let url = url(step: checkpoint.step)
        try io { () throws(StorageError) in
            try Directory.create(directory.path)
            try AtomicFile.write(checkpoint.serialized(), to: url.path)
        }
        validated.insert(url.path)
        prune()
    }

    private func prune() {
        var kept = 0
        for candidate in list() {
            guard isValid(candidate.url) else {
                if reported.insert(candidate.url.path).inserted {
                    warn("keeping \(candidate.url.lastPathComponent): it cannot be read by this build, so it is never deleted")
                }
                continue
            }
            kept += 1
            if kept > keep {
                unlink(candidate.url.path)
                validated.remove(candidate.url.path)
            }
        }
    }

    private func isValid(_ url: URL) -> Bool {
        if validated.contains(url.path) { return true }
        guard (try? Checkpoint(contentsOf: url)) != nil else { return false }
        validated.insert(url.path)
        return true
    }

    /// The newest checkpoint that reads and validates; `skipped` gets one line per bad one.
    public func newestValid(skipped: (String) -> Void) -> (Checkpoint, URL)? {
        for candidate in list() {
            do {
                let checkpoint = try Checkpoint(contentsOf: candidate.url)
                validated.insert(candidate.url.path)
                return (checkpoint, candidate.url)
            } catch {
                skipped("skipping \(candidate.url.lastPathComponent): \(error.description)")
            }
        }
        return nil
    }
}
