import CRdKafka

/// An ordered list of librdkafka properties (`key`, `value`), applied in order so that the
/// escape hatch can override any typed setting.
struct RDKafkaSettings: Sendable {
    private(set) var entries: [(key: String, value: String, source: String)] = []

    /// Adds or replaces `key`. `source` is the name the user wrote (for example
    /// `kafka.librdkafka.socket.timeout.ms`), used in error messages.
    mutating func set(_ key: String, _ value: String, source: String? = nil) {
        entries.removeAll { $0.key == key }
        entries.append((key, value, source ?? key))
    }

    subscript(key: String) -> String? {
        entries.last { $0.key == key }?.value
    }

    /// Builds an `rd_kafka_conf_t`; the caller owns it (rd_kafka_new consumes it on success).
    ///
    /// - Throws: ``KafkaError`` `.invalidConfiguration` naming the first key librdkafka rejects.
    func makeConf() throws -> OpaquePointer {
        guard let conf = rd_kafka_conf_new() else {
            throw KafkaError(code: .clientCreation, message: "rd_kafka_conf_new returned NULL")
        }
        var errorText = [CChar](repeating: 0, count: 512)
        for entry in entries {
            let result = rd_kafka_conf_set(conf, entry.key, entry.value, &errorText, errorText.count)
            guard result == RD_KAFKA_CONF_OK else {
                rd_kafka_conf_destroy(conf)
                let reason = String(errorBuffer: errorText)
                let fix =
                    result == RD_KAFKA_CONF_UNKNOWN
                    ? "unknown librdkafka property '\(entry.key)'; see librdkafka's CONFIGURATION.md"
                    : "invalid value '\(entry.value)' for '\(entry.key)'"
                throw KafkaError.invalidConfiguration(key: entry.source, "\(fix) (\(reason))")
            }
        }
        return conf
    }
}
