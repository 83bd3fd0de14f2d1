/// An error from fitting, loading or applying a quantiser.
///
/// The code is opaque and extensible (static members over a private enum); the message names the
/// offending field or setting and how to fix it.
public struct TokenizerError: Error, Sendable, CustomStringConvertible {
    /// What kind of failure this is.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum Value: String {
            case invalidInput, invalidConfiguration, invalidCodebook, capacityExhausted
        }
        private let value: Value
        private init(_ value: Value) { self.value = value }

        /// The vectors or other data passed in are unusable (wrong shape, empty, non-finite).
        public static let invalidInput = Code(.invalidInput)
        /// A setting cannot work for this data (for example more clusters than items).
        public static let invalidConfiguration = Code(.invalidConfiguration)
        /// A stored codebook is inconsistent or missing a tensor.
        public static let invalidCodebook = Code(.invalidCodebook)
        /// An allocation could not be made.
        public static let capacityExhausted = Code(.capacityExhausted)

        public var description: String { value.rawValue }
    }

    /// The kind of failure.
    public let code: Code
    /// What went wrong and how to fix it.
    public let message: String
    /// Where the error was raised.
    public let file: String
    public let line: Int

    public init(_ code: Code, _ message: String, file: String = #fileID, line: Int = #line) {
        self.code = code
        self.message = message
        self.file = file
        self.line = line
    }

    public var description: String { "\(code): \(message)" }
}
