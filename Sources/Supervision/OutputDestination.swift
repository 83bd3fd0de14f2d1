public import Foundation

/// Where one of a child's output streams goes.
public enum OutputDestination: Sendable, Equatable {
    /// `/dev/null`.
    case discarded
    /// A temporary file that the ``ChildProcess`` owns and removes; both streams captured go to
    /// the same file, interleaved as written. Read it with ``ChildProcess/capturedOutput``.
    case captured
    /// Appended to a file (created if missing), which outlives the child: for a log kept across
    /// restarts.
    case file(URL)
    /// This process's own standard error, for output a person watches.
    case parentStandardError
}
