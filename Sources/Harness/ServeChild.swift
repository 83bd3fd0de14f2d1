public import Foundation
public import Serve
public import Supervision

/// A `resid serve` child process (for `resid bench serve`, `resid bench soak`, `resid demo` and
/// the daemon's process tests): its own configuration file and log in a temporary directory,
/// readiness through `/health/ready`, RSS from `/proc`. Killed and its directory removed when
/// it goes away.
public final class ServeChild {
    /// The temporary directory with the configuration file, status file and log.
    public let directory: URL
    /// The name used in errors and the directory name.
    public let name: String
    /// The HTTP port, once ``waitReady(timeout:)`` has read it from the status file.
    public private(set) var httpPort = 0

    private var child: ChildProcess
    private let command: ChildCommand

    /// The configuration file the daemon reads (rewrite it and send `SIGHUP` to reload).
    public var configFile: URL { directory.appendingPathComponent("resid.yaml") }

    /// Writes `configuration` and starts the daemon.
    ///
    /// - Parameters:
    ///   - executable: the `resid` binary; by default the one this process runs.
    ///   - logLevel: the daemon's `--log-level`.
    public init(
        configuration: ServeConfigurationFile, name: String, executable: URL = ExecutableSearch.running,
        logLevel: String = "warning"
    ) async throws {
        self.name = name
        directory = FileManager.default.temporaryDirectory.appendingPathComponent(
            "resid-serve-\(name)-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let configFile = directory.appendingPathComponent("resid.yaml")
        try Data(configuration.yaml.utf8).write(to: configFile)
        var command = ChildCommand(
            executable,
            [
                "serve", "--config", configFile.path, "--status-file",
                directory.appendingPathComponent("status.json").path,
                "--log-level", logLevel, "--blas-threads", "1",
            ],
            name: "resid serve \(name)")
        // Only what the daemon needs: RESID_* variables of this environment are not its settings.
        command.environment = [
            "PATH": ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin", "HOME": NSTemporaryDirectory(),
        ]
        command.standardOutput = .file(directory.appendingPathComponent("serve.log"))
        command.standardError = command.standardOutput
        self.command = command
        child = try await ChildProcess.launch(command)
    }

    deinit {
        try? FileManager.default.removeItem(at: directory)
    }

    /// The daemon's process id.
    public var processID: Int32 { child.processID }

    /// Everything the daemon has logged, over all its starts.
    public var log: String {
        (try? String(contentsOf: directory.appendingPathComponent("serve.log"), encoding: .utf8)) ?? ""
    }

    /// Kills the daemon if it still runs and starts it again with the same configuration file.
    public func restart() async throws {
        await child.kill()
        try? FileManager.default.removeItem(at: directory.appendingPathComponent("status.json"))
        httpPort = 0
        child = try await ChildProcess.launch(command)
    }

    /// Sends `signal` to the daemon.
    public func send(signal: Int32) {
        child.send(signal: signal)
    }

    /// Waits at most `timeout` for the daemon to exit; `nil` if it still runs.
    public func waitForExit(timeout: Duration) async -> ChildExit? {
        await child.waitForExit(timeout: timeout)
    }

    /// Waits for the status file and then for `/health/ready` to answer 200.
    ///
    /// - Throws: ``ChildProcessError`` with the end of the log when the daemon exits first or is
    ///   not ready in time.
    public func waitReady(timeout: Duration = .seconds(120)) async throws {
        let status = directory.appendingPathComponent("status.json")
        do {
            try await child.waitUntilReady("ready", timeout: timeout, interval: .milliseconds(100)) {
                if httpPort == 0, let data = try? Data(contentsOf: status),
                    let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
                    let port = object["http_port"] as? Int
                {
                    httpPort = port
                }
                return httpPort != 0 && (try? HTTPProbe.get("/health/ready", port: httpPort).status) == 200
            }
        } catch let failure as ChildProcessError {
            throw ChildProcessError("\(failure.message); its log:\n\(log.suffix(2000))")
        }
    }

    /// A gauge or counter value from `/metrics` (first sample of `name`).
    public func metric(_ name: String) -> Double? {
        metrics()?.value(name)
    }

    /// Everything `/metrics` answers now, or `nil` if the daemon does not answer. After
    /// ``restart()`` the new HTTP port is read from the status file.
    public func metrics() -> PrometheusSamples? {
        if httpPort == 0, let data = try? Data(contentsOf: directory.appendingPathComponent("status.json")),
            let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
            let port = object["http_port"] as? Int
        {
            httpPort = port
        }
        guard httpPort != 0, let body = try? HTTPProbe.get("/metrics", port: httpPort).body else { return nil }
        return PrometheusSamples(body)
    }

    /// Resident and peak resident memory in bytes (`VmRSS`, `VmHWM`).
    public func memory() -> (rss: Int, peak: Int) {
        let status = (try? String(contentsOfFile: "/proc/\(processID)/status", encoding: .utf8)) ?? ""
        func kilobytes(_ key: String) -> Int {
            guard let line = status.split(separator: "\n").first(where: { $0.hasPrefix(key + ":") }) else { return 0 }
            return (line.split(separator: " ").dropFirst().first.flatMap { Int($0) } ?? 0) * 1024
        }
        return (kilobytes("VmRSS"), kilobytes("VmHWM"))
    }

    /// `SIGTERM` (the daemon drains and commits), then `SIGKILL` after `timeout`; waits for the
    /// exit.
    @discardableResult
    public func stop(timeout: Duration = .seconds(30)) async -> ChildExit {
        await child.terminate(gracePeriod: timeout)
    }
}
