public import Foundation

/// What to start as a child process and where its output goes.
public struct ChildCommand: Sendable {
    /// The program, by path (see ``ExecutableSearch`` to find one on `PATH`).
    public var executable: URL
    /// The arguments after the program name.
    public var arguments: [String]
    /// The whole environment of the child, or `nil` to inherit this process's.
    public var environment: [String: String]?
    /// The child's working directory, or `nil` for this process's.
    public var workingDirectory: URL?
    /// Where the child's standard output goes.
    public var standardOutput: OutputDestination = .discarded
    /// Where the child's standard error goes.
    public var standardError: OutputDestination = .discarded
    /// Keep the child's standard input open (a pipe from this process) until
    /// ``ChildProcess/closeStandardInput()`` or this process exits, so a child that watches for
    /// end of file never outlives its parent. Otherwise the child reads end of file at once.
    public var keepsStandardInputOpen = false
    /// How errors name the child.
    public var name: String

    /// A command that inherits the environment and discards its output.
    public init(_ executable: URL, _ arguments: [String], name: String? = nil) {
        self.executable = executable
        self.arguments = arguments
        self.name = name ?? executable.lastPathComponent
    }
}
