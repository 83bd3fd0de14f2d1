import CRdKafka

extension KafkaConsumer {
    /// How far this consumer has read each assigned partition.
    public struct ReadProgress: Sendable, Equatable {
        /// The next offset this consumer reads, or `nil` before its first fetch.
        public var position: Int64?
        /// The partition's low and high watermarks, as the broker reports them now.
        public var low: Int64
        public var high: Int64

        /// True once everything up to `high` has been read (or the partition is empty).
        public func reached(_ high: Int64) -> Bool {
            high <= low || (position ?? low) >= high
        }
    }

    /// Each assigned partition's read position and watermarks, the watermarks asked of the
    /// broker (not librdkafka's cache, which is empty until the first fetch). A follower of a
    /// compacted topic uses it to know that it has replayed the topic: a poll that returns no
    /// message only says that no fetch had answered yet.
    ///
    /// - Parameter timeout: how long the broker may take per partition.
    /// - Throws: ``KafkaError`` when the assignment cannot be read or a broker does not answer.
    public func readProgress(timeout: Duration) async throws -> [KafkaTopicPartition: ReadProgress] {
        let partitions = try assignment()
        guard !partitions.isEmpty else { return [:] }
        let client = client
        let milliseconds = Int32(
            clamping: timeout.components.seconds * 1000 + timeout.components.attoseconds / 1_000_000_000_000_000)
        return try await committer.run {
            let list = RDKafkaTopicPartitionList(capacity: partitions.count)
            for partition in partitions { list.add(partition) }
            let positionError = rd_kafka_position(client.handle, list.pointer)
            guard positionError == RD_KAFKA_RESP_ERR_NO_ERROR else {
                throw KafkaError.rdKafka(positionError, context: "read positions")
            }
            var result: [KafkaTopicPartition: ReadProgress] = [:]
            for entry in RDKafkaTopicPartitionList.entries(of: list.pointer) {
                var low: Int64 = -1
                var high: Int64 = -1
                let err = entry.topicPartition.topic.withCString {
                    rd_kafka_query_watermark_offsets(
                        client.handle, $0, entry.topicPartition.partition, &low, &high, milliseconds)
                }
                guard err == RD_KAFKA_RESP_ERR_NO_ERROR else {
                    throw KafkaError.rdKafka(err, context: "query watermarks of \(entry.topicPartition)")
                }
                result[entry.topicPartition] = ReadProgress(
                    position: entry.offset >= 0 ? entry.offset : nil, low: low, high: high)
            }
            return result
        }
    }
}
