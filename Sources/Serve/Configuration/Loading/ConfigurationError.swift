/// A configuration that cannot be used: which key (or file), what is wrong, and how to fix it.
public struct ConfigurationError: Error, CustomStringConvertible {
    /// The offending key, when one key is to blame.
    public var key: String?
    /// What is wrong and how to fix it. Never contains a secret value.
    public var message: String

    public init(key: String?, _ message: String) {
        self.key = key
        self.message = message
    }

    public var description: String { "invalid configuration: \(message)" }
}
