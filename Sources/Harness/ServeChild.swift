import Foundation
import Serve

/// A `resid serve` child process (for `resid bench serve` and `resid demo`): its own
/// configuration file and log in a temporary directory, readiness through `/health/ready`, RSS
/// from `/proc`. Killed and cleaned up on deinit if still running.
public final class ServeChild {
    public let directory: URL
    public let process = Process()
    private(set) var httpPort = 0

    /// The name used in errors and the directory name.
    public let name: String

    /// Writes `configuration` and starts the daemon.
    public init(configuration: ServeConfigurationFile, name: String) throws {
        self.name = name
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("resid-serve-\(name)-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let config = directory.appendingPathComponent("resid.yaml")
        try Data(configuration.yaml.utf8).write(to: config)
        let log = directory.appendingPathComponent("serve.log")
        _ = FileManager.default.createFile(atPath: log.path, contents: nil)
        process.executableURL = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath()
        process.arguments = [
            "serve", "--config", config.path, "--status-file", directory.appendingPathComponent("status.json").path,
            "--log-level", "warning", "--blas-threads", "1",
        ]
        process.environment = ["PATH": ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin", "HOME": NSTemporaryDirectory()]
        let handle = try FileHandle(forWritingTo: log)
        process.standardOutput = handle
        process.standardError = handle
        process.standardInput = FileHandle.nullDevice
        try process.run()
    }

    deinit {
        if process.isRunning {
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
        }
        try? FileManager.default.removeItem(at: directory)
    }

    public var log: String { (try? String(contentsOf: directory.appendingPathComponent("serve.log"), encoding: .utf8)) ?? "" }

    /// Waits until `/health/ready` answers 200.
    public func waitReady(timeout: Duration = .seconds(120)) async throws {
        let deadline = ContinuousClock.now + timeout
        while true {
            guard process.isRunning else { throw HarnessFailure("resid serve \(name) exited with status \(process.terminationStatus); its log:\n\(log.suffix(2000))") }
            guard ContinuousClock.now < deadline else { throw HarnessFailure("resid serve \(name) was not ready within \(timeout); its log:\n\(log.suffix(2000))") }
            if httpPort == 0, let data = try? Data(contentsOf: directory.appendingPathComponent("status.json")),
                let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any], let port = object["http_port"] as? Int
            {
                httpPort = port
            }
            if httpPort != 0, (try? HTTPProbe.get("/health/ready", port: httpPort).status) == 200 { return }
            try await Task.sleep(for: .milliseconds(100))
        }
    }

    /// A gauge or counter value from `/metrics` (first sample of `name`).
    public func metric(_ name: String) -> Double? {
        guard let body = try? HTTPProbe.get("/metrics", port: httpPort).body else { return nil }
        return PrometheusSamples(body).value(name)
    }

    /// Resident and peak resident memory in bytes (`VmRSS`, `VmHWM`).
    public func memory() -> (rss: Int, peak: Int) {
        let status = (try? String(contentsOfFile: "/proc/\(process.processIdentifier)/status", encoding: .utf8)) ?? ""
        func kilobytes(_ key: String) -> Int {
            guard let line = status.split(separator: "\n").first(where: { $0.hasPrefix(key + ":") }) else { return 0 }
            return (line.split(separator: " ").dropFirst().first.flatMap { Int($0) } ?? 0) * 1024
        }
        return (kilobytes("VmRSS"), kilobytes("VmHWM"))
    }

    /// SIGTERM, then wait (SIGKILL after `timeout`).
    public func stop(timeout: Duration = .seconds(30)) async {
        guard process.isRunning else { return }
        process.terminate()
        let deadline = ContinuousClock.now + timeout
        while process.isRunning, ContinuousClock.now < deadline { try? await Task.sleep(for: .milliseconds(50)) }
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        process.waitUntilExit()
    }
}
