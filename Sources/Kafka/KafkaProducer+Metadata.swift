import CRdKafka

extension KafkaProducer {
    /// The cluster's topics with their partition counts, read from a broker.
    ///
    /// A successful answer is also the proof that a broker is reachable now, which librdkafka
    /// otherwise only reports as a transition (`_ALL_BROKERS_DOWN`), never as a state.
    /// Runs on a queue of its own so a probe never waits behind a flush.
    ///
    /// - Parameter timeout: how long a broker may take to answer.
    /// - Returns: partition count by topic name (internal topics included).
    /// - Throws: ``KafkaError`` (timed out, transport) when no broker answered in time.
    public func topicPartitionCounts(timeout: Duration) async throws -> [String: Int] {
        let client = client
        let milliseconds = Int32(
            clamping: timeout.components.seconds * 1000 + timeout.components.attoseconds / 1_000_000_000_000_000)
        return try await metadataQueue.run {
            var metadata: UnsafePointer<rd_kafka_metadata>?
            let err = rd_kafka_metadata(client.handle, 1, nil, &metadata, milliseconds)
            guard err == RD_KAFKA_RESP_ERR_NO_ERROR, let metadata else {
                throw KafkaError.rdKafka(err, context: "metadata request")
            }
            defer { rd_kafka_metadata_destroy(metadata) }
            var counts: [String: Int] = [:]
            for index in 0..<Int(metadata.pointee.topic_cnt) {
                let topic = metadata.pointee.topics[index]
                guard topic.err == RD_KAFKA_RESP_ERR_NO_ERROR, let name = topic.topic else { continue }
                counts[String(cString: name)] = Int(topic.partition_cnt)
            }
            return counts
        }
    }
}

extension KafkaProducer {
    /// Raises a fatal error inside librdkafka (`rd_kafka_test_fatal_error`), as the idempotent
    /// producer does when the cluster lost its producer state; for tests of recovery.
    ///
    /// - Parameter code: the broker error code, e.g. 59 (`UNKNOWN_PRODUCER_ID`).
    public func raiseFatalErrorForTesting(code: Int32, reason: String) {
        _ = rd_kafka_test_fatal_error(client.handle, rd_kafka_resp_err_t(rawValue: code), reason)
    }
}
