/// Where the Redis server is: parsed from `redis.url`.
public enum RedisEndpoint: Sendable, Hashable, CustomStringConvertible {
    /// `embedded`: the caller starts a private `redis-server` and substitutes its address.
    case embedded
    /// `redis://[username@]host[:port][/database]`.
    case tcp(host: String, port: Int)
    /// `unix:///path/to/redis.sock`.
    case unix(path: String)

    public var description: String {
        switch self {
        case .embedded: "embedded"
        case .tcp(let host, let port): "redis://\(host):\(port)"
        case .unix(let path): "unix://\(path)"
        }
    }

    /// The parts of a parsed `redis.url`.
    public struct Parsed: Equatable, Sendable {
        public var endpoint: RedisEndpoint
        public var username: String?
        public var database: Int
    }

    /// Parses `redis.url`.
    /// - Throws: ``RedisError/Code/invalidConfiguration`` naming the key and the accepted forms;
    ///   a password in the URL is refused so that it cannot end up in a file or a log line.
    public static func parse(_ url: String, key: String = "redis.url") throws(RedisError) -> Parsed {
        let forms = "use `embedded`, `redis://host:port/db` or `unix:///path/to/socket`"
        func fail(_ why: String) -> RedisError {
            RedisError(.invalidConfiguration, "\(key): \(why); \(forms)")
        }
        if url == "embedded" { return Parsed(endpoint: .embedded, username: nil, database: 0) }
        if url.hasPrefix("unix://") {
            let path = String(url.dropFirst("unix://".count))
            guard path.hasPrefix("/") else { throw fail("the socket path `\(path)` is not absolute") }
            return Parsed(endpoint: .unix(path: path), username: nil, database: 0)
        }
        guard url.hasPrefix("redis://") else { throw fail("`\(url)` has an unknown scheme") }
        var rest = Substring(url.dropFirst("redis://".count))
        var username: String?
        if let at = rest.lastIndex(of: "@") {
            let userInfo = rest[..<at]
            if userInfo.contains(":") {
                throw RedisError(
                    .invalidConfiguration,
                    "\(key) contains a password; remove it from the URL and set the environment variable "
                        + "RESID_REDIS_PASSWORD or the key redis.passwordFile instead")
            }
            username = userInfo.isEmpty ? nil : String(userInfo)
            rest = rest[rest.index(after: at)...]
        }
        var database = 0
        if let slash = rest.firstIndex(of: "/") {
            let path = rest[rest.index(after: slash)...]
            if !path.isEmpty {
                guard let number = Int(path), number >= 0 else {
                    throw fail("the database `\(path)` is not a non-negative integer")
                }
                database = number
            }
            rest = rest[..<slash]
        }
        var host = String(rest)
        var port = 6379
        if rest.hasPrefix("[") {
            // IPv6 literal: [::1]:6379
            guard let close = rest.firstIndex(of: "]") else { throw fail("unclosed `[` in the host") }
            host = String(rest[rest.index(after: rest.startIndex)..<close])
            let after = rest[rest.index(after: close)...]
            if after.hasPrefix(":") {
                guard let number = Int(after.dropFirst()) else {
                    throw fail("the port `\(after.dropFirst())` is not a number")
                }
                port = number
            }
        } else if let colon = rest.lastIndex(of: ":") {
            host = String(rest[..<colon])
            guard let number = Int(rest[rest.index(after: colon)...]) else {
                throw fail("the port `\(rest[rest.index(after: colon)...])` is not a number")
            }
            port = number
        }
        guard !host.isEmpty else { throw fail("the host is empty") }
        guard (1...65535).contains(port) else { throw fail("the port \(port) is outside 1...65535") }
        return Parsed(endpoint: .tcp(host: host, port: port), username: username, database: database)
    }
}
