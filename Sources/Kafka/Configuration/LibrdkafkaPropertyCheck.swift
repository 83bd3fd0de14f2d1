import CRdKafka

/// Asks librdkafka itself whether a property name and value would be accepted, by setting them
/// on a scratch configuration that is then thrown away.
///
/// The configuration loader uses it to reject `kafka.librdkafka.*` keys by name: a property
/// librdkafka does not know would otherwise be ignored (a `ConfigReader` is only ever asked for
/// the names librdkafka lists), and a typo such as `fetch.wait.max.msec` would silently leave
/// the default in place.
public enum LibrdkafkaPropertyCheck {
    /// What is wrong with `name = value`, or `nil` when librdkafka accepts it.
    ///
    /// - Returns: `"unknown property"` for a name librdkafka does not know; librdkafka's own
    ///   message for a value it refuses.
    public static func problem(name: String, value: String) -> String? {
        guard let conf = rd_kafka_conf_new() else { return nil }
        defer { rd_kafka_conf_destroy(conf) }
        var errorText = [CChar](repeating: 0, count: 512)
        let result = rd_kafka_conf_set(conf, name, value, &errorText, errorText.count)
        switch result {
        case RD_KAFKA_CONF_OK: return nil
        case RD_KAFKA_CONF_UNKNOWN: return "unknown property"
        default: return String(errorBuffer: errorText)
        }
    }

    /// Every property name this librdkafka build knows.
    public static var propertyNames: [String] { LibrdkafkaProperties.names }
}
