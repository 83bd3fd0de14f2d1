public import Kafka
public import Logging
import Synchronization

/// The daemon's producer, replaced by a new one when its idempotence state no longer matches
/// the cluster's: after the brokers lost their state (a new cluster at the same address, a
/// restore, a fenced producer id) the old producer fails every message with
/// `UNKNOWN_PRODUCER_ID` or raises a fatal error, and only a new producer id recovers. Nothing
/// is lost by the swap: the batch in flight was not committed and is sent again whole.
public final class RenewableProducer: Sendable {
    /// librdkafka error names that a new producer id cures.
    static let producerStateErrors: Set<String> = [
        "UNKNOWN_PRODUCER_ID", "OUT_OF_ORDER_SEQUENCE_NUMBER", "INVALID_PRODUCER_EPOCH", "PRODUCER_FENCED",
        "INVALID_PRODUCER_ID_MAPPING", "_FATAL",
    ]

    private let configuration: KafkaProducerConfiguration
    private let logger: Logger
    private let producer: Mutex<KafkaProducer>

    /// Creates the first producer.
    ///
    /// - Throws: ``KafkaError`` `.invalidConfiguration` naming the bad key.
    public init(configuration: KafkaProducerConfiguration, logger: Logger) throws {
        self.configuration = configuration
        self.logger = logger
        producer = Mutex(try KafkaProducer(configuration: configuration, logger: logger))
    }

    /// The producer in use.
    public var current: KafkaProducer { producer.withLock { $0 } }

    /// True when `error` is one that only a new producer id cures.
    static func needsNewProducer(_ error: KafkaError?) -> Bool {
        guard let error else { return false }
        return error.isFatal || error.rdKafkaName.map(producerStateErrors.contains) == true
    }

    /// Replaces the producer; the old one is shut down (its undelivered messages fail).
    ///
    /// - Throws: ``KafkaError`` if the new producer cannot be created.
    func renew(because error: KafkaError) async throws {
        let fresh = try KafkaProducer(configuration: configuration, logger: logger)
        let old = producer.withLock { current in
            defer { current = fresh }
            return current
        }
        logger.warning("replaced the Kafka producer (a new producer id)", metadata: ["error": "\(error)"])
        try? await old.shutdown(timeout: .milliseconds(500))
    }

    /// Flushes and stops the producer in use.
    public func shutdown(timeout: Duration) async throws {
        try await current.shutdown(timeout: timeout)
    }
}
