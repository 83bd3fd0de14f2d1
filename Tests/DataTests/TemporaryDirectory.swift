import Foundation

/// A unique scratch directory for fixture files, removed when the value is released.
final class TemporaryDirectory {
    let path: String

    init() throws {
        path =
            FileManager.default.temporaryDirectory.appendingPathComponent("resid-data-tests-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }

    deinit { try? FileManager.default.removeItem(atPath: path) }

    /// Writes `text` byte for byte (so `\r\n` stays CRLF) and returns the file's path.
    @discardableResult
    func write(_ name: String, _ text: String) throws -> String {
        let file = path + "/" + name
        try Foundation.Data(text.utf8).write(to: URL(fileURLWithPath: file))
        return file
    }
}
