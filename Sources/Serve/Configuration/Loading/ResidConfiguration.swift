public import Configuration
public import Kafka
public import Redis

/// The validated configuration of every component, plus the reader it came from (for
/// components that read further keys themselves).
public struct ResidConfiguration: Sendable {
    /// The Redis client settings (`redis.*`).
    public var redis: RedisConfiguration
    /// The Kafka client settings (`kafka.*`).
    public var kafka: KafkaConfiguration
    /// The merged sources: command line > environment > file > defaults.
    public var reader: ConfigReader
    /// Where values came from, highest precedence first, for messages and `resid config check`.
    public var sources: [String]
}
