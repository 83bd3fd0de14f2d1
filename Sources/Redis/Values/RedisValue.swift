/// One RESP2 reply, copied out of hiredis before its `redisReply` is freed.
public enum RedisValue: Sendable, Hashable {
    /// `+OK`: a status line.
    case status(String)
    /// `$n ...`: a bulk string, binary-safe.
    case bulkString([UInt8])
    /// `:n`: an integer.
    case integer(Int64)
    /// `*n ...`: an array of replies.
    case array([RedisValue])
    /// `$-1` or `*-1`: the null reply.
    case null
    /// `-ERR ...`: an error reply. Pipelines return these in place; single commands throw them.
    case error(String)

    /// The value as text: a status, or a bulk string decoded as UTF-8 (invalid bytes repaired).
    public var string: String? {
        switch self {
        case .status(let text): text
        case .bulkString(let bytes): String(decoding: bytes, as: UTF8.self)
        default: nil
        }
    }

    /// The value as an integer: an integer reply, or a bulk string holding a decimal integer.
    public var integer: Int64? {
        switch self {
        case .integer(let value): value
        case .bulkString(let bytes): Int64(String(decoding: bytes, as: UTF8.self))
        default: nil
        }
    }

    /// The elements of an array reply.
    public var array: [RedisValue]? {
        if case .array(let elements) = self { return elements }
        return nil
    }

    /// The message of an error reply.
    public var errorMessage: String? {
        if case .error(let message) = self { return message }
        return nil
    }

    /// True for the null reply.
    public var isNull: Bool { self == .null }
}

extension RedisValue: CustomStringConvertible {
    public var description: String {
        switch self {
        case .status(let text): "+\(text)"
        case .bulkString(let bytes): "\"\(String(decoding: bytes, as: UTF8.self))\""
        case .integer(let value): ":\(value)"
        case .array(let elements): "[" + elements.map(\.description).joined(separator: ", ") + "]"
        case .null: "(nil)"
        case .error(let message): "-\(message)"
        }
    }
}
