/// Settings of a producer. Idempotence is on by default: retries never duplicate or reorder
/// messages within a partition.
public struct KafkaProducerConfiguration: Sendable {
    /// How many replicas must acknowledge a write.
    public enum Acks: String, Sendable, CaseIterable {
        /// All in-sync replicas (required by idempotence).
        case all
        /// The leader only.
        case leader = "1"
        /// No acknowledgement.
        case none = "0"
    }

    /// Batch compression codec.
    public enum Compression: String, Sendable, CaseIterable {
        case none, gzip, snappy, lz4, zstd
    }

    /// Bootstrap brokers.
    public var bootstrapServers: [KafkaBrokerAddress]
    /// The client id sent to brokers.
    public var clientID: String = "resid"
    /// Idempotent producer (`enable.idempotence`).
    public var enableIdempotence = true
    /// Acknowledgements required per write.
    public var acks: Acks = .all
    /// How long messages wait to form a batch.
    public var linger: Duration = .zero
    /// Batch compression.
    public var compression: Compression = .none
    /// How long a message may take to be acknowledged, retries included, before it fails.
    public var messageTimeout: Duration = .seconds(30)
    /// Most messages waiting in the local queue; producing more waits (batches) or fails with a
    /// retriable `.queueFull` (single messages).
    public var queueMaxMessages = 100_000
    /// Any librdkafka property, applied last (overrides the typed settings above).
    public var librdkafka: [String: String] = [:]

    /// Creates a configuration with defaults.
    public init(bootstrapServers: [KafkaBrokerAddress]) {
        self.bootstrapServers = bootstrapServers
    }

    /// Validates the typed settings and turns everything into librdkafka properties.
    func settings() throws -> RDKafkaSettings {
        guard !bootstrapServers.isEmpty else {
            throw KafkaError.invalidConfiguration(key: "kafka.bootstrap", "no bootstrap brokers given")
        }
        guard !(enableIdempotence && acks != .all) else {
            throw KafkaError.invalidConfiguration(
                key: "kafka.producer.acks", "must be 'all' when kafka.producer.enableIdempotence is true")
        }
        guard queueMaxMessages >= 1 else {
            throw KafkaError.invalidConfiguration(key: "kafka.producer.queueMaxMessages", "must be at least 1")
        }
        var settings = RDKafkaSettings()
        settings.set("bootstrap.servers", bootstrapServers.bootstrapServers, source: "kafka.bootstrap")
        settings.set("client.id", clientID, source: "kafka.clientId")
        settings.set("enable.idempotence", "\(enableIdempotence)", source: "kafka.producer.enableIdempotence")
        settings.set("acks", acks.rawValue, source: "kafka.producer.acks")
        settings.set("linger.ms", "\(linger.milliseconds)", source: "kafka.producer.lingerMs")
        // A batch that linger released goes out at once rather than waiting on Nagle.
        settings.set("socket.nagle.disable", "true")
        settings.set("compression.codec", compression.rawValue, source: "kafka.producer.compression")
        settings.set("message.timeout.ms", "\(messageTimeout.milliseconds)", source: "kafka.producer.messageTimeoutMs")
        settings.set("queue.buffering.max.messages", "\(queueMaxMessages)", source: "kafka.producer.queueMaxMessages")
        for (key, value) in librdkafka.sorted(by: { $0.key < $1.key }) {
            settings.set(key, value, source: "kafka.librdkafka.\(key)")
        }
        return settings
    }
}
