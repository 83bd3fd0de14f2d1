public import Configuration
public import Kafka

extension KafkaConfiguration {
    /// Reads the `kafka.*` keys.
    ///
    /// Keys (all optional; defaults in parentheses):
    /// - `kafka.bootstrap`: `embedded` or `host:port[,host:port...]` (`embedded`)
    /// - `kafka.clientId` (`resid`)
    /// - `kafka.consumer.groupId` (`resid`), `kafka.consumer.topics` (string list, empty),
    ///   `kafka.consumer.sessionTimeoutMs` (10000), `kafka.consumer.heartbeatIntervalMs` (1000),
    ///   `kafka.consumer.maxPollIntervalMs` (300000), `kafka.consumer.autoOffsetReset`
    ///   (`earliest` | `latest`), `kafka.consumer.pollBatchSize` (256),
    ///   `kafka.consumer.pollTimeoutMs` (100), `kafka.consumer.fetchWaitMaxMs` (500)
    /// - `kafka.producer.enableIdempotence` (true), `kafka.producer.acks` (`all` | `1` | `0`),
    ///   `kafka.producer.lingerMs` (0), `kafka.producer.compression`
    ///   (`none` | `gzip` | `snappy` | `lz4` | `zstd`), `kafka.producer.messageTimeoutMs` (30000),
    ///   `kafka.producer.queueMaxMessages` (100000)
    /// - `kafka.librdkafka.<property>`: any librdkafka property (for example
    ///   `kafka.librdkafka.security.protocol`), passed to both consumer and producer and applied
    ///   after the typed settings.
    ///
    /// - Parameter config: the root reader (this initialiser scopes it to `kafka`).
    /// - Throws: ``KafkaError`` `.invalidConfiguration` naming the key whose value has the
    ///   wrong type or is out of range.
    /// - Important: a `ConfigReader` cannot list its keys, so `kafka.librdkafka.*` keys are
    ///   looked up by the property names librdkafka itself reports; a misspelt property under
    ///   `kafka.librdkafka` is not seen at all. The typed ``KafkaConsumerConfiguration/librdkafka``
    ///   dictionary rejects unknown names.
    public init(config: ConfigReader) throws {
        let reader = KafkaConfigReader(config.scoped(to: "kafka"))

        let bootstrap: Bootstrap
        let bootstrapText = try reader.string("bootstrap") ?? "embedded"
        if bootstrapText == "embedded" {
            bootstrap = .embedded
        } else {
            bootstrap = .servers(try KafkaBrokerAddress.parseList(bootstrapText, key: "kafka.bootstrap"))
        }
        let servers: [KafkaBrokerAddress] = if case .servers(let list) = bootstrap { list } else { [] }
        let clientID = try reader.string("clientId") ?? "resid"

        var librdkafka: [String: String] = [:]
        for name in LibrdkafkaProperties.names {
            if let value = try reader.string("librdkafka.\(name)") {
                librdkafka[name] = value
            }
        }

        var consumer = KafkaConsumerConfiguration(
            bootstrapServers: servers,
            groupID: try reader.string("consumer.groupId") ?? "resid",
            topics: reader.stringArray("consumer.topics") ?? [])
        consumer.clientID = clientID
        if let ms = try reader.int("consumer.sessionTimeoutMs", in: 1...3_600_000) {
            consumer.sessionTimeout = .milliseconds(ms)
        }
        if let ms = try reader.int("consumer.heartbeatIntervalMs", in: 1...3_600_000) {
            consumer.heartbeatInterval = .milliseconds(ms)
        }
        if let ms = try reader.int("consumer.maxPollIntervalMs", in: 1...86_400_000) {
            consumer.maxPollInterval = .milliseconds(ms)
        }
        if let reset = try reader.choice(
            "consumer.autoOffsetReset", of: KafkaConsumerConfiguration.AutoOffsetReset.self)
        {
            consumer.autoOffsetReset = reset
        }
        if let size = try reader.int("consumer.pollBatchSize", in: 1...100_000) {
            consumer.pollBatchSize = size
        }
        if let ms = try reader.int("consumer.pollTimeoutMs", in: 1...60_000) {
            consumer.pollTimeout = .milliseconds(ms)
        }
        if let ms = try reader.int("consumer.fetchWaitMaxMs", in: 0...300_000) {
            consumer.fetchWaitMax = .milliseconds(ms)
        }
        consumer.librdkafka = librdkafka

        var producer = KafkaProducerConfiguration(bootstrapServers: servers)
        producer.clientID = clientID
        if let enabled = try reader.bool("producer.enableIdempotence") {
            producer.enableIdempotence = enabled
        }
        if let acks = try reader.choice("producer.acks", of: KafkaProducerConfiguration.Acks.self) {
            producer.acks = acks
        }
        if let ms = try reader.int("producer.lingerMs", in: 0...900_000) {
            producer.linger = .milliseconds(ms)
        }
        if let codec = try reader.choice("producer.compression", of: KafkaProducerConfiguration.Compression.self) {
            producer.compression = codec
        }
        if let ms = try reader.int("producer.messageTimeoutMs", in: 1...2_147_483_647) {
            producer.messageTimeout = .milliseconds(ms)
        }
        if let count = try reader.int("producer.queueMaxMessages", in: 1...2_147_483_647) {
            producer.queueMaxMessages = count
        }
        producer.librdkafka = librdkafka

        self.init(bootstrap: bootstrap, consumer: consumer, producer: producer)
    }
}

