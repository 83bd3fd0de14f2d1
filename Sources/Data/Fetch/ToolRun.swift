import Foundation

/// Runs an external tool to completion, collecting its combined output through a temporary file
/// (a pipe could fill and block the tool while we wait for it).
enum ToolRun {
    /// The tool's exit status and the last part of its combined stdout/stderr.
    struct Result {
        var status: Int32
        var output: String
    }

    /// Runs `executable` with `arguments` and waits.
    /// - Throws: ``DataError/Code/toolMissing`` if it cannot be started.
    static func run(_ executable: String, _ arguments: [String]) throws -> Result {
        let logURL = FileManager.default.temporaryDirectory.appendingPathComponent("resid-tool-\(UUID().uuidString).log")
        FileManager.default.createFile(atPath: logURL.path, contents: nil)
        defer { try? FileManager.default.removeItem(at: logURL) }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        do {
            let log = try FileHandle(forWritingTo: logURL)
            defer { try? log.close() }
            process.standardOutput = log
            process.standardError = log
            process.standardInput = FileHandle.nullDevice
            try process.run()
            process.waitUntilExit()
        } catch {
            throw DataError(.toolMissing, "cannot run \(executable): \(error)")
        }
        let text = (try? String(contentsOf: logURL, encoding: .utf8)) ?? ""
        return Result(status: process.terminationStatus, output: String(text.suffix(2000)).trimmingCharacters(in: .whitespacesAndNewlines))
    }
}
