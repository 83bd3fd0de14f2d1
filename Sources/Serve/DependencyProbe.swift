import Kafka
public import Logging
public import Redis
public import ServiceLifecycle

/// Asks the broker and Redis once a second whether they answer, and keeps readiness in step:
/// the event loop only learns of an outage when it has work, so an idle instance would
/// otherwise stay ready through one. A broker's answer also lists the topics, so a consumed or
/// produced topic that is missing (deleted, or never created: the daemon does not create
/// topics) makes the instance not ready, naming the topic.
public final class DependencyProbe: Service, Sendable {
    private let producer: RenewableProducer
    private let pool: RedisConnectionPool
    private let topics: [String]
    private let health: ServeHealth
    private let interval: Duration
    private let logger: Logger

    /// Creates the probe.
    ///
    /// - Parameters:
    ///   - producer: the daemon's producer (its metadata request is the broker probe).
    ///   - topics: the topics that must exist.
    ///   - interval: time between probes; a probe waits at most this long for an answer.
    public init(
        producer: RenewableProducer, pool: RedisConnectionPool, topics: ServeTopics, health: ServeHealth,
        interval: Duration = .seconds(1), logger: Logger
    ) {
        self.producer = producer
        self.pool = pool
        self.topics = [topics.items, topics.interactions, topics.predictions, topics.itemSIDs, topics.deadLetter]
        self.health = health
        self.interval = interval
        self.logger = logger
    }

    public func run() async throws {
        var broker = true
        var redis = true
        while !Task.isShuttingDownGracefully, !Task.isCancelled {
            async let brokerAnswer = probeBroker()
            async let redisAnswer = probeRedis()
            let (counts, redisUp) = await (brokerAnswer, redisAnswer)
            if (counts != nil) != broker {
                broker = counts != nil
                logger.log(
                    level: broker ? .notice : .warning,
                    broker ? "Kafka broker reachable" : "no Kafka broker reachable: not ready")
            }
            health.setBrokerReachable(broker)
            if let counts { health.setMissingTopics(topics.filter { counts[$0] == nil }) }
            if redisUp != redis {
                redis = redisUp
                logger.log(
                    level: redis ? .notice : .warning, redis ? "Redis reachable" : "Redis unreachable: not ready")
            }
            health.setRedisReachable(redis)
            try? await Task.sleep(for: interval)
        }
    }

    private func probeBroker() async -> [String: Int]? {
        try? await producer.current.topicPartitionCounts(timeout: interval)
    }

    private func probeRedis() async -> Bool {
        do {
            let reply = try await pool.withConnection { try await $0.command(RedisCommand("PING")) }
            if case .error = reply { return false }
            return true
        } catch {
            return false
        }
    }
}
