import CRdKafka
public import Logging

/// librdkafka's in-process mock Kafka cluster: real Kafka protocol over TCP on loopback, data in
/// memory. Backs the embedded broker process (for `kafka.bootstrap: embedded`, the demo,
/// benchmarks and integration tests).
///
/// It has no CreateTopics API (topics are created here, or auto-created with the default
/// partition count on first use), no `read_committed` filtering and ignores topic configs such
/// as `cleanup.policy`. Consumers need `session.timeout.ms` >= 4000. Each partition keeps at
/// most 5 MiB or 100,000 message sets: older data is dropped, as if by retention.
///
/// `@unchecked Sendable`: the cluster runs on its own librdkafka thread and its API
/// (`rd_kafka_mock_*`) hands every request to that thread through an op queue, so it may be
/// called from any thread; the pointer is set once and destroyed once in `deinit`.
public final class KafkaMockCluster: @unchecked Sendable {
    private let client: RDKafkaClient
    private let cluster: OpaquePointer
    /// The cluster's `bootstrap.servers` list, for example `127.0.0.1:40411`.
    public let bootstrapServers: [KafkaBrokerAddress]
    /// Number of mock brokers.
    public let brokerCount: Int

    /// Starts a mock cluster of `brokerCount` brokers listening on loopback.
    ///
    /// - Throws: ``KafkaError`` `.clientCreation` if librdkafka cannot start it.
    public init(brokerCount: Int = 1, logger: Logger) throws {
        guard (1...16).contains(brokerCount) else {
            throw KafkaError.invalidConfiguration(key: "brokers", "must be 1...16, got \(brokerCount)")
        }
        var settings = RDKafkaSettings()
        // The mock cluster needs a host client handle; a producer that never produces.
        settings.set("client.id", "resid-mock-cluster")
        // The mock brokers' accepted sockets take their options from this handle. Without this
        // they keep Nagle's algorithm, so a small response written while an earlier one is not
        // yet acknowledged waits for that acknowledgement (a delayed ACK: up to 40 ms); a Kafka
        // broker sets TCP_NODELAY on every connection.
        settings.set("socket.nagle.disable", "true")
        client = try RDKafkaClient(kind: .producer, settings: settings, context: RDKafkaCallbackContext(logger: logger))
        guard let cluster = rd_kafka_mock_cluster_new(client.handle, Int32(brokerCount)) else {
            throw KafkaError(code: .clientCreation, message: "rd_kafka_mock_cluster_new failed")
        }
        self.cluster = cluster
        self.brokerCount = brokerCount
        let bootstraps = String(cString: rd_kafka_mock_cluster_bootstraps(cluster))
        bootstrapServers = try KafkaBrokerAddress.parseList(bootstraps, key: "mock cluster bootstrap")
    }

    deinit {
        // Children before parents: the cluster, then its host client (in client's deinit).
        rd_kafka_mock_cluster_destroy(cluster)
    }

    /// Caps the versions of `apiKey` that the brokers advertise (ApiVersions) at `highest`.
    ///
    /// - Throws: ``KafkaError`` if the mock refuses.
    public func limitVersions(apiKey: Int16, highest: Int16) throws {
        let err = rd_kafka_mock_set_apiversion(cluster, apiKey, 0, highest)
        guard err == RD_KAFKA_RESP_ERR_NO_ERROR else {
            throw KafkaError.rdKafka(err, context: "cap API \(apiKey) at version \(highest) on the mock cluster")
        }
    }

    /// Creates a topic with `partitions` partitions. The replication factor is capped at the
    /// number of brokers; topic configs are not supported by the mock cluster.
    ///
    /// - Throws: ``KafkaError`` `.topicCreation` naming the topic.
    public func createTopic(_ name: String, partitions: Int, replicationFactor: Int = 1) throws {
        let err = rd_kafka_mock_topic_create(
            cluster, name, Int32(clamping: partitions), Int32(clamping: min(replicationFactor, brokerCount)))
        guard err == RD_KAFKA_RESP_ERR_NO_ERROR else {
            throw KafkaError.rdKafka(err, code: .topicCreation, context: "create topic \(name) on the mock cluster")
        }
    }
}