/// Typed reads that fail naming the key when a value is present but has the wrong type;
/// `ConfigReader`'s optional getters would silently return `nil` instead.
private struct KafkaConfigReader {
    let reader: ConfigReader

    init(_ reader: ConfigReader) { self.reader = reader }

    func string(_ key: String) throws -> String? {
        if let text = reader.string(forKey: ConfigKey(key)) { return text }
        if let number = reader.int(forKey: ConfigKey(key)) { return "\(number)" }
        if let flag = reader.bool(forKey: ConfigKey(key)) { return "\(flag)" }
        if let number = reader.double(forKey: ConfigKey(key)) { return "\(number)" }
        return nil
    }

    func stringArray(_ key: String) -> [String]? {
        reader.stringArray(forKey: ConfigKey(key))
    }

    func int(_ key: String, in range: ClosedRange<Int>) throws -> Int? {
        let value: Int
        if let number = reader.int(forKey: ConfigKey(key)) {
            value = number
        } else if let text = reader.string(forKey: ConfigKey(key)) {
            guard let number = Int(text) else {
                throw KafkaError.invalidConfiguration(key: "kafka.\(key)", "expected an integer, got '\(text)'")
            }
            value = number
        } else {
            return nil
        }
        guard range.contains(value) else {
            throw KafkaError.invalidConfiguration(
                key: "kafka.\(key)", "\(value) is out of range \(range.lowerBound)...\(range.upperBound)")
        }
        return value
    }

    func bool(_ key: String) throws -> Bool? {
        if let flag = reader.bool(forKey: ConfigKey(key)) { return flag }
        guard let text = reader.string(forKey: ConfigKey(key)) else { return nil }
        switch text.lowercased() {
        case "true", "yes", "1": return true
        case "false", "no", "0": return false
        default:
            throw KafkaError.invalidConfiguration(key: "kafka.\(key)", "expected true or false, got '\(text)'")
        }
    }

    func choice<T: RawRepresentable & CaseIterable>(_ key: String, of type: T.Type) throws -> T?
    where T.RawValue == String {
        guard let text = try string(key) else { return nil }
        guard let value = T(rawValue: text) else {
            let allowed = T.allCases.map(\.rawValue).joined(separator: ", ")
            throw KafkaError.invalidConfiguration(key: "kafka.\(key)", "'\(text)' is not one of: \(allowed)")
        }
        return value
    }
}
