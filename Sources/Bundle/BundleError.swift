/// Why a model bundle could not be written, opened or trusted.
public struct BundleError: Error, CustomStringConvertible, Sendable {
    /// The kind of failure; match on these, the message is for people.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum Value: Hashable, Sendable {
            case io, missingManifest, badManifest, unsupportedVersion, missingFile, unlistedFile, corruptFile,
                alreadyExists, badName
        }
        private let value: Value
        private init(_ value: Value) { self.value = value }

        /// A file could not be read, written or renamed.
        public static let io = Code(.io)
        /// The directory has no manifest.json: not a bundle, or an unfinished one.
        public static let missingManifest = Code(.missingManifest)
        /// manifest.json is not valid JSON of the expected shape.
        public static let badManifest = Code(.badManifest)
        /// The bundle was written by a format version this build cannot read.
        public static let unsupportedVersion = Code(.unsupportedVersion)
        /// A file the manifest lists is missing.
        public static let missingFile = Code(.missingFile)
        /// A file in the directory is not listed in the manifest.
        public static let unlistedFile = Code(.unlistedFile)
        /// A file's size or SHA-256 differs from the manifest: the bundle was changed or damaged.
        public static let corruptFile = Code(.corruptFile)
        /// The target directory exists; bundles are immutable and never overwritten.
        public static let alreadyExists = Code(.alreadyExists)
        /// A file name is not a plain name inside the bundle.
        public static let badName = Code(.badName)

        public var description: String { "\(value)" }
    }

    public let code: Code
    /// A sentence naming the bundle, the file and what to do.
    public let message: String

    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { "bundle \(code): \(message)" }
}
