/// A Lua script run with `EVALSHA`. Each connection loads it once (`SCRIPT LOAD`) and reloads it
/// automatically when the server answers `NOSCRIPT` (after a restart or `SCRIPT FLUSH`).
public struct RedisScript: Sendable, Hashable {
    /// A short name for errors and logs.
    public let name: String
    /// The Lua source.
    public let source: String

    /// Creates a script.
    public init(name: String, source: String) {
        self.name = name
        self.source = source
    }

    /// One invocation: the keys it touches (`KEYS`) and its other arguments (`ARGV`).
    public struct Call: Sendable, Hashable {
        /// `KEYS[1...]`.
        public var keys: [String]
        /// `ARGV[1...]`.
        public var arguments: [String]

        /// Creates a call.
        public init(keys: [String], arguments: [String]) {
            self.keys = keys
            self.arguments = arguments
        }
    }

    func evalSHACommand(sha: String, call: Call) -> RedisCommand {
        var command = RedisCommand()
        command.append("EVALSHA")
        command.append(sha)
        command.append(call.keys.count)
        for key in call.keys { command.append(key) }
        for argument in call.arguments { command.append(argument) }
        return command
    }
}
