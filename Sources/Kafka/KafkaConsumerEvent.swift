/// What a consumer's event sequence yields: messages, and the group's rebalances in the order
/// they happened relative to those messages.
public enum KafkaConsumerEvent: Sendable, CustomStringConvertible {
    /// A message from an assigned partition.
    case message(KafkaConsumerMessage)
    /// The group gave this consumer these partitions (added to any it already had).
    case partitionsAssigned([KafkaTopicPartition])
    /// The group took these partitions away. Offsets of their messages can no longer be
    /// committed by this consumer: another member will re-read from the last commit.
    case partitionsRevoked([KafkaTopicPartition])

    public var description: String {
        switch self {
        case .message(let message): "message \(message.topicPartition)@\(message.offset)"
        case .partitionsAssigned(let list): "assigned \(list.sorted())"
        case .partitionsRevoked(let list): "revoked \(list.sorted())"
        }
    }
}
