/// A configuration that cannot be used: which key (or file), what is wrong, and how to fix it.
struct ConfigurationError: Error, CustomStringConvertible {
    /// The offending key, when one key is to blame.
    var key: String?
    /// What is wrong and how to fix it. Never contains a secret value.
    var message: String

    init(key: String?, _ message: String) {
        self.key = key
        self.message = message
    }

    var description: String { "invalid configuration: \(message)" }
}
