@preconcurrency import CBLAS

/// Eigenvalues and eigenvectors of a real symmetric matrix through LAPACK's `dsyevd` (bundled
/// with OpenBLAS): `A = V · diag(λ) · Vᵀ`, eigenvalues ascending, eigenvectors in V's columns.
public enum SymmetricEigen {
    /// `a (n, n)` row-major (symmetric, so also column-major). Returns `(λ (n), V (n, n)
    /// row-major with eigenvector j in column j)`.
    public static func decompose(_ a: [Double], n: Int) throws(EvaluationError) -> (values: [Double], vectors: [Double]) {
        precondition(a.count == n * n)
        var matrix = a, values = [Double](repeating: 0, count: n)
        var dim = Int32(n), lda = Int32(n), info: Int32 = 0
        var lwork: Int32 = -1, liwork: Int32 = -1
        var workSize = 0.0, iworkSize: Int32 = 0
        // Workspace query, then the decomposition. LAPACK reads the column-major matrix; the
        // eigenvectors come back as its columns, i.e. as the rows of our row-major array.
        dsyevd_("V", "U", &dim, &matrix, &lda, &values, &workSize, &lwork, &iworkSize, &liwork, &info, 1, 1)
        guard info == 0 else { throw EvaluationError("LAPACK dsyevd workspace query failed (info \(info))") }
        lwork = Int32(workSize)
        liwork = iworkSize
        var work = [Double](repeating: 0, count: Int(lwork)), iwork = [Int32](repeating: 0, count: Int(liwork))
        dsyevd_("V", "U", &dim, &matrix, &lda, &values, &work, &lwork, &iwork, &liwork, &info, 1, 1)
        guard info == 0 else { throw EvaluationError("LAPACK dsyevd did not converge (info \(info))") }
        var vectors = [Double](repeating: 0, count: n * n)
        for j in 0..<n { for i in 0..<n { vectors[i * n + j] = matrix[j * n + i] } }
        return (values, vectors)
    }

    /// The symmetric square root `A^{1/2} = V · diag(√max(λ, 0)) · Vᵀ` of a positive
    /// semi-definite matrix (rounding can leave tiny negative eigenvalues; they count as 0).
    public static func squareRoot(_ a: [Double], n: Int) throws(EvaluationError) -> [Double] {
        let (values, v) = try decompose(a, n: n)
        let roots = values.map { max($0, 0).squareRoot() }
        var out = [Double](repeating: 0, count: n * n)
        for i in 0..<n {
            for j in i..<n {
                var s = 0.0
                for k in 0..<n { s += v[i * n + k] * roots[k] * v[j * n + k] }
                out[i * n + j] = s
                out[j * n + i] = s
            }
        }
        return out
    }
}
