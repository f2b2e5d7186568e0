/// A problem with a checkpoint, latents or an output a user named; one line naming it.
public struct InferenceError: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}
