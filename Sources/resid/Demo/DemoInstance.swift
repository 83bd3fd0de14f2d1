import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// One `resid serve` child process of the demo with its own configuration file, logging to a
/// file.
final class DemoInstance {
    let name: String
    let process = Process()
    let logURL: URL
    private let statusURL: URL
    /// The HTTP port the instance bound (after ``waitUntilReady(timeout:)``).
    private(set) var httpPort: Int?

    /// Starts `executable serve --config configuration` with `environment` added to this
    /// process's environment.
    init(name: String, executable: URL, configuration: URL, environment: [String: String], directory: URL) throws {
        self.name = name
        logURL = directory.appendingPathComponent("\(name).log")
        statusURL = directory.appendingPathComponent("\(name).status.json")
        _ = FileManager.default.createFile(atPath: logURL.path, contents: nil)
        let log = try FileHandle(forWritingTo: logURL)
        process.executableURL = executable
        process.arguments = ["serve", "--config", configuration.path, "--status-file", statusURL.path, "--log-level", "notice"]
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        process.standardOutput = log
        process.standardError = log
        try process.run()
    }

    /// Waits for the status file and then for `/health/ready` to answer 200.
    func waitUntilReady(timeout: Duration) async throws {
        let clock = ContinuousClock()
        let deadline = clock.now + timeout
        while clock.now < deadline {
            guard process.isRunning else {
                throw DemoError("\(name) exited with status \(process.terminationStatus) while starting; its log:\n\(logTail())")
            }
            if httpPort == nil, let data = try? Data(contentsOf: statusURL),
               let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
               let port = object["http_port"] as? Int {
                httpPort = port
            }
            if httpPort != nil, (try? await get("/health/ready"))?.status == 200 { return }
            try await Task.sleep(for: .milliseconds(250))
        }
        throw DemoError("\(name) was not ready within \(timeout); its log:\n\(logTail())")
    }

    /// `GET path` on the instance's HTTP port.
    func get(_ path: String) async throws -> (status: Int, body: String) {
        guard let port = httpPort, let url = URL(string: "http://127.0.0.1:\(port)\(path)") else {
            throw DemoError("\(name) has no HTTP port yet")
        }
        let (data, response) = try await URLSession.shared.data(from: url)
        return ((response as? HTTPURLResponse)?.statusCode ?? 0, String(decoding: data, as: UTF8.self))
    }

    /// Sends SIGTERM (drain and commit) and waits for the exit, then SIGKILL after `grace`.
    func stop(grace: Duration) async {
        guard process.isRunning else { return }
        process.terminate()
        let clock = ContinuousClock()
        let deadline = clock.now + grace
        while process.isRunning, clock.now < deadline { try? await Task.sleep(for: .milliseconds(100)) }
        if process.isRunning {
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
        }
    }

    /// The last lines of the instance's log.
    func logTail(lines: Int = 15) -> String {
        let text = (try? String(contentsOf: logURL, encoding: .utf8)) ?? ""
        return text.split(separator: "\n", omittingEmptySubsequences: false).suffix(lines).joined(separator: "\n")
    }
}

/// A demo failure with a message for the user.
struct DemoError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
