/// An error from the Redis module: a stable code, whether retrying can help, and a message that
/// names what went wrong and how to fix it.
///
/// Codes are opaque and extensible (static members over a private enum), so new codes do not
/// break exhaustive switches in callers.
public struct RedisError: Error, Sendable, CustomStringConvertible {
    /// What kind of failure this is.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        fileprivate enum Value: String, Sendable {
            case connectionFailed, io, timeout, connectionClosed, protocolError, outOfMemory
            case serverError, noScript, unexpectedReply, invalidArgument, invalidConfiguration, cancelled
        }
        fileprivate let value: Value

        /// Could not connect (refused, unreachable, DNS) within the connect timeout.
        public static let connectionFailed = Code(value: .connectionFailed)
        /// A read or write on an established connection failed.
        public static let io = Code(value: .io)
        /// The server did not answer within the command timeout.
        public static let timeout = Code(value: .timeout)
        /// The server closed the connection.
        public static let connectionClosed = Code(value: .connectionClosed)
        /// The bytes from the server were not valid RESP.
        public static let protocolError = Code(value: .protocolError)
        /// hiredis could not allocate memory.
        public static let outOfMemory = Code(value: .outOfMemory)
        /// The server answered with an error reply (`-ERR ...`, `-WRONGTYPE ...`).
        public static let serverError = Code(value: .serverError)
        /// `EVALSHA` named a script the server does not have (after the automatic reload failed).
        public static let noScript = Code(value: .noScript)
        /// The reply had a shape the caller did not expect.
        public static let unexpectedReply = Code(value: .unexpectedReply)
        /// An argument was rejected before anything was sent.
        public static let invalidArgument = Code(value: .invalidArgument)
        /// A configuration value is missing, malformed or out of range.
        public static let invalidConfiguration = Code(value: .invalidConfiguration)
        /// The calling task was cancelled while the connection waited to reconnect.
        public static let cancelled = Code(value: .cancelled)

        public var description: String { value.rawValue }
    }

    /// What kind of failure this is.
    public var code: Code
    /// What happened and, where we know it, how to fix it. Never contains a password.
    public var message: String
    /// hiredis' own error code (`REDIS_ERR_*`) when the failure came from hiredis.
    public var underlyingCode: Int32?
    /// True when the same request may succeed later (the connection is rebuilt on the next use);
    /// false when it will fail the same way again.
    public var isRetriable: Bool
    /// Where the error was raised.
    public var file: String
    /// Where the error was raised.
    public var line: UInt

    /// Creates an error; `isRetriable` defaults to what the code implies.
    public init(
        _ code: Code, _ message: String, underlyingCode: Int32? = nil, isRetriable: Bool? = nil,
        file: String = #fileID, line: UInt = #line
    ) {
        self.code = code
        self.message = message
        self.underlyingCode = underlyingCode
        self.isRetriable = isRetriable ?? Self.retriableCodes.contains(code)
        self.file = file
        self.line = line
    }

    private static let retriableCodes: Set<Code> = [.connectionFailed, .io, .timeout, .connectionClosed]

    public var description: String {
        "RedisError.\(code): \(message)" + (underlyingCode.map { " (hiredis code \($0))" } ?? "")
    }
}

extension RedisError {
    /// An error reply from the server. `LOADING`, `BUSY` and `TRYAGAIN` are retriable: the same
    /// command succeeds once the server has loaded its data or finished a long script.
    public init(serverReply message: String, command: String, file: String = #fileID, line: UInt = #line) {
        let transient = ["LOADING", "BUSY", "TRYAGAIN", "MASTERDOWN"].contains { message.hasPrefix($0) }
        let fix =
            message.hasPrefix("WRONGPASS") || message.hasPrefix("NOAUTH")
            ? "; check RESID_REDIS_PASSWORD / redis.passwordFile and the user in redis.url" : ""
        self.init(.serverError, "\(command): \(message)\(fix)", isRetriable: transient, file: file, line: line)
    }
}
