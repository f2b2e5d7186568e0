import Dispatch
import Foundation
@preconcurrency import CBLAS

/// Row-major single-precision matrix product through OpenBLAS:
/// `C (m, n) = alpha * op(A) (m, k) * op(B) (k, n) + beta * C`,
/// with `op(X)` the transpose of the stored matrix when `transX` is true.
/// `lda`, `ldb`, `ldc` are the row strides of the matrices as stored.
/// Every call is counted in `GEMMCounter` (FLOPs and time) for the benchmark's breakdown.
@inline(__always)
public func gemm(transA: Bool, transB: Bool, m: Int, n: Int, k: Int,
                 alpha: Float = 1, a: UnsafePointer<Float>, lda: Int,
                 b: UnsafePointer<Float>, ldb: Int,
                 beta: Float, c: UnsafeMutablePointer<Float>, ldc: Int) {
    let start = DispatchTime.now().uptimeNanoseconds
    cblas_sgemm(CblasRowMajor, transA ? CblasTrans : CblasNoTrans, transB ? CblasTrans : CblasNoTrans,
                Int32(m), Int32(n), Int32(k), alpha, a, Int32(lda), b, Int32(ldb), beta, c, Int32(ldc))
    GEMMCounter.nanoseconds &+= DispatchTime.now().uptimeNanoseconds - start
    GEMMCounter.flops &+= UInt64(2 * m * n * k)
}

/// FLOPs and time spent in `gemm` by this process (the training loop is single-threaded
/// outside OpenBLAS, so plain counters suffice).
public enum GEMMCounter {
    nonisolated(unsafe) public static var flops: UInt64 = 0
    nonisolated(unsafe) public static var nanoseconds: UInt64 = 0

    public static func reset() { flops = 0; nanoseconds = 0 }

    /// sgemm throughput of this process on square `n × n` matrices, in GFLOP/s: the
    /// practical peak the training step is measured against (median of `repeats`).
    public static func measurePeak(n: Int = 1024, repeats: Int = 5) -> Double {
        let a = UnsafeMutablePointer<Float>.allocate(capacity: n * n), b = UnsafeMutablePointer<Float>.allocate(capacity: n * n)
        let c = UnsafeMutablePointer<Float>.allocate(capacity: n * n)
        defer { a.deallocate(); b.deallocate(); c.deallocate() }
        for i in 0..<(n * n) { a[i] = Float(i % 7) * 0.1; b[i] = Float(i % 5) * 0.1; c[i] = 0 }
        var rates: [Double] = []
        for _ in 0..<(repeats + 1) {
            let start = DispatchTime.now().uptimeNanoseconds
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, Int32(n), Int32(n), Int32(n), 1, a, Int32(n), b, Int32(n), 0, c, Int32(n))
            rates.append(2 * Double(n * n * n) / Double(DispatchTime.now().uptimeNanoseconds - start))
        }
        return rates.dropFirst().sorted()[repeats / 2]
    }
}

/// The BLAS thread count (OpenBLAS); mpirun's core binding makes it 1 unless told otherwise.
/// Threads of the numeric libraries: OpenBLAS's, and oneDNN's OpenMP threads, kept equal.
public enum BLASThreads {
    public static var count: Int { Int(openblas_get_num_threads()) }
    public static func set(_ n: Int) {
        openblas_set_num_threads(Int32(n))
        DNNL.setThreads(n)
    }
}

/// OpenBLAS's choice of kernels. Debian 12's OpenBLAS 0.3.21 does not know x86 CPUs newer than
/// it (Intel Sapphire and Emerald Rapids, for one) and falls back to its generic SSE3 kernels
/// ("Prescott"), measured 3.2× slower on the 64×64 DCGAN than its AVX-512 ones on such a CPU.
/// OpenBLAS reads `OPENBLAS_CORETYPE` only when it loads, so `ensureNativeKernels` re-executes
/// the process with it set, before anything else runs, when OpenBLAS fell back while the CPU
/// has AVX2 (Haswell kernels) or AVX-512 (SkylakeX kernels). A value the user set is never touched.
public enum BLASKernels {
    /// The kernels OpenBLAS runs (`Haswell`, `SkylakeX`, `Prescott`, …).
    public static var name: String { String(cString: openblas_get_corename()) }

    /// OpenBLAS's generic fallbacks.
    static let generic: Set<String> = ["Prescott", "Katmai", "Coppermine", "Northwood", "Banias", "Core2", "Penryn", "Dunnington", "unknown"]

    /// The best kernels the CPU supports, from `/proc/cpuinfo`'s flags, or nil.
    static func best() -> String? {
        guard let info = try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8),
              let line = info.split(separator: "\n").first(where: { $0.hasPrefix("flags") }) else { return nil }
        let flags = Set(line.split(separator: " ").map(String.init))
        if ["avx512f", "avx512dq", "avx512bw", "avx512vl"].allSatisfy(flags.contains) { return "SkylakeX" }
        if ["avx2", "fma"].allSatisfy(flags.contains) { return "Haswell" }
        return nil
    }

    /// Re-executes this program with `OPENBLAS_CORETYPE` set when OpenBLAS fell back to generic
    /// kernels on a CPU that has better ones; returns otherwise (also when exec fails).
    public static func ensureNativeKernels() {
        let environment = ProcessInfo.processInfo.environment
        guard environment["OPENBLAS_CORETYPE"] == nil, environment["SWIFTGAN_BLAS_REEXEC"] == nil,
              generic.contains(name), let kernels = best() else { return }
        setenv("OPENBLAS_CORETYPE", kernels, 1)
        setenv("SWIFTGAN_BLAS_REEXEC", "1", 1)  // never loop
        // The executable's own path, so that the new image keeps its name (ps, /proc/PID/comm).
        let path = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? "/proc/self/exe"
        execv(path, CommandLine.unsafeArgv)
    }
}
