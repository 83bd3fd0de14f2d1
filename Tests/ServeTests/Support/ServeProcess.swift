import Foundation
import Harness
import Kafka
import LocalServers
import ReSIDTestKit
import Serve
import Supervision

#if canImport(Glibc)
import Glibc
#endif

/// `resid serve` as a child process with a configuration file of its own (for signal tests:
/// SIGKILL, SIGTERM, SIGHUP), started from the `resid` binary next to the tests. Its log, kept
/// across restarts, is what failed expectations print.
final class ServeProcess: @unchecked Sendable {
    private let serve: ServeChild

    /// Writes the configuration and starts the daemon.
    init(
        servers: IntegrationServers, topics: ServeTopics, groupID: String, namespace: String, variants: [String],
        instanceID: String
    )
        async throws
    {
        let file = ServeConfigurationFile(
            servers: servers, topics: topics, groupID: groupID, namespace: namespace, variants: variants,
            instanceID: instanceID)
        serve = try await ServeChild(
            configuration: file, name: instanceID, executable: try EmbeddedBroker.residExecutable(), logLevel: "info")
    }

    var httpPort: Int { serve.httpPort }

    /// Replaces the variant list in the configuration file (for SIGHUP).
    func rewriteVariants(_ variants: [String]) throws {
        var text = try String(contentsOf: serve.configFile, encoding: .utf8)
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        text = lines.filter { !$0.hasPrefix("    - ") }.joined(separator: "\n")
        text = text.replacingOccurrences(
            of: "  variants:\n", with: "  variants:\n" + variants.map { "    - \($0)\n" }.joined())
        try Data(text.utf8).write(to: serve.configFile)
    }

    /// Starts the daemon again with the same configuration (after it exited or was killed).
    func launch() async throws {
        try await serve.restart()
    }

    /// The daemon's log so far.
    var log: String { serve.log }

    /// Waits for the status file and then for `/health/ready` to answer 200.
    func waitReady(timeout: Duration = .seconds(60)) async throws {
        try await serve.waitReady(timeout: timeout)
    }

    /// Sends a signal.
    func signal(_ number: Int32) {
        serve.send(signal: number)
    }

    /// Waits for the process to exit; returns its exit code (128 + the signal when a signal
    /// ended it), or nil on timeout.
    func waitExit(timeout: Duration) async throws -> Int32? {
        switch await serve.waitForExit(timeout: timeout) {
        case .exited(let code): code
        case .signalled(let signal): 128 + signal
        case .unobserved, nil: nil
        }
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
