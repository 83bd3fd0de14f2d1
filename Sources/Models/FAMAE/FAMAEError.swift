/// An error from FAMAE model construction, loading or input validation.
public struct FAMAEError: Error, Sendable, CustomStringConvertible {
    /// What went wrong, as an extensible code.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum Kind: String { case invalidConfiguration, invalidInput, invalidCheckpoint }
        private let kind: Kind
        /// A hyperparameter or field list is out of range.
        public static let invalidConfiguration = Code(kind: .invalidConfiguration)
        /// A batch, item codes or a cold-start request does not fit the model.
        public static let invalidInput = Code(kind: .invalidInput)
        /// A checkpoint file is missing tensors, has wrong shapes or an unreadable config.
        public static let invalidCheckpoint = Code(kind: .invalidCheckpoint)
        public var description: String { kind.rawValue }
    }

    /// The error's code.
    public let code: Code
    /// A message naming the offending field or setting and what would fix it.
    public let message: String
    /// Where the error was raised.
    public let file: String
    public let line: Int

    /// Creates an error.
    public init(_ code: Code, _ message: String, file: String = #fileID, line: Int = #line) {
        self.code = code
        self.message = message
        self.file = file
        self.line = line
    }

    public var description: String { "FAMAE \(code): \(message)" }
}
