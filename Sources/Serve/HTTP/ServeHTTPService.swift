import Hummingbird
import HummingbirdCore
public import Logging
public import NIOCore
public import ServiceLifecycle
import Synchronization

/// The daemon's HTTP endpoints (``ServeEndpoints``) on Hummingbird: requests are served
/// concurrently on SwiftNIO's event loops, so a slow or idle client holds only its own
/// connection. Connections are bounded (``maximumConnections``; past it new ones wait in the
/// listen backlog) and an idle connection is closed after ``idleTimeout``.
public final class ServeHTTPService: Service, Sendable {
    /// Open connections served at once.
    public static let maximumConnections = 64
    /// Time a connection may stay silent (mid-request or between requests) before it is closed.
    public static let idleTimeout = TimeAmount.seconds(5)

    private let application: Application<RouterResponder<BasicRequestContext>>
    private let bound = BoundPort()

    /// Prepares the server on `host:port` (0: any free port); it binds when it runs.
    ///
    /// - Parameter onBound: called with the bound port once the server listens (for status
    ///   files and logs).
    public init(
        host: String, port: Int, metrics: ServeMetrics, health: ServeHealth, variants: VariantSet,
        logger: Logger = Logger(label: "resid.http"), onBound: (@Sendable (Int) -> Void)? = nil
    ) {
        let endpoints = ServeEndpoints(metrics: metrics, health: health, variants: variants)
        let router = Router()
        for path in ServeEndpoints.paths {
            router.get(RouterPath(path)) { _, _ in Self.response(endpoints.answer(path: path)) }
        }
        let bound = bound
        var logger = logger
        // Hummingbird logs every request at debug and connection errors at info; probes are
        // frequent and hostile clients are not the operator's news.
        logger.logLevel = max(logger.logLevel, .warning)
        application = Application(
            router: router,
            server: .http1(configuration: .init(idleTimeout: Self.idleTimeout)),
            configuration: .init(
                address: .hostname(host, port: port), serverName: nil, backlog: 64,
                availableConnectionsDelegate: MaximumAvailableConnections(Self.maximumConnections)),
            onServerRunning: { channel in
                let port = channel.localAddress?.port ?? 0
                bound.value.withLock { $0 = port }
                onBound?(port)
            },
            logger: logger)
    }

    /// The bound port, once the server listens.
    public var port: Int? { bound.value.withLock { $0 } }

    /// Waits until the server listens and returns its port.
    public func boundPort(timeout: Duration = .seconds(10)) async throws -> Int {
        let deadline = ContinuousClock.now + timeout
        while true {
            if let port { return port }
            guard ContinuousClock.now < deadline else {
                throw ServeError(.http, "the HTTP server did not start within \(timeout)")
            }
            try await Task.sleep(for: .milliseconds(10))
        }
    }

    public func run() async throws {
        do {
            try await application.run()
        } catch {
            throw ServeError(.http, "HTTP server: \(error); pick a free serve.httpPort (0 = any)")
        }
    }

    private static func response(_ answer: ServeEndpoints.Answer) -> Response {
        Response(
            status: HTTPResponse.Status(code: answer.status),
            headers: [.contentType: answer.contentType],
            body: ResponseBody(byteBuffer: ByteBuffer(string: answer.body)))
    }
}

/// The port the server bound, shared with its start-up callback.
private final class BoundPort: Sendable {
    let value = Mutex<Int?>(nil)
}
