/// A Redis password. Its description is always redacted so that printing a configuration, or
/// logging an error that carries one, never shows it.
public struct RedisPassword: Sendable, Hashable, CustomStringConvertible, CustomDebugStringConvertible {
    /// The password itself; pass it only to the connection handshake.
    public let value: String

    /// Wraps a password.
    public init(_ value: String) { self.value = value }

    public var description: String { "<redacted>" }
    public var debugDescription: String { "<redacted>" }
}
