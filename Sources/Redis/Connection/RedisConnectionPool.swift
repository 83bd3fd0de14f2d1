public import Logging
import Synchronization

/// A fixed set of connections, each lent to one task at a time.
///
/// Connections connect lazily and reconnect on their own; the pool only arbitrates who may use
/// which. Tasks wait (in arrival order) when all are lent out, which bounds the load one
/// process puts on the server.
public final class RedisConnectionPool: Sendable {
    /// The configuration the connections were made with.
    public let configuration: RedisConfiguration
    private let connections: [RedisConnection]
    private let state: Mutex<State>

    private struct State {
        var idle: [Int]
        var waiters: [(id: UInt64, continuation: CheckedContinuation<Int, any Error>)] = []
        var nextWaiterID: UInt64 = 0
    }

    /// Creates `configuration.poolSize` connections (not yet connected).
    /// - Parameters:
    ///   - configuration: Endpoint, credentials, timeouts, pool size.
    ///   - logger: Passed to every connection.
    public init(configuration: RedisConfiguration, logger: Logger? = nil) {
        self.configuration = configuration
        connections = (0..<configuration.poolSize).map { index in
            RedisConnection(configuration: configuration, name: "resid-redis-\(index)", logger: logger)
        }
        state = Mutex(State(idle: Array((0..<configuration.poolSize).reversed())))
    }

    /// The number of connections.
    public var size: Int { connections.count }

    /// Lends a connection to `body` for its duration.
    ///
    /// - Important: Do not keep the connection after `body` returns; another task gets it next.
    /// - Throws: What `body` throws, or `CancellationError` if the task is cancelled while waiting.
    public func withConnection<T: Sendable>(
        _ body: (RedisConnection) async throws -> sending T
    ) async throws -> sending T {
        let index = try await acquire()
        defer { release(index) }
        return try await body(connections[index])
    }

    /// Runs idempotent work, retrying it on retriable errors (the connection reconnects with its
    /// back-off inside each attempt).
    ///
    /// - Important: Only for work that may run twice: a command whose reply was lost may have run.
    /// - Parameters:
    ///   - attempts: Tries in all, at least 1.
    ///   - body: The work; it may run up to `attempts` times.
    public func withRetries<T: Sendable>(
        attempts: Int = 3, _ body: (RedisConnection) async throws -> sending T
    ) async throws -> sending T {
        var attempt = 1
        while true {
            do {
                return try await withConnection(body)
            } catch let error as RedisError where error.isRetriable && attempt < attempts {
                attempt += 1
            }
        }
    }

    /// Connects every connection now, so that a bad address fails at start-up, not on first use.
    public func connectAll() async throws {
        for connection in connections { try await connection.connect() }
    }

    /// Closes every connection's socket (they reconnect if used again).
    public func close() async {
        for connection in connections { await connection.close() }
    }

    private func acquire() async throws -> Int {
        if let index = state.withLock({ $0.idle.popLast() }) { return index }
        let id = state.withLock { state -> UInt64 in
            state.nextWaiterID += 1
            return state.nextWaiterID
        }
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Int, any Error>) in
                let outcome = state.withLock { state -> Result<Int, any Error>? in
                    if Task.isCancelled { return .failure(CancellationError()) }
                    if let index = state.idle.popLast() { return .success(index) }
                    state.waiters.append((id, continuation))
                    return nil
                }
                if let outcome { continuation.resume(with: outcome) }
            }
        } onCancel: {
            let waiter = state.withLock { state -> CheckedContinuation<Int, any Error>? in
                guard let position = state.waiters.firstIndex(where: { $0.id == id }) else { return nil }
                return state.waiters.remove(at: position).continuation
            }
            waiter?.resume(throwing: CancellationError())
        }
    }

    private func release(_ index: Int) {
        let waiter = state.withLock { state -> CheckedContinuation<Int, any Error>? in
            if state.waiters.isEmpty {
                state.idle.append(index)
                return nil
            }
            return state.waiters.removeFirst().continuation
        }
        waiter?.resume(returning: index)
    }
}
