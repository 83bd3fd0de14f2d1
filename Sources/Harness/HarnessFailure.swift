/// A demo or benchmark step that could not be done (a daemon that did not start, a bundle that
/// cannot be served, a precondition that failed), with a message for the user.
public struct HarnessFailure: Error, CustomStringConvertible {
    public var description: String

    /// A failure described by `description`.
    public init(_ description: String) { self.description = description }
}
