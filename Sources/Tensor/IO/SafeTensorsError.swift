/// Why a safetensors file could not be read or written.
public struct SafeTensorsError: Error, CustomStringConvertible, Sendable {
    /// The kind of failure; match on these, the message is for people.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum Value: Hashable, Sendable {
            case io, truncated, badHeader, unsupportedDType, badOffsets, missingTensor
        }
        private let value: Value
        private init(_ value: Value) { self.value = value }

        /// The file could not be opened, read or written.
        public static let io = Code(.io)
        /// The file ends before its header or data does.
        public static let truncated = Code(.truncated)
        /// The JSON header is not valid or lacks a required entry.
        public static let badHeader = Code(.badHeader)
        /// A tensor uses a dtype this reader does not convert to Float32.
        public static let unsupportedDType = Code(.unsupportedDType)
        /// A tensor's data offsets do not match its shape or overlap another tensor's.
        public static let badOffsets = Code(.badOffsets)
        /// A tensor the caller required is not in the file.
        public static let missingTensor = Code(.missingTensor)

        public var description: String { "\(value)" }
    }

    public let code: Code
    /// A sentence naming the file, the tensor and what to fix.
    public let message: String

    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { "safetensors \(code): \(message)" }
}
