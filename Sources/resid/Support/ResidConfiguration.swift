import Configuration
import Kafka
import Redis

/// The validated configuration of every component, plus the reader it came from (for
/// components that read further keys themselves).
struct ResidConfiguration: Sendable {
    /// The Redis client settings (`redis.*`).
    var redis: RedisConfiguration
    /// The Kafka client settings (`kafka.*`).
    var kafka: KafkaConfiguration
    /// The merged sources: command line > environment > file > defaults.
    var reader: ConfigReader
    /// Where values came from, highest precedence first, for messages and `resid config check`.
    var sources: [String]
}
