@preconcurrency import CLinear
import Foundation

/// `swiftgan linear-probe`: a regularised L2-loss linear SVM (LIBLINEAR's
/// `L2R_L2LOSS_SVC_DUAL`, one-vs-rest; what scikit-learn's `LinearSVC` runs) on feature vectors,
/// the DCGAN paper's §5 measure of what D's features are worth. Features are standardised with
/// the training set's means and deviations; the regularisation `C` is chosen by k-fold
/// cross-validation on the training set only, never on the test set (a single candidate is
/// taken as given: there is nothing to choose, and k trainings are saved).
public struct LinearProbe {
    public let dimension: Int
    public let candidates: [Double]
    public let folds: Int

    public init(dimension: Int, candidates: [Double] = [1e-3, 1e-2, 1e-1, 1, 10], folds: Int = 5) {
        self.dimension = dimension
        self.candidates = candidates
        self.folds = folds
    }

    public struct Result: Sendable {
        public let c: Double
        /// Cross-validation accuracy of each candidate C, in order (empty for a single candidate).
        public let validation: [Double]
        public let testAccuracy: Double
        /// The predicted class of each test row.
        public let predictions: [Int]
    }

    /// The standardisation of `x (n, d)`: per-feature means and inverse deviations.
    public static func standardisation(_ x: [Float], count n: Int, dimension d: Int) -> (mean: [Double], scale: [Double]) {
        var mean = [Double](repeating: 0, count: d), scale = [Double](repeating: 0, count: d)
        for i in 0..<n { for j in 0..<d { mean[j] += Double(x[i * d + j]) } }
        for j in 0..<d { mean[j] /= Double(n) }
        for i in 0..<n { for j in 0..<d { let v = Double(x[i * d + j]) - mean[j]; scale[j] += v * v } }
        for j in 0..<d { let s = (scale[j] / Double(n)).squareRoot(); scale[j] = s > 1e-12 ? 1 / s : 0 }
        return (mean, scale)
    }

    /// LIBLINEAR's sparse rows for dense standardised features (bias term appended).
    final class Problem {
        let nodes: UnsafeMutablePointer<feature_node>
        let rows: UnsafeMutablePointer<UnsafeMutablePointer<feature_node>?>
        let labels: UnsafeMutablePointer<Double>
        var problem: problem

        init(_ x: [Float], labels y: [Int], count n: Int, dimension d: Int, mean: [Double], scale: [Double]) {
            nodes = .allocate(capacity: n * (d + 2))
            rows = .allocate(capacity: n)
            labels = .allocate(capacity: n)
            for i in 0..<n {
                let row = nodes + i * (d + 2)
                for j in 0..<d { row[j] = feature_node(index: Int32(j + 1), value: (Double(x[i * d + j]) - mean[j]) * scale[j]) }
                row[d] = feature_node(index: Int32(d + 1), value: 1)  // bias feature
                row[d + 1] = feature_node(index: -1, value: 0)
                rows[i] = row
                labels[i] = Double(y[i])
            }
            problem = CLinear.problem(l: Int32(n), n: Int32(d + 1), y: labels, x: rows, bias: -1)
        }

        deinit {
            nodes.deallocate()
            rows.deallocate()
            labels.deallocate()
        }
    }

    func parameter(_ c: Double) -> parameter {
        CLinear.parameter(solver_type: Int32(L2R_L2LOSS_SVC_DUAL), eps: 0.1, C: c, nr_weight: 0, weight_label: nil, weight: nil, p: 0.1, init_sol: nil)
    }

    public func run(train: [Float], trainLabels: [Int], test: [Float], testLabels: [Int], log: (String) -> Void) throws(EvaluationError) -> Result {
        let n = trainLabels.count, m = testLabels.count, d = dimension
        guard train.count == n * d, test.count == m * d, n >= folds else { throw EvaluationError("features and labels do not match") }
        let (mean, scale) = Self.standardisation(train, count: n, dimension: d)
        set_print_string_function { _ in }
        let trainProblem = Problem(train, labels: trainLabels, count: n, dimension: d, mean: mean, scale: scale)
        var validation: [Double] = []
        let target = UnsafeMutablePointer<Double>.allocate(capacity: n)
        defer { target.deallocate() }
        for c in candidates {
            var p = parameter(c)
            if let problem = check_parameter(&trainProblem.problem, &p) { throw EvaluationError("LIBLINEAR: \(String(cString: problem))") }
        }
        for c in candidates where candidates.count > 1 {
            var p = parameter(c)
            cross_validation(&trainProblem.problem, &p, Int32(folds), target)
            let accuracy = Double((0..<n).filter { Int(target[$0]) == trainLabels[$0] }.count) / Double(n)
            validation.append(accuracy)
            log(String(format: "C %g: %d-fold cross-validation accuracy %.4f", c, folds, accuracy))
        }
        let best = candidates.count == 1 ? candidates[0] : candidates[validation.indices.max { validation[$0] < validation[$1] }!]
        var p = parameter(best)
        var trained: UnsafeMutablePointer<model>? = CLinear.train(&trainProblem.problem, &p)
        guard let model = trained else { throw EvaluationError("LIBLINEAR could not train") }
        defer { free_and_destroy_model(&trained) }
        let testProblem = Problem(test, labels: testLabels, count: m, dimension: d, mean: mean, scale: scale)
        let predictions = (0..<m).map { Int(predict(model, testProblem.rows[$0])) }
        let correct = zip(predictions, testLabels).filter { $0 == $1 }.count
        return Result(c: best, validation: validation, testAccuracy: Double(correct) / Double(max(m, 1)), predictions: predictions)
    }
}
