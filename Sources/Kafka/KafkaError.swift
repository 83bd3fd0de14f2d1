import CRdKafka

/// An error from the Kafka module: what went wrong, whether retrying can help, and where.
///
/// Errors that come from librdkafka carry its numeric code and name so an operator can look
/// them up; configuration errors name the offending key.
public struct KafkaError: Error, Sendable, CustomStringConvertible {
    /// The kind of error. Extensible: new codes are new static members, never a broken switch.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum Value: Hashable, Sendable {
            case invalidConfiguration
            case clientCreation
            case broker
            case timedOut
            case queueFull
            case deliveryFailed
            case commitFailed
            case topicCreation
            case invalidTopicDefinition
            case shutDown
        }

        private let value: Value
        private init(_ value: Value) { self.value = value }

        /// A configuration key is unknown, has the wrong type or an invalid value.
        public static let invalidConfiguration = Code(.invalidConfiguration)
        /// librdkafka refused to create a client handle.
        public static let clientCreation = Code(.clientCreation)
        /// An error reported by librdkafka or a broker (see ``KafkaError/rdKafkaCode``).
        public static let broker = Code(.broker)
        /// An operation did not finish before its deadline.
        public static let timedOut = Code(.timedOut)
        /// The producer's local queue is full: poll, flush or slow down, then retry.
        public static let queueFull = Code(.queueFull)
        /// A produced message was not acknowledged by the cluster.
        public static let deliveryFailed = Code(.deliveryFailed)
        /// An offset commit failed.
        public static let commitFailed = Code(.commitFailed)
        /// Creating a topic through the admin API failed.
        public static let topicCreation = Code(.topicCreation)
        /// A topic list file is malformed.
        public static let invalidTopicDefinition = Code(.invalidTopicDefinition)
        /// The client was closed or shut down before the operation finished.
        public static let shutDown = Code(.shutDown)

        public var description: String { String(describing: value) }
    }

    /// The kind of error.
    public var code: Code
    /// A human-readable explanation naming the key, topic or message involved.
    public var message: String
    /// librdkafka's numeric error code (`rd_kafka_resp_err_t`), when the error came from it.
    public var rdKafkaCode: Int32?
    /// librdkafka's symbolic name of ``rdKafkaCode`` (for example `_TIMED_OUT`).
    public var rdKafkaName: String?
    /// Whether the same operation may succeed if retried.
    public var isRetriable: Bool
    /// Whether the client is unusable and must be recreated.
    public var isFatal: Bool
    /// Where the error was raised.
    public var file: String
    /// Where the error was raised.
    public var line: UInt

    /// Creates an error.
    public init(
        code: Code,
        message: String,
        rdKafkaCode: Int32? = nil,
        rdKafkaName: String? = nil,
        isRetriable: Bool = false,
        isFatal: Bool = false,
        file: String = #fileID,
        line: UInt = #line
    ) {
        self.code = code
        self.message = message
        self.rdKafkaCode = rdKafkaCode
        self.rdKafkaName = rdKafkaName
        self.isRetriable = isRetriable
        self.isFatal = isFatal
        self.file = file
        self.line = line
    }

    public var description: String {
        var text = "KafkaError.\(code): \(message)"
        if let rdKafkaName { text += " [\(rdKafkaName)]" }
        if isFatal { text += " (fatal)" } else if isRetriable { text += " (retriable)" }
        return text
    }

    /// An invalid configuration error naming `key`.
    public static func invalidConfiguration(
        key: String, _ reason: String, file: String = #fileID, line: UInt = #line
    ) -> KafkaError {
        KafkaError(code: .invalidConfiguration, message: "\(key): \(reason)", file: file, line: line)
    }

    /// An error from a librdkafka response code, classified as retriable or fatal.
    static func rdKafka(
        _ err: rd_kafka_resp_err_t,
        code: Code = .broker,
        context: String,
        file: String = #fileID,
        line: UInt = #line
    ) -> KafkaError {
        let description = String(cString: rd_kafka_err2str(err))
        let name = String(cString: rd_kafka_err2name(err))
        return KafkaError(
            code: err == RD_KAFKA_RESP_ERR__TIMED_OUT
                ? .timedOut
                : err == RD_KAFKA_RESP_ERR__QUEUE_FULL ? .queueFull : code,
            message: "\(context): \(description)",
            rdKafkaCode: err.rawValue,
            rdKafkaName: name,
            isRetriable: retriableCodes.contains(err),
            isFatal: err == RD_KAFKA_RESP_ERR__FATAL,
            file: file,
            line: line
        )
    }

    /// An error from an `rd_kafka_error_t`, which knows its own retriable/fatal flags.
    /// The caller still owns (and destroys) `error`.
    static func rdKafka(
        error: OpaquePointer, code: Code = .broker, context: String,
        file: String = #fileID, line: UInt = #line
    ) -> KafkaError {
        let err = rd_kafka_error_code(error)
        return KafkaError(
            code: code,
            message: "\(context): \(String(cString: rd_kafka_error_string(error)))",
            rdKafkaCode: err.rawValue,
            rdKafkaName: String(cString: rd_kafka_error_name(error)),
            isRetriable: rd_kafka_error_is_retriable(error) != 0,
            isFatal: rd_kafka_error_is_fatal(error) != 0,
            file: file,
            line: line
        )
    }

    /// Transient conditions: connectivity, leadership moves, group rebalances, full queues.
    private static let retriableCodes: Set<rd_kafka_resp_err_t> = [
        RD_KAFKA_RESP_ERR__TIMED_OUT, RD_KAFKA_RESP_ERR__QUEUE_FULL, RD_KAFKA_RESP_ERR__TRANSPORT,
        RD_KAFKA_RESP_ERR__ALL_BROKERS_DOWN, RD_KAFKA_RESP_ERR__MSG_TIMED_OUT,
        RD_KAFKA_RESP_ERR_REQUEST_TIMED_OUT, RD_KAFKA_RESP_ERR_NETWORK_EXCEPTION,
        RD_KAFKA_RESP_ERR_LEADER_NOT_AVAILABLE, RD_KAFKA_RESP_ERR_NOT_LEADER_FOR_PARTITION,
        RD_KAFKA_RESP_ERR_NOT_COORDINATOR, RD_KAFKA_RESP_ERR_COORDINATOR_NOT_AVAILABLE,
        RD_KAFKA_RESP_ERR_COORDINATOR_LOAD_IN_PROGRESS, RD_KAFKA_RESP_ERR_REBALANCE_IN_PROGRESS,
        RD_KAFKA_RESP_ERR_NOT_ENOUGH_REPLICAS, RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART,
    ]
}
