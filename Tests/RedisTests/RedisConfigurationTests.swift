import Testing

@testable import Redis

/// The reconnect back-off and error classification. No process is started.
@Suite("Redis configuration")
struct RedisConfigurationTests {
    @Test("back-off doubles from the initial delay up to the cap, scaled by jitter")
    func backoff() {
        let policy = ReconnectPolicy(initialDelay: .milliseconds(50), maxDelay: .seconds(1), giveUpAfter: .seconds(10))
        #expect(policy.delay(afterFailures: 0, jitter: 1) == .zero)
        #expect(policy.delay(afterFailures: 1, jitter: 1) == .milliseconds(50))
        #expect(policy.delay(afterFailures: 3, jitter: 1) == .milliseconds(200))
        #expect(policy.delay(afterFailures: 10, jitter: 1) == .seconds(1))
        #expect(policy.delay(afterFailures: 40, jitter: 0) == .milliseconds(500))
    }

    @Test("errors carry codes and retriability")
    func errors() {
        #expect(RedisError(.timeout, "x").isRetriable)
        #expect(RedisError(.connectionClosed, "x").isRetriable)
        #expect(!RedisError(.serverError, "x").isRetriable)
        #expect(!RedisError(.invalidConfiguration, "x").isRetriable)
        #expect("\(RedisError(.io, "read failed", underlyingCode: 1))".contains("io"))
        #expect(RedisError(serverReply: "LOADING Redis is loading", command: "GET").isRetriable)
        #expect(!RedisError(serverReply: "WRONGTYPE Operation", command: "GET").isRetriable)
    }
}
