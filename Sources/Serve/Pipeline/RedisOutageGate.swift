import Logging
import Redis

/// Runs the daemon's Redis work so that an outage is waited out instead of failing the event
/// loop: a call that finds no server is retried with capped exponential back-off for as long as
/// it takes, the instance reports not-ready meanwhile, and ready again after the first success.
///
/// Only idempotent work goes through here (prefix updates are idempotent per offset, SID claims
/// per item, lookups are reads), and the batch is not committed until it completes, so waiting
/// loses nothing: the events behind it wait in Kafka.
struct RedisOutageGate: Sendable {
    let pool: RedisConnectionPool
    let health: ServeHealth
    let metrics: ServeMetrics
    let logger: Logger
    /// True once the daemon was asked to stop: a wait then ends with `CancellationError`.
    let stopRequested: @Sendable () -> Bool

    static let initialDelay = Duration.milliseconds(100)
    static let maximumDelay = Duration.seconds(5)

    /// Runs `body` on a pooled connection until it succeeds.
    ///
    /// - Throws: a non-retriable error of `body` (a script error, a malformed reply),
    ///   `CancellationError` when the daemon stops during an outage.
    func run<T: Sendable>(
        _ operation: String, _ body: (RedisConnection) async throws -> sending T
    ) async throws -> sending T {
        var delay = Self.initialDelay
        var waited = false
        while true {
            do {
                let result = try await pool.withRetries(attempts: 1, body)
                if waited {
                    health.setRedisReachable(true)
                    logger.notice("Redis is back; resuming", metadata: ["serve.redis.operation": "\(operation)"])
                }
                return result
            } catch let error as RedisError where error.isRetriable {
                if !waited {
                    logger.warning(
                        "Redis unavailable; waiting with back-off (not ready meanwhile)",
                        metadata: ["serve.redis.operation": "\(operation)", "error": "\(error)"])
                }
                waited = true
                health.setRedisReachable(false)
                metrics.count(.redisOutageWaits)
                guard !stopRequested() else { throw CancellationError() }
                try await Task.sleep(for: delay)
                delay = min(delay * 2, Self.maximumDelay)
            }
        }
    }
}
