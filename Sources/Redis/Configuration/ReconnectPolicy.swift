/// How a connection retries after losing the server: capped exponential back-off with jitter.
public struct ReconnectPolicy: Sendable, Hashable {
    /// The pause before the second attempt (the first attempt is immediate).
    public var initialDelay: Duration = .milliseconds(50)
    /// The longest pause between two attempts.
    public var maxDelay: Duration = .seconds(2)
    /// How long one call keeps trying before it fails with a retriable error.
    public var giveUpAfter: Duration = .seconds(10)

    /// The defaults: 50 ms doubling to 2 s, giving up after 10 s.
    public init() {}

    /// Creates a policy.
    public init(initialDelay: Duration, maxDelay: Duration, giveUpAfter: Duration) {
        self.initialDelay = initialDelay
        self.maxDelay = maxDelay
        self.giveUpAfter = giveUpAfter
    }

    /// The pause after `failures` consecutive failed attempts (1 = after the first failure):
    /// `initialDelay * 2^(failures-1)`, capped at `maxDelay`, then scaled by `jitter` in
    /// [0.5, 1] so that many clients losing one server do not reconnect in lock-step.
    public func delay(afterFailures failures: Int, jitter: Double) -> Duration {
        guard failures > 0 else { return .zero }
        let exponent = min(failures - 1, 30)
        let raw = initialDelay * (1 << exponent)
        let capped = raw > maxDelay ? maxDelay : raw
        return capped * (0.5 + 0.5 * min(max(jitter, 0), 1))
    }
}
