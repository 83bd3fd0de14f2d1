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

    /// The key as text: `nil` when there is no key or when its bytes are not valid UTF-8.
    ///
    /// Strict on purpose: a lossy decoding turns `u\xff` into `u\u{FFFD}`, so two different
    /// byte keys would name the same user. ``hasInvalidUTF8Key`` tells the two `nil`s apart.
    public var keyString: String? { key.flatMap { String(validating: $0, as: UTF8.self) } }

    /// True when the message has a key whose bytes are not valid UTF-8.
    public var hasInvalidUTF8Key: Bool { key != nil && keyString == nil }
}
