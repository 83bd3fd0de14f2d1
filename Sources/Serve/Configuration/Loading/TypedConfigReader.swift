import Configuration
import Redis

/// Reads typed `redis.*` values and tells "absent" from "present but of the wrong type".
///
/// `ConfigReader`'s optional getters return nil for both; a value that cannot be converted would
/// then silently fall back to the default. Re-reading the key as a string tells the two apart,
/// so a wrong value fails with a message naming the key, the value and the expected type.
struct TypedConfigReader {
    let config: ConfigReader

    func string(_ key: String, isSecret: Bool = false) -> String? {
        config.string(forKey: ConfigKey(key), isSecret: isSecret)
    }

    func int(_ key: String, in range: ClosedRange<Int>) throws(RedisError) -> Int? {
        guard let value = config.int(forKey: ConfigKey(key)) else {
            try requireAbsent(key, expected: "an integer")
            return nil
        }
        guard range.contains(value) else {
            throw RedisError(
                .invalidConfiguration,
                "\(key): \(value) is outside \(range.lowerBound)...\(range.upperBound); set a value in that range")
        }
        return value
    }

    func bool(_ key: String) throws(RedisError) -> Bool? {
        guard let value = config.bool(forKey: ConfigKey(key)) else {
            try requireAbsent(key, expected: "true or false")
            return nil
        }
        return value
    }

    func milliseconds(_ key: String, in range: ClosedRange<Int>) throws(RedisError) -> Duration? {
        try int(key, in: range).map { .milliseconds($0) }
    }

    private func requireAbsent(_ key: String, expected: String) throws(RedisError) {
        if let raw = config.string(forKey: ConfigKey(key)) {
            throw RedisError(.invalidConfiguration, "\(key): expected \(expected), found `\(raw)`; fix the value")
        }
    }
}
