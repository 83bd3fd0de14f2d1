import CRdKafka

/// Versions of the underlying libraries.
public enum KafkaVersion {
    /// The librdkafka version string, for example `2.0.2`.
    public static var librdkafka: String { String(cString: rd_kafka_version_str()) }
}
