import Foundation

/// Everything the Redis client needs: where the server is, how to authenticate, timeouts,
/// reconnect policy, pool size and the key namespace.
///
/// The defaults here are the documented defaults of `Config/resid.yaml`.
public struct RedisConfiguration: Sendable, Hashable {
    /// Where the server is. `.embedded` means the caller starts a private `redis-server`.
    public var endpoint: RedisEndpoint = .embedded
    /// The logical database selected after connecting.
    public var database = 0
    /// The ACL user name (Redis 6+); nil authenticates as `default` when a password is set.
    public var username: String?
    /// The password, from the environment or a file only. Never printed or logged.
    public var password: RedisPassword?
    /// The `{ns}` part of every key: `resid:{ns}:...`.
    public var namespace = "dev"
    /// Connections in the pool, each with its own thread.
    public var poolSize = 4
    /// How long a TCP or Unix-socket connect may take.
    public var connectTimeout: Duration = .seconds(1)
    /// How long one round trip (a whole pipeline's replies) may take.
    public var commandTimeout: Duration = .seconds(2)
    /// TCP keep-alive on the socket, so that a dead peer is noticed on idle connections.
    public var keepAlive = true
    /// The most commands sent in one pipelined round trip by batch operations.
    public var pipelineDepth = 64
    /// The most recent items kept in a user's prefix.
    public var prefixLength = 32
    /// Back-off between reconnect attempts.
    public var reconnect = ReconnectPolicy()

    /// The defaults.
    public init() {}

    /// The configuration keys this type reads, for validating a configuration source:
    /// any other key under `redis.` is a mistake.
    public static let keys: [String] = [
        "redis.url", "redis.namespace", "redis.poolSize", "redis.connectTimeoutMs",
        "redis.commandTimeoutMs", "redis.keepAlive", "redis.pipelineDepth", "redis.prefixLength",
        "redis.reconnect.initialDelayMs", "redis.reconnect.maxDelayMs", "redis.reconnect.giveUpAfterMs",
        "redis.passwordFile", "redis.password",
    ]

    /// Keys whose values are secrets: accepted from the environment only (never from the YAML
    /// file or the command line, where they would be stored or visible in `ps`).
    public static let secretKeys: Set<String> = ["redis.password"]
}

extension RedisConfiguration: CustomStringConvertible {
    /// A one-line summary for logs; the password shows only as present or absent.
    public var description: String {
        "redis \(endpoint) db=\(database) user=\(username ?? "-") password=\(password == nil ? "none" : "<redacted>") "
            + "ns=\(namespace) pool=\(poolSize) connectTimeout=\(connectTimeout) commandTimeout=\(commandTimeout)"
    }
}
