import Foundation
import Redis
import Synchronization

/// A private `redis-server` on a free loopback port, for integration tests, benchmarks and the
/// embedded demo.
///
/// It runs from `PATH` in a fresh temporary directory (its log, and its append-only file when
/// persistence is on). ``start(persistence:)`` returns once the server answers `PING`;
/// ``stop()`` ends it and removes the directory; `deinit` does the same as a safety net. For the
/// reconnect tests it can be killed (`SIGKILL`) and restarted on the same port and directory.
public final class RedisServer: Sendable {
    /// What the server keeps on disk.
    public enum Persistence: Sendable {
        /// Nothing (`--save "" --appendonly no`): data lives in memory only. The default.
        case none
        /// An append-only file fsynced on every write (`--appendonly yes --appendfsync always`),
        /// so an acknowledged write survives `SIGKILL`. Slow; for crash tests only.
        case appendOnlyFsyncAlways
    }

    /// The loopback port the server listens on (stays the same across ``restart()``).
    public let port: Int
    /// The server's working directory (log, append-only file).
    public let directory: URL
    /// What the server keeps on disk.
    public let persistence: Persistence
    private let executable: URL
    private let process: Mutex<Process?>

    /// `redis://127.0.0.1:<port>`.
    public var url: String { "redis://127.0.0.1:\(port)" }

    /// A client configuration for this server: the defaults with this endpoint and `namespace`.
    public func configuration(namespace: String = "test") -> RedisConfiguration {
        var configuration = RedisConfiguration()
        configuration.endpoint = .tcp(host: "127.0.0.1", port: port)
        configuration.namespace = namespace
        return configuration
    }

    private init(port: Int, directory: URL, persistence: Persistence, executable: URL) {
        self.port = port
        self.directory = directory
        self.persistence = persistence
        self.executable = executable
        self.process = Mutex(nil)
    }

    /// Starts a server on a free port and waits until it answers `PING`.
    /// - Parameter persistence: What it keeps on disk (nothing by default).
    /// - Throws: ``RedisServerError`` when `redis-server` is not on `PATH` or does not come up
    ///   (the message includes the end of its log).
    public static func start(persistence: Persistence = .none) async throws -> RedisServer {
        guard let executable = findOnPath("redis-server") else {
            throw RedisServerError("redis-server is not on PATH; install the redis-server package (Deploy/setup.sh)")
        }
        var lastError: (any Error)?
        // The free port is found by binding port 0 and closing it; another process may grab it
        // before redis-server binds, so try a few ports.
        for _ in 0..<3 {
            let directory = FileManager.default.temporaryDirectory
                .appendingPathComponent("resid-redis-\(UUID().uuidString.prefix(8))")
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            let server = RedisServer(
                port: try freeLoopbackPort(), directory: directory, persistence: persistence, executable: executable)
            do {
                try await server.launch()
                return server
            } catch {
                lastError = error
                server.stop()
            }
        }
        throw lastError ?? RedisServerError("redis-server did not start")
    }

    /// Kills the server with `SIGKILL` (no shutdown save) and waits until it has exited.
    public func kill() async {
        guard let running = process.withLock({ $0.take() }) else { return }
        Foundation.kill(running.processIdentifier, SIGKILL)
        await Self.waitForExit(running, timeout: .seconds(10))
    }

    /// Starts the server again on the same port and directory (after ``kill()``), and waits until
    /// it answers `PING`. With ``Persistence/appendOnlyFsyncAlways`` it reloads its data.
    public func restart() async throws {
        await kill()
        try await launch()
    }

    /// Stops the server and removes its directory. Safe to call more than once.
    ///
    /// `SIGKILL`, not `SIGTERM`: the data is thrown away with the directory anyway, and a child
    /// spawned from a pool thread inherits that thread's blocked signals, so redis-server may
    /// never see a `SIGTERM`.
    public func stop() {
        if let running = process.withLock({ $0.take() }) {
            Foundation.kill(running.processIdentifier, SIGKILL)
            running.waitUntilExit()
        }
        try? FileManager.default.removeItem(at: directory)
    }

    deinit {
        stop()
    }

