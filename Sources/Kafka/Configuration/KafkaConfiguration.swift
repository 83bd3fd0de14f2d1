/// The `kafka:` section of the configuration: bootstrap, consumer and producer settings.
public struct KafkaConfiguration: Sendable {
    /// Where the cluster is.
    public enum Bootstrap: Sendable, Equatable {
        /// Start the embedded broker (librdkafka's mock cluster in a child process).
        case embedded
        /// A real cluster.
        case servers([KafkaBrokerAddress])
    }

    /// Where the cluster is.
    public var bootstrap: Bootstrap
    /// Consumer settings (its bootstrap list is empty while ``bootstrap`` is `.embedded`).
    public var consumer: KafkaConsumerConfiguration
    /// Producer settings (its bootstrap list is empty while ``bootstrap`` is `.embedded`).
    public var producer: KafkaProducerConfiguration

    /// A configuration from its parts (the configuration loader reads them from `kafka.*`).
    public init(bootstrap: Bootstrap, consumer: KafkaConsumerConfiguration, producer: KafkaProducerConfiguration) {
        self.bootstrap = bootstrap
        self.consumer = consumer
        self.producer = producer
    }

    /// Points consumer and producer at `servers` (for example the embedded broker's address).
    public mutating func resolveBootstrap(_ servers: [KafkaBrokerAddress]) {
        consumer.bootstrapServers = servers
        producer.bootstrapServers = servers
    }
}
