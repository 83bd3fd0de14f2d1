/// A message read by a consumer, copied out of librdkafka's buffers.
public struct KafkaConsumerMessage: Sendable {
    /// The topic the message was read from.
    public var topic: String
    /// The partition the message was read from.
    public var partition: Int32
    /// The message's offset in its partition.
    public var offset: Int64
    /// The message key, if it had one.
    public var key: [UInt8]?
    /// The message value; `nil` for a tombstone.
    public var value: [UInt8]?
    /// The message timestamp in milliseconds since the epoch, if the broker set one.
    public var timestampMilliseconds: Int64?

    /// Creates a message value (for tests and replays).
    public init(
        topic: String, partition: Int32, offset: Int64, key: [UInt8]?, value: [UInt8]?,
        timestampMilliseconds: Int64? = nil
    ) {
        self.topic = topic
        self.partition = partition
        self.offset = offset
        self.key = key
        self.value = value
        self.timestampMilliseconds = timestampMilliseconds
    }

    /// The message's topic and partition.
    public var topicPartition: KafkaTopicPartition {
        KafkaTopicPartition(topic: topic, partition: partition)
    }

    /// The key decoded as UTF-8, if it had one.
    public var keyString: String? { key.map { String(decoding: $0, as: UTF8.self) } }
}
