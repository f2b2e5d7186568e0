import Foundation

/// How much memory this process can still allocate, so that a command can refuse a
/// configuration that would not fit with one line (the estimate and the option to lower)
/// instead of dying in an allocation failure.
///
/// The limit is the smallest of: the kernel's `MemAvailable`, the cgroup's `memory.max` less
/// its `memory.current` (containers, Slurm jobs), and `RLIMIT_AS` (`ulimit -v`) less the
/// address space already mapped.
public enum SystemMemory {
    public static func available() -> Int {
        var limit = Int.max
        if let meminfo = try? String(contentsOfFile: "/proc/meminfo", encoding: .utf8),
           let kib = field(meminfo, "MemAvailable:") {
            limit = min(limit, kib * 1024)
        }
        if let max = cgroupValue("memory.max"), let current = cgroupValue("memory.current") {
            limit = min(limit, Swift.max(max - current, 0))
        }
        var rl = rlimit()
        if getrlimit(Int32(RLIMIT_AS.rawValue), &rl) == 0 && rl.rlim_cur != rlim_t.max {
            let used = (try? String(contentsOfFile: "/proc/self/status", encoding: .utf8)).flatMap { field($0, "VmSize:") }.map { $0 * 1024 } ?? 0
            limit = min(limit, Swift.max(Int(clamping: rl.rlim_cur) - used, 0))
        }
        return limit
    }

    /// `value` bytes as `1.5 GiB`.
    public static func describe(_ bytes: Int) -> String {
        let units = ["bytes", "KiB", "MiB", "GiB", "TiB", "PiB"]
        var v = Double(bytes), u = 0
        while v >= 1024 && u < units.count - 1 { v /= 1024; u += 1 }
        return u == 0 ? "\(bytes) bytes" : String(format: "%.1f %@", v, units[u])
    }

    /// The number after `name` on its line, e.g. `MemAvailable:   123 kB` → 123.
    static func field(_ text: String, _ name: String) -> Int? {
        guard let line = text.split(separator: "\n").first(where: { $0.hasPrefix(name) }) else { return nil }
        return line.dropFirst(name.count).split(separator: " ").first.flatMap { Int($0) }
    }

    /// A value from this process's cgroup v2 directory; nil for `max` or when absent.
    static func cgroupValue(_ file: String) -> Int? {
        guard let cgroup = try? String(contentsOfFile: "/proc/self/cgroup", encoding: .utf8),
              let line = cgroup.split(separator: "\n").first(where: { $0.hasPrefix("0::") }) else { return nil }
        let path = "/sys/fs/cgroup" + line.dropFirst(3) + "/" + file
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { return nil }
        return Int(text.trimmingCharacters(in: .whitespacesAndNewlines))
    }
}
