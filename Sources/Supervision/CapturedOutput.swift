import Foundation

/// The temporary file behind ``OutputDestination/captured``: created before the launch,
/// removed with the ``ChildProcess`` (a child still writing keeps the unlinked file open).
final class CapturedOutput: Sendable {
    let url: URL

    init() throws {
        url = FileManager.default.temporaryDirectory.appendingPathComponent("resid-child-\(UUID().uuidString).log")
        guard FileManager.default.createFile(atPath: url.path, contents: nil) else {
            throw ChildProcessError("cannot create \(url.path) for a child's output")
        }
    }

    deinit {
        try? FileManager.default.removeItem(at: url)
    }

    var text: String {
        (try? String(contentsOf: url, encoding: .utf8)) ?? ""
    }
}