    /// The last lines of the server's log, for error messages.
    public func logTail(lines: Int = 20) -> String {
        let log = directory.appendingPathComponent("redis.log")
        guard let data = FileManager.default.contents(atPath: log.path) else { return "(no log)" }
        return String(decoding: data, as: UTF8.self).split(separator: "\n").suffix(lines).joined(separator: "\n")
    }

    private func launch() async throws {
        var arguments = [
            "--port", String(port), "--bind", "127.0.0.1", "--daemonize", "no",
            "--dir", directory.path, "--logfile", "redis.log", "--save", "",
        ]
        switch persistence {
        case .none:
            arguments += ["--appendonly", "no"]
        case .appendOnlyFsyncAlways:
            arguments += ["--appendonly", "yes", "--appendfsync", "always"]
        }
        let child = Process()
        child.executableURL = executable
        child.arguments = arguments
        child.currentDirectoryURL = directory
        child.standardInput = FileHandle.nullDevice
        child.standardOutput = FileHandle.nullDevice
        child.standardError = FileHandle.nullDevice
        try child.run()
        process.withLock { $0 = child }
        try await waitUntilReady(child)
    }

    private func waitUntilReady(_ child: Process) async throws {
        var configuration = configuration()
        configuration.connectTimeout = .milliseconds(200)
        configuration.commandTimeout = .seconds(1)
        configuration.reconnect = ReconnectPolicy(
            initialDelay: .milliseconds(10), maxDelay: .milliseconds(10), giveUpAfter: .zero)
        let connection = RedisConnection(configuration: configuration, name: "redis-ping")
        let clock = ContinuousClock()
        let deadline = clock.now + .seconds(15)
        while clock.now < deadline {
            guard child.isRunning else {
                throw RedisServerError("redis-server on port \(port) exited during start-up:\n\(logTail())")
            }
            // While it loads its append-only file the server answers PING with -LOADING.
            if let reply = try? await connection.command(RedisCommand("PING")), reply.string == "PONG" { return }
            try await Task.sleep(for: .milliseconds(20))
        }
        throw RedisServerError("redis-server on port \(port) did not answer PING within 15 s:\n\(logTail())")
    }

    private static func waitForExit(_ child: Process, timeout: Duration) async {
        let clock = ContinuousClock()
        let deadline = clock.now + timeout
        while child.isRunning && clock.now < deadline { try? await Task.sleep(for: .milliseconds(5)) }
    }

    private static func findOnPath(_ name: String) -> URL? {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/local/bin:/usr/bin:/bin"
        for directory in path.split(separator: ":") {
            let candidate = URL(fileURLWithPath: String(directory)).appendingPathComponent(name)
            if FileManager.default.isExecutableFile(atPath: candidate.path) { return candidate }
        }
        for directory in ["/usr/bin", "/usr/local/bin", "/usr/sbin"] {
            let candidate = URL(fileURLWithPath: directory).appendingPathComponent(name)
            if FileManager.default.isExecutableFile(atPath: candidate.path) { return candidate }
        }
        return nil
    }
}

/// Runs `body` with a fresh ``RedisServer`` and stops the server afterwards, also when `body`
/// throws.
public func withRedisServer<T>(
    persistence: RedisServer.Persistence = .none, _ body: (RedisServer) async throws -> T
) async throws -> T {
    let server = try await RedisServer.start(persistence: persistence)
    defer { server.stop() }
    return try await body(server)
}

/// Why a test server could not be started.
public struct RedisServerError: Error, CustomStringConvertible {
    /// What went wrong, with the end of the server's log where there is one.
    public var message: String
    init(_ message: String) { self.message = message }
    public var description: String { message }
}

/// A port on 127.0.0.1 that was free a moment ago (bound to port 0, then released).
func freeLoopbackPort() throws -> Int {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    guard fd >= 0 else { throw RedisServerError("socket() failed: errno \(errno)") }
    defer { close(fd) }
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_port = 0
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    let bound = withUnsafePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
    }
    guard bound == 0 else { throw RedisServerError("bind() to 127.0.0.1:0 failed: errno \(errno)") }
    var length = socklen_t(MemoryLayout<sockaddr_in>.size)
    let named = withUnsafeMutablePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
    }
    guard named == 0 else { throw RedisServerError("getsockname() failed: errno \(errno)") }
    return Int(UInt16(bigEndian: address.sin_port))
}
