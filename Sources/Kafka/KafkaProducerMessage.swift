/// A message to produce.
public struct KafkaProducerMessage: Sendable {
    /// The destination topic.
    public var topic: String
    /// The message key: messages with one key go to one partition (librdkafka's default
    /// consistent_random partitioner) so per-key order holds.
    public var key: [UInt8]?
    /// The message value; `nil` produces a tombstone (for compacted topics).
    public var value: [UInt8]?
    /// An explicit partition, or `nil` to let the partitioner choose from the key.
    public var partition: Int32?

    /// Creates a message from bytes.
    public init(topic: String, key: [UInt8]? = nil, value: [UInt8]?, partition: Int32? = nil) {
        self.topic = topic
        self.key = key
        self.value = value
        self.partition = partition
    }

    /// Creates a message with a UTF-8 string key.
    public init(topic: String, key: String, value: [UInt8]?, partition: Int32? = nil) {
        self.init(topic: topic, key: Array(key.utf8), value: value, partition: partition)
    }
}
