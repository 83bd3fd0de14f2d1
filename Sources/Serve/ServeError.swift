/// An error of the serving daemon: a stable code and a message naming what is wrong and the fix.
public struct ServeError: Error, Sendable, CustomStringConvertible {
    /// What kind of failure this is (opaque and extensible).
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        fileprivate enum Value: String, Sendable {
            case invalidConfiguration, invalidBundle, startup, http
        }
        fileprivate let value: Value

        /// A `serve.*` setting is missing, malformed or out of range.
        public static let invalidConfiguration = Code(value: .invalidConfiguration)
        /// A bundle cannot be served (missing file, unsupported codes, inconsistent tables).
        public static let invalidBundle = Code(value: .invalidBundle)
        /// A component did not start (port in use, broker unreachable).
        public static let startup = Code(value: .startup)
        /// The HTTP listener failed.
        public static let http = Code(value: .http)

        public var description: String { value.rawValue }
    }

    /// What kind of failure this is.
    public var code: Code
    /// What happened and how to fix it.
    public var message: String
    /// Where the error was raised.
    public var file: String
    /// Where the error was raised.
    public var line: UInt

    /// Creates an error.
    public init(_ code: Code, _ message: String, file: String = #fileID, line: UInt = #line) {
        self.code = code
        self.message = message
        self.file = file
        self.line = line
    }

    public var description: String { "serve \(code): \(message)" }
}
