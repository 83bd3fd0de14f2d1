#if canImport(Glibc)
import Glibc
#endif
import Foundation
import Kafka
import ReSIDTestKit
import Serve

/// `resid serve` as a child process with a configuration file of its own (for signal tests:
/// SIGKILL, SIGTERM, SIGHUP). Its log goes to a file that failed expectations print.
final class ServeProcess: @unchecked Sendable {
    let configFile: URL
    let directory: URL
    private(set) var process: Process
    private(set) var httpPort = 0

    /// Writes the configuration and starts the daemon.
    init(servers: IntegrationServers, topics: ServeTopics, groupID: String, namespace: String, variants: [String], instanceID: String) throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("resid-serve-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        configFile = directory.appendingPathComponent("resid.yaml")
        let file = ServeConfigurationFile(
            servers: servers, topics: topics, groupID: groupID, namespace: namespace, variants: variants, instanceID: instanceID)
        try Data(file.yaml.utf8).write(to: configFile)
        process = Process()
        try launch()
    }

    deinit {
        if process.isRunning {
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
        }
        try? FileManager.default.removeItem(at: directory)
    }

    /// Replaces the variant list in the configuration file (for SIGHUP).
    func rewriteVariants(_ variants: [String]) throws {
        var text = try String(contentsOf: configFile, encoding: .utf8)
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        text = lines.filter { !$0.hasPrefix("    - ") }.joined(separator: "\n")
        text = text.replacingOccurrences(of: "  variants:\n", with: "  variants:\n" + variants.map { "    - \($0)\n" }.joined())
        try Data(text.utf8).write(to: configFile)
    }

    /// Starts (or restarts) the daemon with the same configuration.
    func launch() throws {
        let status = directory.appendingPathComponent("status.json")
        try? FileManager.default.removeItem(at: status)
        httpPort = 0
        let log = directory.appendingPathComponent("serve.log")
        if !FileManager.default.fileExists(atPath: log.path) { _ = FileManager.default.createFile(atPath: log.path, contents: nil) }
        let handle = try FileHandle(forWritingTo: log)
        handle.seekToEndOfFile()
        let process = Process()
        process.executableURL = try EmbeddedBroker.residExecutable()
        process.arguments = ["serve", "--config", configFile.path, "--status-file", status.path, "--log-level", "info", "--blas-threads", "1"]
        // Only what the daemon needs: RESID_* variables of the test environment are not settings.
        process.environment = ["PATH": ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin", "HOME": NSTemporaryDirectory()]
        process.standardOutput = handle
        process.standardError = handle
        process.standardInput = FileHandle.nullDevice
        try process.run()
        self.process = process
    }

    /// The daemon's log so far.
    var log: String { (try? String(contentsOf: directory.appendingPathComponent("serve.log"), encoding: .utf8)) ?? "" }

    /// Waits for the status file and then for `/health/ready` to answer 200.
    func waitReady(timeout: Duration = .seconds(60)) async throws {
        let deadline = ContinuousClock.now + timeout
        let status = directory.appendingPathComponent("status.json")
        while true {
            guard process.isRunning else { throw TestFailure("resid serve exited (\(process.terminationStatus)): \(log.suffix(3000))") }
            guard ContinuousClock.now < deadline else { throw TestFailure("resid serve not ready within \(timeout): \(log.suffix(3000))") }
            if httpPort == 0, let data = try? Data(contentsOf: status),
                let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any], let port = object["http_port"] as? Int
            {
                httpPort = port
            }
            if httpPort != 0, (try? httpGet("/health/ready").status) == 200 { return }
            try await Task.sleep(for: .milliseconds(100))
        }
    }

    /// Sends a signal.
    func signal(_ number: Int32) {
        kill(process.processIdentifier, number)
    }

    /// Waits for the process to exit; returns its status, or nil on timeout.
    func waitExit(timeout: Duration) async throws -> Int32? {
        let deadline = ContinuousClock.now + timeout
        while process.isRunning {
            guard ContinuousClock.now < deadline else { return nil }
            try await Task.sleep(for: .milliseconds(50))
        }
        return process.terminationStatus
    }

    /// One GET against the daemon's HTTP port.
    func httpGet(_ path: String) throws -> (status: Int, body: String) {
        try rawHTTP("GET \(path) HTTP/1.1\r\nHost: localhost\r\n\r\n")
    }

    /// Sends raw bytes and reads the whole answer (the server closes the connection).
    func rawHTTP(_ request: String) throws -> (status: Int, body: String) {
        try HTTPProbe.send(request, port: httpPort)
    }
}
