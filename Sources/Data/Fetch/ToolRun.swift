import Foundation
import Supervision

/// Runs an external tool to completion, collecting its combined output.
enum ToolRun {
    /// The tool's exit status and the last part of its combined stdout/stderr.
    struct Result {
        var status: ChildExit
        var output: String
    }

    /// Runs `executable` with `arguments` and waits.
    /// - Throws: ``DataError/Code/toolMissing`` if it cannot be started.
    static func run(_ executable: String, _ arguments: [String]) async throws -> Result {
        var command = ChildCommand(URL(fileURLWithPath: executable), arguments)
        command.standardOutput = .captured
        command.standardError = .captured
        do {
            let (status, output) = try await ChildProcess.run(command)
            return Result(
                status: status, output: String(output.suffix(2000)).trimmingCharacters(in: .whitespacesAndNewlines))
        } catch {
            throw DataError(.toolMissing, "cannot run \(executable): \(error)")
        }
    }
}
