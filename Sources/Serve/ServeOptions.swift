public import Foundation
public import UnixSignals

/// Start-up choices of a ``ServeApplication`` that are not configuration keys: they belong to
/// one start of the process (command-line flags), or to the host running it.
public struct ServeOptions: Sendable {
    /// Check each bundle file's SHA-256 against its manifest while loading.
    public var verifyBundles = true
    /// Rewrite SID claims that Redis lost from the item-SID topic instead of refusing to start.
    public var restoreClaims = false
    /// Where to write `{"pid", "http_port"}` once the HTTP port is bound (for supervisors).
    public var statusFile: URL?
    /// Signals that start a graceful shutdown. A process hosting several instances (tests)
    /// passes none and calls ``ServeApplication/shutdown()``.
    public var shutdownSignals: [UnixSignal] = [.sigterm, .sigint]
    /// How long a graceful shutdown may take before the services are cancelled.
    public var maximumShutdownDuration: Duration = .seconds(60)

    /// The options of a plain `resid serve`.
    public init() {}
}
