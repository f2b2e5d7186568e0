import Foundation

/// Names and hygiene of the temporary files behind every atomic write.
///
/// A temporary file lives beside its target as `.<name>.tmp-<host>-<pid>`, so a crash leaves
/// litter that says whose it was. `removeStale` deletes such files of processes on this host
/// that no longer exist (killed with SIGKILL, or stopped by a second signal); files of live
/// processes and of other hosts sharing the directory are left alone. While a temporary file
/// is being written its path is registered, so that a fatal signal can unlink it first.
public enum TemporaryFile {
    /// This host's name as `gethostname` gives it (without dashes' special meaning: the pid is
    /// taken after the last dash).
    public static let host: String = {
        var name = [CChar](repeating: 0, count: 256)
        gethostname(&name, name.count - 1)
        let text = String(decoding: name.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        return text.isEmpty ? "localhost" : text.replacingOccurrences(of: "/", with: "_")
    }()

    /// The temporary path for writing `path`.
    public static func path(for path: String) -> String {
        let url = URL(fileURLWithPath: path)
        return url.deletingLastPathComponent().appendingPathComponent(".\(url.lastPathComponent).tmp-\(host)-\(getpid())").path
    }

    /// `(target name, host, pid)` of a temporary file's name, or nil for other files.
    static func parse(_ name: String) -> (target: String, host: String, pid: Int32)? {
        guard name.hasPrefix("."), let marker = name.range(of: ".tmp-", options: .backwards) else { return nil }
        let owner = name[marker.upperBound...]
        guard let dash = owner.lastIndex(of: "-"), let pid = Int32(owner[owner.index(after: dash)...]), pid > 0 else { return nil }
        return (String(name[name.index(after: name.startIndex)..<marker.lowerBound]), String(owner[..<dash]), pid)
    }

    /// Deletes the temporary files in `directory` (only those for `target`, when given) left
    /// by dead processes of this host; returns their names.
    @discardableResult
    public static func removeStale(in directory: String, target: String? = nil) -> [String] {
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: directory) else { return [] }
        var removed: [String] = []
        for name in names {
            guard let owner = parse(name), owner.host == host, owner.pid != getpid(),
                  target == nil || owner.target == target else { continue }
            if kill(owner.pid, 0) == -1 && errno == ESRCH && unlink("\(directory)/\(name)") == 0 {
                removed.append(name)
            }
        }
        return removed.sorted()
    }
}

/// Paths of temporary files being written, unlinked by a fatal signal handler before it exits.
///
/// The handler may only make async-signal-safe calls, so paths are kept as C strings in a
/// fixed table of word-sized slots that the handler reads without locks.
public enum SignalCleanup {
    static let capacity = 8
    nonisolated(unsafe) static let slots: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?> = {
        let p = UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>.allocate(capacity: capacity)
        p.initialize(repeating: nil, count: capacity)
        return p
    }()

    /// Registers `path`; returns its slot, or nil when the table is full (then a fatal signal
    /// leaves the file for `TemporaryFile.removeStale`).
    public static func register(_ path: String) -> Int? {
        for i in 0..<capacity where slots[i] == nil {
            slots[i] = strdup(path)
            return i
        }
        return nil
    }

    public static func unregister(_ slot: Int?) {
        guard let slot, let p = slots[slot] else { return }
        slots[slot] = nil
        free(p)
    }

    /// Unlinks every registered path. Async-signal-safe: only `unlink` on stored C strings.
    public static func unlinkAll() {
        for i in 0..<capacity {
            if let p = slots[i] { unlink(p) }
        }
    }

    /// Installs handlers for SIGINT and SIGTERM that unlink the registered files and exit with
    /// status 128 + signal, for commands without a graceful stop (`prepare`, `sample`).
    public static func exitOnSignal() {
        for sig in [SIGINT, SIGTERM] {
            signal(sig) { received in
                SignalCleanup.unlinkAll()
                _exit(128 + received)
            }
        }
    }
}
