/// An evaluation that cannot run (a classifier that does not fit the data, too few samples);
/// one line naming the option.
public struct EvaluationError: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}
