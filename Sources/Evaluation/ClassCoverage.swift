import Foundation

/// How the predicted classes of generated samples are spread, and how well requested classes or
/// codes are kept: the mode-collapse measures.
public struct ClassCoverage: Sendable {
    /// Samples per predicted class.
    public let histogram: [Int]
    /// Entropy of the predicted-class distribution in bits (log₂ k for a uniform spread).
    public let entropy: Double
    /// Share of the most frequent class (1/k for a uniform spread, 1 for total collapse).
    public let largestShare: Double

    public init(predictions: [Int], classes k: Int) {
        var h = [Int](repeating: 0, count: k)
        for p in predictions { h[p] += 1 }
        histogram = h
        let n = Double(max(predictions.count, 1))
        entropy = h.reduce(0.0) { total, c in c == 0 ? total : total - Double(c) / n * log2(Double(c) / n) }
        largestShare = Double(h.max() ?? 0) / n
    }

    /// The share of samples whose prediction equals what was requested (AC-GAN's classes).
    public static func accuracy(predictions: [Int], requested: [Int]) -> Double {
        Double(zip(predictions, requested).filter { $0 == $1 }.count) / Double(max(predictions.count, 1))
    }

    /// The accuracy after matching each code to a class one-to-one so that agreement is largest
    /// (the Hungarian algorithm on the `codes × classes` confusion matrix): InfoGAN's categorical
    /// code learns the classes in some order of its own. Returns the accuracy and the matching
    /// (`code → class`).
    public static func matchedAccuracy(codes: [Int], classes: [Int], codeCount: Int, classCount: Int) -> (accuracy: Double, matching: [Int]) {
        let n = max(codeCount, classCount)
        var counts = [[Int]](repeating: [Int](repeating: 0, count: n), count: n)
        for (c, y) in zip(codes, classes) { counts[c][y] += 1 }
        let largest = counts.flatMap { $0 }.max() ?? 0
        let assignment = Hungarian.minimumAssignment(counts.map { $0.map { Double(largest - $0) } })
        let agreed = (0..<n).reduce(0) { $0 + counts[$1][assignment[$1]] }
        return (Double(agreed) / Double(max(codes.count, 1)), Array(assignment.prefix(codeCount)))
    }
}

/// The Hungarian algorithm (Kuhn–Munkres, O(n³), with potentials): the assignment of rows to
/// columns of a square cost matrix with the least total cost.
public enum Hungarian {
    /// `cost (n, n)` → `assignment[row] = column`.
    public static func minimumAssignment(_ cost: [[Double]]) -> [Int] {
        let n = cost.count
        guard n > 0 else { return [] }
        var u = [Double](repeating: 0, count: n + 1), v = [Double](repeating: 0, count: n + 1)
        var p = [Int](repeating: 0, count: n + 1), way = [Int](repeating: 0, count: n + 1)
        for i in 1...n {
            p[0] = i
            var j0 = 0
            var minv = [Double](repeating: .infinity, count: n + 1), used = [Bool](repeating: false, count: n + 1)
            repeat {
                used[j0] = true
                let i0 = p[j0]
                var delta = Double.infinity, j1 = 0
                for j in 1...n where !used[j] {
                    let current = cost[i0 - 1][j - 1] - u[i0] - v[j]
                    if current < minv[j] { minv[j] = current; way[j] = j0 }
                    if minv[j] < delta { delta = minv[j]; j1 = j }
                }
                for j in 0...n {
                    if used[j] { u[p[j]] += delta; v[j] -= delta } else { minv[j] -= delta }
                }
                j0 = j1
            } while p[j0] != 0
            repeat {
                let j1 = way[j0]
                p[j0] = p[j1]
                j0 = j1
            } while j0 != 0
        }
        var assignment = [Int](repeating: 0, count: n)
        for j in 1...n where p[j] > 0 { assignment[p[j] - 1] = j - 1 }
        return assignment
    }
}
