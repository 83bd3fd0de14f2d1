/// How a child process ended.
public enum ChildExit: Sendable, Equatable, CustomStringConvertible {
    /// It exited with this code.
    case exited(Int32)
    /// A signal ended it.
    case signalled(Int32)
    /// swift-subprocess failed after the launch (closing a descriptor); how the child ended is
    /// not known.
    case unobserved

    /// Exit code 0.
    public var isSuccess: Bool { self == .exited(0) }

    public var description: String {
        switch self {
        case .exited(let code): "exit status \(code)"
        case .signalled(let signal): "signal \(signal)"
        case .unobserved: "unknown status"
        }
    }
}
