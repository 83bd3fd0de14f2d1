public import Foundation
public import JSON

/// `manifest.json`: what a bundle holds and the SHA-256 of every file in it.
///
/// The typed fields are what every reader needs; `schema` and `hyperparameters` are owned by
/// the components that write them and kept as JSON so the format does not change when a model
/// gains a setting.
public struct BundleManifest: Codable, Sendable, Equatable {
    /// The bundle format this build writes and reads.
    public static let currentFormatVersion = 1

    /// One file of the bundle.
    public struct FileEntry: Codable, Sendable, Equatable {
        /// Lower-case hex SHA-256 of the file's bytes.
        public var sha256: String
        public var bytes: Int
    }

    /// The SID code space: tokens per level and per-level offsets into one vocabulary.
    public struct Codes: Codable, Sendable, Equatable {
        /// Method that produced the SIDs, e.g. `gaoq`, `rqkmeans`, `hkmeans`.
        public var method: String
        /// Codes per level (for GAOQ: b1, b2, g3).
        public var levelSizes: [Int]
        /// Offset of each level's first token in the shared token vocabulary.
        public var levelOffsets: [Int]

        public init(method: String, levelSizes: [Int]) {
            self.method = method
            self.levelSizes = levelSizes
            var running = 0
            levelOffsets = levelSizes.map { size in
                defer { running += size }
                return running
            }
        }
    }

    public var formatVersion: Int
    /// A unique, human-readable id, e.g. `ml1m-2026-12-01`; predictions carry it.
    public var bundleID: String
    public var createdAt: Date
    /// Dataset name and item schema (fields and vocabularies), as written by the data module.
    public var schema: JSONValue
    /// Every component's hyperparameters, keyed by component (`famae`, `gaoq`, `generator`).
    public var hyperparameters: [String: JSONValue]
    /// The SID code space, when the bundle has a tokenizer.
    public var codes: Codes?
    /// Free-form notes: data, config and time budget behind the bundle's metrics.
    public var notes: [String: String]
    /// Every file of the bundle except the manifest, keyed by file name.
    public var files: [String: FileEntry]

    public init(
        bundleID: String,
        createdAt: Date = Date(),
        schema: JSONValue = .null,
        hyperparameters: [String: JSONValue] = [:],
        codes: Codes? = nil,
        notes: [String: String] = [:]
    ) {
        formatVersion = Self.currentFormatVersion
        self.bundleID = bundleID
        self.createdAt = createdAt
        self.schema = schema
        self.hyperparameters = hyperparameters
        self.codes = codes
        self.notes = notes
        files = [:]
    }
}
