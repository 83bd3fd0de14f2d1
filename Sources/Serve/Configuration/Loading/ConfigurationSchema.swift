import Kafka
import Redis

/// Every configuration key the components read, and how each one is spelled in the
/// environment and on the command line.
///
/// A component registers its keys here (one line); the loader rejects any other key, so a typo
/// fails loudly instead of silently leaving a default in place.
struct ConfigurationSchema: Sendable {
    /// Full dotted keys, e.g. `redis.poolSize`.
    let keys: Set<String>
    /// Keys that hold secrets: accepted from the environment only.
    let secretKeys: Set<String>
    /// Prefixes under which any key is accepted and passed through (e.g. librdkafka settings).
    let openPrefixes: [String]
    /// Keys that take a list (a YAML sequence, or comma-separated in a variable or flag).
    var listKeys: Set<String> = []

    /// The schema of the `resid` binary.
    static let resid = ConfigurationSchema(
        keys: Set(RedisConfiguration.keys + kafkaKeys + ServeConfiguration.keys),
        secretKeys: RedisConfiguration.secretKeys,
        openPrefixes: ["kafka.librdkafka."],
        listKeys: Set(["kafka.consumer.topics"]).union(ServeConfiguration.listKeys)
    )

    /// The keys ``KafkaConfiguration/init(config:)`` reads (its documentation lists them), apart
    /// from the `kafka.librdkafka.*` pass-through.
    static let kafkaKeys = [
        "kafka.bootstrap", "kafka.clientId",
        "kafka.consumer.groupId", "kafka.consumer.topics", "kafka.consumer.sessionTimeoutMs",
        "kafka.consumer.heartbeatIntervalMs", "kafka.consumer.maxPollIntervalMs", "kafka.consumer.autoOffsetReset",
        "kafka.consumer.pollBatchSize", "kafka.consumer.pollTimeoutMs", "kafka.consumer.fetchWaitMaxMs",
        "kafka.producer.enableIdempotence", "kafka.producer.acks", "kafka.producer.lingerMs",
        "kafka.producer.compression", "kafka.producer.messageTimeoutMs", "kafka.producer.queueMaxMessages",
    ]

    /// True for a secret: a listed secret key, or a pass-through key naming a password or
    /// secret (`kafka.librdkafka.sasl.password`, `...ssl.key.password`, `...client.secret`).
    func isSecret(_ key: String) -> Bool {
        if secretKeys.contains(key) { return true }
        let lowered = key.lowercased()
        return openPrefixes.contains { key.hasPrefix($0) }
            && (lowered.contains("password") || lowered.contains("secret"))
    }

    /// Environment variables start with this, so that unrelated variables (a `REDIS_URL` set
    /// for another program) never leak in, and every `RESID_*` variable can be checked.
    static let environmentPrefix = "RESID_"
    /// The environment variable naming the configuration file.
    static let configFileVariable = "RESID_CONFIG"
    /// `RESID_*` variables that are not configuration keys but belong to the process: the
    /// configuration file itself, OpenBLAS threads (`--blas-threads`) and the data/bundle cache.
    static let processVariables: Set<String> = [configFileVariable, "RESID_BLAS_THREADS", "RESID_CACHE"]

    /// True if `key` is a known key or lies under an open prefix.
    func accepts(_ key: String) -> Bool {
        keys.contains(key) || openPrefixes.contains { key.hasPrefix($0) }
    }

    /// True if `key` is a proper prefix of a known key (a section such as `redis.reconnect`).
    func isSection(_ key: String) -> Bool {
        let prefix = key + "."
        return keys.contains { $0.hasPrefix(prefix) } || openPrefixes.contains { $0.hasPrefix(prefix) || $0 == prefix }
    }

    /// `redis.poolSize` -> `RESID_REDIS_POOL_SIZE`, as swift-configuration's environment
    /// provider spells it (camelCase boundaries become `_`, other punctuation `_`, upper case).
    static func environmentName(_ key: String) -> String {
        environmentPrefix
            + key.split(separator: ".").map { component in
                var out = ""
                var previous: Character?
                for character in component {
                    if let previous, previous.isLowercase, character.isUppercase { out.append("_") }
                    out.append(character.isLetter || character.isNumber ? Character(character.uppercased()) : "_")
                    previous = character
                }
                return out
            }.joined(separator: "_")
    }

    /// `redis.poolSize` -> `--redis-pool-size`, as swift-configuration's command-line provider
    /// spells it.
    static func flagName(_ key: String) -> String {
        "--"
            + key.split(separator: ".").map { component in
                var out = ""
                var previous: Character?
                for character in component {
                    if let previous, previous.isLowercase, character.isUppercase { out.append("-") }
                    out.append(contentsOf: character.lowercased())
                    previous = character
                }
                return out
            }.joined(separator: "-")
    }

    /// The known key whose spelling (`spell(key)`: the key itself, its variable or its flag)
    /// is closest to `written`: equal ignoring case, or within two edits.
    func suggestion(for written: String, spelledAs spell: (String) -> String = { $0 }) -> String? {
        let target = written.lowercased()
        var best: (key: String, distance: Int)?
        for candidate in keys.sorted() {
            let distance = Self.editDistance(target, spell(candidate).lowercased())
            if distance <= 2, distance < (best?.distance ?? .max) { best = (candidate, distance) }
        }
        return best?.key
    }

    private static func editDistance(_ a: String, _ b: String) -> Int {
        let a = Array(a)
        let b = Array(b)
        guard !a.isEmpty else { return b.count }
        guard !b.isEmpty else { return a.count }
        var previous = Array(0...b.count)
        var current = previous
        for i in 1...a.count {
            current[0] = i
            for j in 1...b.count {
                current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1))
            }
            swap(&previous, &current)
        }
        return previous[b.count]
    }
}
