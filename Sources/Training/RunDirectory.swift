import Foundation
import Storage

/// The run directory as rank 0 owns it for the length of a run: locked against a second
/// trainer, cleared of temporary files that killed processes left, with `samples/` and
/// `checkpoints/` created (and checked to be writable directories) before the first step.
///
/// Earlier runs' files are never deleted or overwritten: starting over moves them into
/// `previous-<date>-<time>/` inside the run directory.
final class RunDirectory {
    let url: URL
    let store: CheckpointStore
    private let lock: DirectoryLock

    /// Files of a run, apart from the checkpoints.
    static let runFiles = ["config.json", "metrics.jsonl", "real.png", "samples"]

    init(_ path: String, keep: Int, print: @escaping (String) -> Void) throws(TrainingError) {
        url = URL(fileURLWithPath: path)
        do {
            try Directory.prepareForWriting(path)
            lock = try DirectoryLock(path, holder: "swiftgan train",
                                     advice: "two trainers must not share a run directory; wait for it to end or choose another --run-dir")
        } catch { throw TrainingError("--run-dir \(error.description)") }
        store = CheckpointStore(runDirectory: url, keep: keep, warn: print)
        for directory in [path, "\(path)/checkpoints", "\(path)/samples"] where Directory.exists(directory) {
            for name in TemporaryFile.removeStale(in: directory) {
                print("removed \(directory)/\(name), a temporary file left by an interrupted run")
            }
        }
        try createSubdirectories()
    }

    private func createSubdirectories() throws(TrainingError) {
        for name in ["checkpoints", "samples"] {
            do { try Directory.prepareForWriting(url.appendingPathComponent(name).path) } catch {
                throw TrainingError("--run-dir \(error.description)")
            }
        }
    }

    /// Whether an earlier run left files here.
    var holdsRun: Bool {
        !store.list().isEmpty || Self.runFiles.contains { name in
            name == "samples" ? !Directory.entries(url.appendingPathComponent(name).path).isEmpty
                              : Directory.exists(url.appendingPathComponent(name).path)
        }
    }

    /// Moves the earlier run's files (checkpoints included, readable or not) into
    /// `previous-<date>-<time>/`; returns that directory's path.
    func moveAside() throws(TrainingError) -> String {
        let formatter = DateFormatter()
        formatter.dateFormat = "yyyyMMdd-HHmmss"
        formatter.locale = Locale(identifier: "en_US_POSIX")
        var target = url.appendingPathComponent("previous-\(formatter.string(from: Date()))")
        var suffix = 1
        while Directory.exists(target.path) {
            suffix += 1
            target = url.appendingPathComponent("previous-\(formatter.string(from: Date()))-\(suffix)")
        }
        do { try Directory.create(target.path) } catch { throw TrainingError("--run-dir \(error.description)") }
        for name in Self.runFiles + ["checkpoints"] where Directory.exists(url.appendingPathComponent(name).path) {
            guard rename(url.appendingPathComponent(name).path, target.appendingPathComponent(name).path) == 0 else {
                throw TrainingError("--run-dir: cannot move \(name) into \(target.path) (\(String(cString: strerror(errno))))")
            }
        }
        try createSubdirectories()
        return target.path
    }
}
