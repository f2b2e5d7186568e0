import CPeak
import Distributed
import Foundation
import Neural

/// Where the ranks run: gathered from every rank at start-up, printed by rank 0, with a
/// warning for any host whose ranks × BLAS threads exceed its cores.
public struct LaunchReport: Sendable {
    public struct Placement: Sendable {
        public let host: String
        public let blasThreads: Int
        public let cores: Int
    }

    public let placements: [Placement]
    /// In a bf16 run on oneDNN, rank 0's core's bf16 dot-product and fp32 FMA limits in
    /// GFLOP/s, measured at start-up (0.4 s), for `bf16Warning`.
    public var bf16Limits: (bf16: Double, fp32: Double)?

    /// A warning where `--precision bf16` cannot pay: the core's bf16 dot products
    /// (`vdpbf16ps`) are not faster than its fp32 FMAs. Intel cores without AMX run them at
    /// half the FMA rate (87 against 179 GFLOP/s on Emerald Rapids, where a bf16 step is 0.68×
    /// an fp32 one); AMD Zen 4 at twice (231.6 against 116.9).
    public static func bf16Warning(bf16: Double, fp32: Double) -> String? {
        guard bf16 > 0, fp32 > 0, bf16 <= fp32 else { return nil }
        return String(format: "warning: this CPU's bf16 dot products run at %.0f GFLOP/s against %.0f for fp32 FMAs (measured now), so --precision bf16 will be slower than fp32 here; it pays where bf16 runs at twice the fp32 rate (e.g. AMD Zen 4)", bf16, fp32)
    }

    /// Collective: every rank contributes its host name, BLAS threads and online cores.
    public static func gather(_ communicator: Communicator) throws -> LaunchReport {
        let width = 64
        var mine = [UInt8](repeating: 0, count: width + 16)
        let name = Array(communicator.hostName.utf8.prefix(width))
        mine.replaceSubrange(0..<name.count, with: name)
        withUnsafeBytes(of: Int64(BLASThreads.count).littleEndian) { mine.replaceSubrange(width..<(width + 8), with: $0) }
        withUnsafeBytes(of: Int64(sysconf(Int32(_SC_NPROCESSORS_ONLN))).littleEndian) { mine.replaceSubrange((width + 8)..<(width + 16), with: $0) }
        var all = [UInt8](repeating: 0, count: mine.count * communicator.size)
        try all.withUnsafeMutableBytes { out in
            try mine.withUnsafeBytes { try communicator.allgather($0.baseAddress!, count: $0.count, into: out.baseAddress!) }
        }
        let placements = (0..<communicator.size).map { r -> Placement in
            let record = Array(all[(r * mine.count)..<((r + 1) * mine.count)])
            let host = String(decoding: record[0..<width].prefix { $0 != 0 }, as: UTF8.self)
            func int(_ at: Int) -> Int { record[at..<(at + 8)].enumerated().reduce(0) { $0 | Int($1.element) << (8 * $1.offset) } }
            return Placement(host: host, blasThreads: int(width), cores: int(width + 8))
        }
        var report = LaunchReport(placements: placements)
        if communicator.rank == 0 && Precision.current == .bf16 && Backend.current == .onednn {
            report.bf16Limits = (swiftgan_bf16_peak_gflops(0.2), swiftgan_fma_peak_gflops(0.2))
        }
        return report
    }

    /// Hosts in order of first appearance, with their ranks.
    public var hosts: [(host: String, ranks: [Int])] {
        var order: [String] = [], ranks: [String: [Int]] = [:]
        for (r, p) in placements.enumerated() {
            if ranks[p.host] == nil { order.append(p.host) }
            ranks[p.host, default: []].append(r)
        }
        return order.map { ($0, ranks[$0]!) }
    }

    public var lines: [String] {
        let n = placements.count
        let threads = Set(placements.map(\.blasThreads))
        let convolutions = Backend.current == .onednn
            ? "convolutions on oneDNN \(DNNL.version) (\(DNNL.isa), \(Layout.blocked(DNNL.block)), \(Precision.current))" : "convolutions on OpenBLAS (--backend blas)"
        let threadText = (threads.count == 1 ? "\(threads.first!) thread\(threads.first! == 1 ? "" : "s") per rank"
                                             : "threads per rank \(placements.map(\.blasThreads))") + " (OpenBLAS \(BLASKernels.name) kernels; \(convolutions))"
        let hostText = hosts.map { h in
            h.ranks.count == 1 ? "\(h.host) (rank \(h.ranks[0]))" : "\(h.host) (ranks \(h.ranks.first!)-\(h.ranks.last!))"
        }.joined(separator: ", ")
        var out = ["\(n) rank\(n == 1 ? "" : "s") on \(hosts.count) host\(hosts.count == 1 ? "" : "s"): \(hostText); \(threadText)"]
        for h in hosts {
            let used = h.ranks.reduce(0) { $0 + placements[$1].blasThreads }
            let cores = placements[h.ranks[0]].cores
            if used > cores {
                out.append("warning: \(h.host) runs \(h.ranks.count) rank\(h.ranks.count == 1 ? "" : "s") with \(used) threads in all on \(cores) cores; expect a slowdown (one rank per core with --threads 1 is fastest)")
            }
        }
        if let limits = bf16Limits, let warning = Self.bf16Warning(bf16: limits.bf16, fp32: limits.fp32) { out.append(warning) }
        return out
    }
}
