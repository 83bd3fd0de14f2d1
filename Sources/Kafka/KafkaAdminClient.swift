import CRdKafka
public import Logging

/// Administrative operations on a real cluster (CreateTopics).
public final class KafkaAdminClient: Sendable {
    /// What happened to one topic in ``createTopics(_:timeout:)``.
    public enum TopicCreationOutcome: String, Sendable, Codable {
        case created
        case alreadyExists
    }

    private let client: RDKafkaClient
    private let blocking = BlockingExecutor(label: "resid.kafka.admin")

    /// Connects to `bootstrapServers`.
    ///
    /// - Parameter librdkafka: extra librdkafka properties (for example security settings).
    /// - Throws: ``KafkaError`` `.invalidConfiguration` naming the bad key.
    public init(bootstrapServers: [KafkaBrokerAddress], librdkafka: [String: String] = [:], logger: Logger) throws {
        var settings = RDKafkaSettings()
        settings.set("bootstrap.servers", bootstrapServers.bootstrapServers, source: "kafka.bootstrap")
        settings.set("client.id", "resid-admin")
        for (key, value) in librdkafka.sorted(by: { $0.key < $1.key }) {
            settings.set(key, value, source: "kafka.librdkafka.\(key)")
        }
        client = try RDKafkaClient(kind: .producer, settings: settings, context: RDKafkaCallbackContext(logger: logger))
    }

    /// Creates `topics` with their partition counts, replication factors and configs.
    /// Idempotent: a topic that already exists is reported as `.alreadyExists` (its settings are
    /// not compared or changed).
    ///
    /// - Returns: the outcome per topic name.
    /// - Throws: ``KafkaError`` `.topicCreation` naming the first topic that failed, or
    ///   `.timedOut` if the cluster does not answer within `timeout`.
    public func createTopics(
        _ topics: [KafkaTopicDefinition], timeout: Duration = .seconds(30)
    ) async throws -> [String: TopicCreationOutcome] {
        try await blocking.run { [client] in
            try Self.createTopicsBlocking(client: client, topics: topics, timeout: timeout)
        }
    }

    private static func createTopicsBlocking(
        client: RDKafkaClient, topics: [KafkaTopicDefinition], timeout: Duration
    ) throws -> [String: TopicCreationOutcome] {
        var newTopics: [OpaquePointer?] = []
        defer { newTopics.forEach { rd_kafka_NewTopic_destroy($0) } }
        var errorText = [CChar](repeating: 0, count: 512)
        for topic in topics {
            guard
                let newTopic = rd_kafka_NewTopic_new(
                    topic.name, Int32(clamping: topic.partitions), Int32(clamping: topic.replicationFactor),
                    &errorText, errorText.count)
            else {
                throw KafkaError(code: .topicCreation, message: "\(topic.name): \(String(errorBuffer: errorText))")
            }
            newTopics.append(newTopic)
            for (key, value) in topic.config.sorted(by: { $0.key < $1.key }) {
                let err = rd_kafka_NewTopic_set_config(newTopic, key, value)
                guard err == RD_KAFKA_RESP_ERR_NO_ERROR else {
                    throw KafkaError.rdKafka(err, code: .topicCreation, context: "\(topic.name) config \(key)")
                }
            }
        }
        guard let queue = rd_kafka_queue_new(client.handle) else {
            throw KafkaError(code: .topicCreation, message: "rd_kafka_queue_new failed")
        }
        defer { rd_kafka_queue_destroy(queue) }
        let options = rd_kafka_AdminOptions_new(client.handle, RD_KAFKA_ADMIN_OP_CREATETOPICS)
        defer { rd_kafka_AdminOptions_destroy(options) }
        _ = rd_kafka_AdminOptions_set_operation_timeout(
            options, timeout.timeoutMilliseconds, &errorText, errorText.count)
        _ = rd_kafka_AdminOptions_set_request_timeout(options, timeout.timeoutMilliseconds, &errorText, errorText.count)

        newTopics.withUnsafeMutableBufferPointer { buffer in
            rd_kafka_CreateTopics(client.handle, buffer.baseAddress, buffer.count, options, queue)
        }
        // The request timeout bounds the answer; allow a little more for the event itself.
        guard let event = rd_kafka_queue_poll(queue, timeout.timeoutMilliseconds &+ 5_000) else {
            throw KafkaError(code: .timedOut, message: "CreateTopics: no answer within \(timeout)", isRetriable: true)
        }
        defer { rd_kafka_event_destroy(event) }
        let eventError = rd_kafka_event_error(event)
        guard eventError == RD_KAFKA_RESP_ERR_NO_ERROR else {
            let text = rd_kafka_event_error_string(event).map { String(cString: $0) } ?? ""
            throw KafkaError.rdKafka(eventError, code: .topicCreation, context: "CreateTopics: \(text)")
        }
        guard let result = rd_kafka_event_CreateTopics_result(event) else {
            throw KafkaError(code: .topicCreation, message: "CreateTopics: unexpected event type")
        }
        var count = 0
        guard let results = rd_kafka_CreateTopics_result_topics(result, &count) else { return [:] }
        var outcomes: [String: TopicCreationOutcome] = [:]
        for index in 0..<count {
            let topicResult = results[index]
            let name = String(cString: rd_kafka_topic_result_name(topicResult))
            let err = rd_kafka_topic_result_error(topicResult)
            switch err {
            case RD_KAFKA_RESP_ERR_NO_ERROR:
                outcomes[name] = .created
            case RD_KAFKA_RESP_ERR_TOPIC_ALREADY_EXISTS:
                outcomes[name] = .alreadyExists
            default:
                let text = rd_kafka_topic_result_error_string(topicResult).map { String(cString: $0) } ?? ""
                throw KafkaError.rdKafka(err, code: .topicCreation, context: "create topic \(name): \(text)")
            }
        }
        return outcomes
    }
}
