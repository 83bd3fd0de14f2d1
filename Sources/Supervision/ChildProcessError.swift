/// Why a child process could not be started, or did not become ready.
public struct ChildProcessError: Error, CustomStringConvertible {
    /// What went wrong, with the end of the child's captured output where there is some.
    public var message: String

    public init(_ message: String) { self.message = message }

    public var description: String { message }
}
