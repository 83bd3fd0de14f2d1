public import Foundation
public import Redis
import Supervision
import Synchronization

/// A private `redis-server` on a free loopback port, for `redis.url: embedded`, the demo,
/// benchmarks and integration tests.
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
    private let child: Mutex<ChildProcess?>

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
        self.child = Mutex(nil)
    }

    /// Starts a server on a free port and waits until it answers `PING`.
    /// - Parameter persistence: What it keeps on disk (nothing by default).
    /// - Throws: ``RedisServerError`` when `redis-server` is not on `PATH` or does not come up
    ///   (the message includes the end of its log).
    public static func start(persistence: Persistence = .none) async throws -> RedisServer {
        guard let executable = ExecutableSearch.find("redis-server") else {
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
                await server.stop()
            }
        }
        throw lastError ?? RedisServerError("redis-server did not start")
    }

    /// Kills the server with `SIGKILL` (no shutdown save) and waits until it has exited.
    public func kill() async {
        await child.withLock { $0.take() }?.kill()
    }

    /// Starts the server again on the same port and directory (after ``kill()``), and waits until
    /// it answers `PING`. With ``Persistence/appendOnlyFsyncAlways`` it reloads its data.
    public func restart() async throws {
        await kill()
        try await launch()
    }

    /// Stops the server, waits for its exit and removes its directory. Safe to call more than
    /// once.
    ///
    /// `SIGKILL`, not `SIGTERM`: the data is thrown away with the directory anyway, so a
    /// shutdown save would only cost time.
    public func stop() async {
        await kill()
        try? FileManager.default.removeItem(at: directory)
    }

    deinit {
        // Without stop(): the server process is killed with its ChildProcess.
        try? FileManager.default.removeItem(at: directory)
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
        var command = ChildCommand(executable, arguments, name: "redis-server on port \(port)")
        command.workingDirectory = directory
        let launched = try await ChildProcess.launch(command)
        child.withLock { $0 = launched }
        try await waitUntilReady(launched)
    }

    private func waitUntilReady(_ launched: ChildProcess) async throws {
        var configuration = configuration()
        configuration.connectTimeout = .milliseconds(200)
        configuration.commandTimeout = .seconds(1)
        configuration.reconnect = ReconnectPolicy(
            initialDelay: .milliseconds(10), maxDelay: .milliseconds(10), giveUpAfter: .zero)
        let connection = RedisConnection(configuration: configuration, name: "redis-ping")
        do {
            // While it loads its append-only file the server answers PING with -LOADING.
            try await launched.waitUntilReady("answering PING", timeout: .seconds(15)) {
                (try? await connection.command(RedisCommand("PING")))?.string == "PONG"
            }
        } catch let failure as ChildProcessError {
            throw RedisServerError("\(failure.message); its log:\n\(logTail())")
        }
    }
}

/// Runs `body` with a fresh ``RedisServer`` and stops the server afterwards, also when `body`
/// throws.
public func withRedisServer<T>(
    persistence: RedisServer.Persistence = .none, _ body: (RedisServer) async throws -> T
) async throws -> T {
    let server = try await RedisServer.start(persistence: persistence)
    do {
        let result = try await body(server)
        await server.stop()
        return result
    } catch {
        await server.stop()
        throw error
    }
}

/// Why a private redis-server could not be started.
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
