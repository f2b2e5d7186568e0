import Foundation

/// The run directory's `checkpoints/step-NNNNNNN.safetensors`, managed by rank 0:
/// atomic writes, keeping the newest `keep`, and finding the newest valid one.
public struct CheckpointStore {
    public let directory: URL
    public let keep: Int

    public init(runDirectory: URL, keep: Int) {
        directory = runDirectory.appendingPathComponent("checkpoints")
        self.keep = keep
    }

    public func url(step: Int) -> URL {
        directory.appendingPathComponent(String(format: "step-%07d.safetensors", step))
    }

    /// Checkpoint files present, newest (highest step) first.
    public func list() -> [(step: Int, url: URL)] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? []
        return names.compactMap { name -> (Int, URL)? in
            guard name.hasPrefix("step-"), name.hasSuffix(".safetensors"),
                  let step = Int(name.dropFirst(5).dropLast(12)) else { return nil }
            return (step, directory.appendingPathComponent(name))
        }.sorted { $0.0 > $1.0 }
    }

    /// Writes atomically (temporary file, fsync, rename, fsync of the directory), then deletes
    /// all but the newest `keep`.
    public func write(_ checkpoint: Checkpoint) throws(TrainingError) {
        do { try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true) } catch {
            throw TrainingError("\(directory.path): cannot create (\(error.localizedDescription))")
        }
        try AtomicFile.write(checkpoint.serialized(), to: url(step: checkpoint.step))
        for old in list().dropFirst(keep) { try? FileManager.default.removeItem(at: old.url) }
    }

    /// The newest checkpoint that reads and validates; `skipped` gets one line per bad one.
    public func newestValid(skipped: (String) -> Void) -> (Checkpoint, URL)? {
        for candidate in list() {
            do {
                return (try Checkpoint(contentsOf: candidate.url), candidate.url)
            } catch {
                skipped("skipping \(candidate.url.lastPathComponent): \(error.description)")
            }
        }
        return nil
    }
}
