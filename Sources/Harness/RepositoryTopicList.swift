import Foundation

/// The repository's `Topics/topics.json` (topics and schemas for the embedded broker and the
/// daemons), found from the working directory: benchmarks run from the repository root.
///
/// - Throws: ``InvalidSettings`` when the file is not there.
func repositoryTopicList() throws -> URL {
    let url = URL(fileURLWithPath: "Topics/topics.json").standardizedFileURL
    guard FileManager.default.fileExists(atPath: url.path) else {
        throw InvalidSettings("run from the repository root (Topics/topics.json not found)")
    }
    return url
}
