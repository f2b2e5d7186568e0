@preconcurrency import CBLAS

/// Row-major single-precision matrix product through OpenBLAS:
/// `C (m, n) = alpha * op(A) (m, k) * op(B) (k, n) + beta * C`,
/// with `op(X)` the transpose of the stored matrix when `transX` is true.
/// `lda`, `ldb`, `ldc` are the row strides of the matrices as stored.
@inline(__always)
public func gemm(transA: Bool, transB: Bool, m: Int, n: Int, k: Int,
                 alpha: Float = 1, a: UnsafePointer<Float>, lda: Int,
                 b: UnsafePointer<Float>, ldb: Int,
                 beta: Float, c: UnsafeMutablePointer<Float>, ldc: Int) {
    cblas_sgemm(CblasRowMajor, transA ? CblasTrans : CblasNoTrans, transB ? CblasTrans : CblasNoTrans,
                Int32(m), Int32(n), Int32(k), alpha, a, Int32(lda), b, Int32(ldb), beta, c, Int32(ldc))
}

/// The BLAS thread count (OpenBLAS); mpirun's core binding makes it 1 unless told otherwise.
public enum BLASThreads {
    public static var count: Int { Int(openblas_get_num_threads()) }
    public static func set(_ n: Int) { openblas_set_num_threads(Int32(n)) }
}
