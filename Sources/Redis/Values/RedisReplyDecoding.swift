import CHiredis

extension RedisValue {
    /// Copies a hiredis reply tree into Swift values. The caller still owns (and frees) `reply`.
    ///
    /// Nesting is bounded by hiredis' reader (7 levels), so the recursion is shallow.
    init(copying reply: UnsafePointer<redisReply>) {
        let r = reply.pointee
        switch r.type {
        case REDIS_REPLY_STRING:
            self = .bulkString(Self.bytes(r.str, r.len))
        case REDIS_REPLY_STATUS:
            self = .status(String(decoding: Self.bytes(r.str, r.len), as: UTF8.self))
        case REDIS_REPLY_ERROR:
            self = .error(String(decoding: Self.bytes(r.str, r.len), as: UTF8.self))
        case REDIS_REPLY_INTEGER:
            self = .integer(Int64(r.integer))
        case REDIS_REPLY_ARRAY:
            var elements: [RedisValue] = []
            elements.reserveCapacity(r.elements)
            if let children = r.element {
                for index in 0..<r.elements {
                    if let child = children[index] {
                        elements.append(RedisValue(copying: child))
                    } else {
                        elements.append(.null)
                    }
                }
            }
            self = .array(elements)
        default:
            // REDIS_REPLY_NIL, and any type a newer hiredis might add: RESP2 has nothing else.
            self = .null
        }
    }

    private static func bytes(_ pointer: UnsafeMutablePointer<CChar>?, _ count: Int) -> [UInt8] {
        guard let pointer, count > 0 else { return [] }
        return pointer.withMemoryRebound(to: UInt8.self, capacity: count) {
            Array(UnsafeBufferPointer(start: $0, count: count))
        }
    }

    /// Parses complete RESP2 replies from `bytes` with hiredis' own reader, without a socket.
    ///
    /// The connection never needs this (hiredis reads the socket itself); it exists so that the
    /// reply conversion can be tested without starting a server.
    /// - Throws: ``RedisError/Code/protocolError`` when the bytes are not valid RESP, and
    ///   ``RedisError/Code/unexpectedReply`` when they end in the middle of a reply.
    static func parseReplies(_ bytes: [UInt8]) throws(RedisError) -> [RedisValue] {
        guard let reader = redisReaderCreate() else {
            throw RedisError(.outOfMemory, "could not create a hiredis reader")
        }
        defer { redisReaderFree(reader) }
        let fed = bytes.withUnsafeBufferPointer { buffer in
            buffer.withMemoryRebound(to: CChar.self) { chars in
                redisReaderFeed(reader, chars.baseAddress, chars.count)
            }
        }
        guard fed == REDIS_OK else { throw RedisError(.outOfMemory, "hiredis reader feed failed") }
        var values: [RedisValue] = []
        while true {
            var raw: UnsafeMutableRawPointer?
            guard redisReaderGetReply(reader, &raw) == REDIS_OK else {
                let message = withUnsafeBytes(of: reader.pointee.errstr) { buffer in
                    String(decoding: buffer.prefix { $0 != 0 }, as: UTF8.self)
                }
                throw RedisError(.protocolError, "invalid RESP: \(message)", underlyingCode: reader.pointee.err)
            }
            guard let raw else { break }
            let reply = raw.assumingMemoryBound(to: redisReply.self)
            values.append(RedisValue(copying: reply))
            freeReplyObject(raw)
        }
        if reader.pointee.pos < reader.pointee.len {
            throw RedisError(.unexpectedReply, "input ends inside a reply")
        }
        return values
    }
}
