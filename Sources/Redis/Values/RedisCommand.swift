/// One Redis command: its arguments packed into a single byte buffer.
///
/// Packing keeps a command to two allocations however many arguments it has, and lets the
/// connection hand hiredis an argv of pointers into one buffer (`redisAppendCommandArgv`; the
/// variadic `redisCommand` is not callable from Swift).
public struct RedisCommand: Sendable, Hashable {
    /// Every argument's bytes, back to back.
    private(set) var bytes: [UInt8] = []
    /// The end offset of each argument in `bytes`.
    private(set) var ends: [Int] = []

    /// Creates an empty command; add the name and arguments with ``append(_:)-(String)``.
    public init() {}

    /// Creates a command from its name and arguments, e.g. `RedisCommand("SET", "k", "v")`.
    public init(_ name: String, _ arguments: String...) {
        self.init(name, arguments: arguments)
    }

    /// Creates a command from its name and an array of arguments.
    public init(_ name: String, arguments: [String]) {
        ends.reserveCapacity(arguments.count + 1)
        append(name)
        for argument in arguments { append(argument) }
    }

    /// Appends a text argument (its UTF-8 bytes).
    public mutating func append(_ argument: String) {
        bytes.append(contentsOf: argument.utf8)
        ends.append(bytes.count)
    }

    /// Appends an integer argument in decimal.
    public mutating func append(_ argument: some BinaryInteger) {
        append(String(argument))
    }

    /// Appends a binary-safe argument.
    public mutating func append(bytes argument: some Sequence<UInt8>) {
        bytes.append(contentsOf: argument)
        ends.append(bytes.count)
    }

    /// The number of arguments, the command name included.
    public var count: Int { ends.count }

    /// The command name (first argument), upper-cased, for error messages and logs.
    public var name: String {
        guard let end = ends.first else { return "" }
        return String(decoding: bytes[0..<end], as: UTF8.self).uppercased()
    }

    /// The arguments as text, for tests and debugging.
    public var arguments: [String] {
        var start = 0
        return ends.map { end in
            defer { start = end }
            return String(decoding: bytes[start..<end], as: UTF8.self)
        }
    }
}
