/// Settings of a consumer-group consumer.
///
/// Offsets are never committed behind the caller's back: automatic offset store and commit are
/// off, and only ``KafkaConsumer/commit(_:)`` and friends commit.
public struct KafkaConsumerConfiguration: Sendable {
    /// Where an unknown or out-of-range group offset starts.
    public enum AutoOffsetReset: String, Sendable, CaseIterable {
        /// The oldest retained message.
        case earliest
        /// Only messages produced after the assignment.
        case latest
    }

    /// Bootstrap brokers.
    public var bootstrapServers: [KafkaBrokerAddress]
    /// The consumer group.
    public var groupID: String
    /// Topics to subscribe to.
    public var topics: [String]
    /// The client id sent to brokers (shows in broker logs and metrics).
    public var clientID: String = "resid"
    /// How long the group waits for a silent member before reassigning its partitions.
    /// The embedded (mock) broker needs at least 4 s.
    public var sessionTimeout: Duration = .seconds(10)
    /// How often the member heartbeats; also how quickly it notices a rebalance.
    public var heartbeatInterval: Duration = .seconds(1)
    /// Longest gap between polls before the member is considered stuck and leaves the group.
    public var maxPollInterval: Duration = .seconds(300)
    /// Where to start without a committed offset.
    public var autoOffsetReset: AutoOffsetReset = .earliest
    /// Most messages taken from librdkafka per poll: the bound of the iterator's buffer.
    public var pollBatchSize: Int = 256
    /// How long one poll waits for a message before the iterator checks for cancellation.
    public var pollTimeout: Duration = .milliseconds(100)
    /// Longest a broker holds a fetch that found no data (`fetch.wait.max.ms`; librdkafka's and
    /// Kafka's default, 500 ms). A broker answers a waiting fetch as soon as a record arrives
    /// (`fetch.min.bytes` 1), so this costs no latency: it only bounds how often an idle consumer
    /// asks, here twice a second per broker. The embedded broker answers the same way through its
    /// long-poll front (`resid broker`). Lower values buy nothing on a broker that answers
    /// early and cost requests: 1 ms is a thousand empty fetches a second per consumer and broker.
    public var fetchWaitMax: Duration = .milliseconds(500)
    /// Any librdkafka property, applied last (overrides the typed settings above).
    public var librdkafka: [String: String] = [:]

    /// Creates a configuration with defaults for everything but the essentials.
    public init(bootstrapServers: [KafkaBrokerAddress], groupID: String, topics: [String]) {
        self.bootstrapServers = bootstrapServers
        self.groupID = groupID
        self.topics = topics
    }

    /// Validates the typed settings and turns everything into librdkafka properties.
    func settings() throws -> RDKafkaSettings {
        guard !bootstrapServers.isEmpty else {
            throw KafkaError.invalidConfiguration(key: "kafka.bootstrap", "no bootstrap brokers given")
        }
        guard !groupID.isEmpty else {
            throw KafkaError.invalidConfiguration(key: "kafka.consumer.groupId", "must not be empty")
        }
        guard !topics.isEmpty, !topics.contains(where: \.isEmpty) else {
            throw KafkaError.invalidConfiguration(key: "topics", "subscribe to at least one non-empty topic name")
        }
        guard pollBatchSize >= 1 else {
            throw KafkaError.invalidConfiguration(
                key: "kafka.consumer.pollBatchSize", "must be at least 1, got \(pollBatchSize)")
        }
        guard heartbeatInterval < sessionTimeout else {
            throw KafkaError.invalidConfiguration(
                key: "kafka.consumer.heartbeatIntervalMs", "must be lower than kafka.consumer.sessionTimeoutMs")
        }
        var settings = RDKafkaSettings()
        settings.set("bootstrap.servers", bootstrapServers.bootstrapServers, source: "kafka.bootstrap")
        settings.set("client.id", clientID, source: "kafka.clientId")
        settings.set("group.id", groupID, source: "kafka.consumer.groupId")
        settings.set("session.timeout.ms", "\(sessionTimeout.milliseconds)", source: "kafka.consumer.sessionTimeoutMs")
        settings.set(
            "heartbeat.interval.ms", "\(heartbeatInterval.milliseconds)", source: "kafka.consumer.heartbeatIntervalMs")
        settings.set(
            "max.poll.interval.ms", "\(maxPollInterval.milliseconds)", source: "kafka.consumer.maxPollIntervalMs")
        settings.set("auto.offset.reset", autoOffsetReset.rawValue, source: "kafka.consumer.autoOffsetReset")
        settings.set("fetch.wait.max.ms", "\(fetchWaitMax.milliseconds)", source: "kafka.consumer.fetchWaitMaxMs")
        // Small requests (one fetch, one commit) go out at once rather than waiting on Nagle.
        settings.set("socket.nagle.disable", "true")
        // The caller decides what is done: no automatic store or commit.
        settings.set("enable.auto.offset.store", "false")
        settings.set("enable.auto.commit", "false")
        for (key, value) in librdkafka.sorted(by: { $0.key < $1.key }) {
            settings.set(key, value, source: "kafka.librdkafka.\(key)")
        }
        return settings
    }
}

extension Duration {
    /// Whole milliseconds, rounded down.
    var milliseconds: Int64 {
        components.seconds * 1000 + components.attoseconds / 1_000_000_000_000_000
    }

    /// Milliseconds clamped into a C `int` timeout.
    var timeoutMilliseconds: Int32 { Int32(clamping: max(milliseconds, 0)) }
}
