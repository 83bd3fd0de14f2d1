/// Settings a demo or benchmark cannot run with, named as the command-line flags that set them,
/// so that the command reports them as a usage error.
public struct InvalidSettings: Error, CustomStringConvertible {
    public var description: String

    /// A problem described by `description`.
    public init(_ description: String) { self.description = description }
}
