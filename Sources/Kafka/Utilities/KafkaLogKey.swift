/// Logger metadata keys used by the Kafka module (dotted names, set once per component).
public enum KafkaLogKey {
    /// librdkafka's log facility (for example `BROKER`, `CGRP`).
    public static let facility = "kafka.facility"
    /// librdkafka's symbolic error name.
    public static let errorName = "kafka.error"
    /// The consumer group id.
    public static let groupID = "kafka.group_id"
    /// The client id.
    public static let clientID = "kafka.client_id"
}
