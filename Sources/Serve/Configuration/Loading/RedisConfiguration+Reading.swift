public import Configuration
import Foundation
public import Redis

extension RedisConfiguration {
    /// Reads the configuration; keys that are absent keep their defaults.
    ///
    /// Keys (see `Config/resid.yaml` for the documented defaults):
    /// - `redis.url` (string): `embedded`, `redis://[user@]host[:port][/db]` or `unix:///path`.
    /// - `redis.namespace` (string): the `{ns}` in `resid:{ns}:...`; letters, digits, `-`, `_`.
    /// - `redis.poolSize` (int, 1...256), `redis.pipelineDepth` (int, 1...100000),
    ///   `redis.prefixLength` (int, 1...1024).
    /// - `redis.connectTimeoutMs`, `redis.commandTimeoutMs` (int, milliseconds, > 0).
    /// - `redis.keepAlive` (bool).
    /// - `redis.reconnect.initialDelayMs`, `.maxDelayMs`, `.giveUpAfterMs` (int, milliseconds).
    /// - `redis.password` (secret string; environment variable `RESID_REDIS_PASSWORD` only) or
    ///   `redis.passwordFile` (path of a file holding the password; one trailing newline is dropped).
    ///
    /// - Parameter config: A reader at the root of the configuration (keys start with `redis.`).
    /// - Throws: ``RedisError/Code/invalidConfiguration`` naming the key, the problem and the fix.
    public init(config: ConfigReader) throws(RedisError) {
        self.init()
        let read = TypedConfigReader(config: config)
        let parsed = try RedisEndpoint.parse(read.string("redis.url") ?? "embedded")
        endpoint = parsed.endpoint
        username = parsed.username
        database = parsed.database

        if let ns = read.string("redis.namespace") {
            let allowed = ns.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-" || $0 == "_") }
            guard !ns.isEmpty, ns.count <= 64, allowed else {
                throw RedisError(
                    .invalidConfiguration,
                    "redis.namespace: `\(ns)` must be 1 to 64 ASCII letters, digits, `-` or `_` "
                        + "(it becomes part of every key, so `:` and spaces are not allowed)")
            }
            namespace = ns
        }
        poolSize = try read.int("redis.poolSize", in: 1...256) ?? poolSize
        pipelineDepth = try read.int("redis.pipelineDepth", in: 1...100_000) ?? pipelineDepth
        prefixLength = try read.int("redis.prefixLength", in: 1...1024) ?? prefixLength
        keepAlive = try read.bool("redis.keepAlive") ?? keepAlive
        let day = 86_400_000
        connectTimeout = try read.milliseconds("redis.connectTimeoutMs", in: 1...day) ?? connectTimeout
        commandTimeout = try read.milliseconds("redis.commandTimeoutMs", in: 1...day) ?? commandTimeout
        reconnect.initialDelay =
            try read.milliseconds("redis.reconnect.initialDelayMs", in: 1...day) ?? reconnect.initialDelay
        reconnect.maxDelay = try read.milliseconds("redis.reconnect.maxDelayMs", in: 1...day) ?? reconnect.maxDelay
        reconnect.giveUpAfter =
            try read.milliseconds("redis.reconnect.giveUpAfterMs", in: 0...day) ?? reconnect.giveUpAfter
        guard reconnect.maxDelay >= reconnect.initialDelay else {
            throw RedisError(
                .invalidConfiguration,
                "redis.reconnect.maxDelayMs (\(reconnect.maxDelay)) is below redis.reconnect.initialDelayMs "
                    + "(\(reconnect.initialDelay)); raise maxDelayMs or lower initialDelayMs")
        }
        password = try Self.readPassword(read)
    }

    private static func readPassword(_ read: TypedConfigReader) throws(RedisError) -> RedisPassword? {
        let inline = read.string("redis.password", isSecret: true)
        let file = read.string("redis.passwordFile")
        switch (inline, file) {
        case (.some, .some):
            throw RedisError(
                .invalidConfiguration,
                "redis.password (RESID_REDIS_PASSWORD) and redis.passwordFile are both set; keep one")
        case (.some(let value), nil):
            return RedisPassword(value)
        case (nil, .some(let path)):
            guard let data = FileManager.default.contents(atPath: path) else {
                throw RedisError(
                    .invalidConfiguration,
                    "redis.passwordFile: cannot read `\(path)`; check the path and that this user may read it")
            }
            var text = String(decoding: data, as: UTF8.self)
            if text.hasSuffix("\r\n") { text.removeLast(2) } else if text.hasSuffix("\n") { text.removeLast() }
            guard !text.isEmpty else {
                throw RedisError(.invalidConfiguration, "redis.passwordFile: `\(path)` is empty")
            }
            return RedisPassword(text)
        case (nil, nil):
            return nil
        }
    }
}
