/// A dataset that cannot be read; the message names the file and what is wrong with it.
public struct DataError: Error, CustomStringConvertible, Sendable {
    public let description: String
    public init(_ description: String) { self.description = description }
}
