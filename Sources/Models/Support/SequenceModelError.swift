/// An error from building, training, loading or running a next-item model (the SID generator,
/// SASRec, SASRec*).
///
/// The code is opaque and extensible; the message names the offending input and the fix.
public struct SequenceModelError: Error, Sendable, CustomStringConvertible {
    /// What kind of failure this is.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum Value: String { case invalidInput, invalidConfiguration, invalidCheckpoint, diverged }
        private let value: Value
        private init(_ value: Value) { self.value = value }

        /// Data passed in is unusable (wrong levels, codes out of range, empty split).
        public static let invalidInput = Code(.invalidInput)
        /// A setting is out of range (for example heads not dividing the model width).
        public static let invalidConfiguration = Code(.invalidConfiguration)
        /// A weights file lacks a tensor or has the wrong shape.
        public static let invalidCheckpoint = Code(.invalidCheckpoint)
        /// The training loss became NaN or infinite.
        public static let diverged = Code(.diverged)

        public var description: String { value.rawValue }
    }

    public let code: Code
    public let message: String
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
