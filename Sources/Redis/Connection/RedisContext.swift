import CHiredis
import Foundation

/// Owns one hiredis `redisContext`: a blocking socket to one server.
///
/// Single-owner and not thread-safe (hiredis contexts are not): a ``RedisConnection`` keeps its
/// context confined to its own thread. Once hiredis reports an error the context is unusable;
/// the connection drops it and connects a new one.
final class RedisContext {
    private let handle: UnsafeMutablePointer<redisContext>
    /// Reused argv scratch for `redisAppendCommandArgv`, so appending allocates nothing here.
    private var argv: UnsafeMutablePointer<UnsafePointer<CChar>?>
    private var argvLengths: UnsafeMutablePointer<Int>
    private var argvCapacity = 16

    /// Connects and applies the command timeout and keep-alive.
    /// - Throws: ``RedisError/Code/connectionFailed`` (retriable) when the server cannot be reached.
    init(
        endpoint: RedisEndpoint, connectTimeout: Duration, commandTimeout: Duration, keepAlive: Bool
    )
        throws(RedisError)
    {
        let connectTV = Self.timeval(connectTimeout)
        let context: UnsafeMutablePointer<redisContext>?
        switch endpoint {
        case .tcp(let host, let port):
            context = redisConnectWithTimeout(host, Int32(port), connectTV)
        case .unix(let path):
            context = redisConnectUnixWithTimeout(path, connectTV)
        case .embedded:
            throw RedisError(
                .invalidConfiguration,
                "redis.url is `embedded`: start the private server first and connect to its address")
        }
        guard let context else { throw RedisError(.outOfMemory, "hiredis could not allocate a context") }
        if context.pointee.err != 0 {
            let error = Self.error(of: context, while: "connecting to \(endpoint)", connecting: true)
            redisFree(context)
            throw error
        }
        handle = context
        argv = .allocate(capacity: argvCapacity)
        argvLengths = .allocate(capacity: argvCapacity)
        // The command timeout is a socket option (SO_RCVTIMEO/SO_SNDTIMEO) of this socket, so it
        // must be applied to every new socket: a reconnect creates a fresh context and comes here.
        guard redisSetTimeout(handle, Self.timeval(commandTimeout)) == REDIS_OK else {
            throw Self.error(of: handle, while: "setting the command timeout")
        }
        if keepAlive, redisEnableKeepAlive(handle) != REDIS_OK {
            throw Self.error(of: handle, while: "enabling TCP keep-alive")
        }
    }

    deinit {
        redisFree(handle)
        argv.deallocate()
        argvLengths.deallocate()
    }

    /// Queues a command in hiredis' output buffer; nothing is sent until ``readReply()``.
    func append(_ command: RedisCommand) throws(RedisError) {
        let count = command.count
        if count > argvCapacity {
            argv.deallocate()
            argvLengths.deallocate()
            argvCapacity = max(count, argvCapacity * 2)
            argv = .allocate(capacity: argvCapacity)
            argvLengths = .allocate(capacity: argvCapacity)
        }
        let status = command.bytes.withUnsafeBufferPointer { buffer -> Int32 in
            // Only arguments of length zero can leave the buffer without storage; hiredis reads
            // zero bytes from their pointer, so any valid address serves.
            let base = (buffer.baseAddress.map(UnsafeRawPointer.init) ?? UnsafeRawPointer(argvLengths))
                .assumingMemoryBound(to: CChar.self)
            var start = 0
            for (index, end) in command.ends.enumerated() {
                argv[index] = base + start
                argvLengths[index] = end - start
                start = end
            }
            return redisAppendCommandArgv(handle, Int32(count), argv, argvLengths)
        }
        guard status == REDIS_OK else { throw Self.error(of: handle, while: "queueing \(command.name)") }
    }

    /// Sends whatever is queued (first call) and reads the next reply, blocking up to the command
    /// timeout.
    func readReply() throws(RedisError) -> RedisValue {
        var raw: UnsafeMutableRawPointer?
        guard redisGetReply(handle, &raw) == REDIS_OK, let raw else {
            throw Self.error(of: handle, while: "reading a reply")
        }
        defer { freeReplyObject(raw) }
        return RedisValue(copying: raw.assumingMemoryBound(to: redisReply.self))
    }

    private static func timeval(_ duration: Duration) -> Glibc.timeval {
        let (seconds, attoseconds) = duration.components
        return Glibc.timeval(tv_sec: Int(seconds), tv_usec: Int(attoseconds / 1_000_000_000_000))
    }

    /// Turns the context's error state into a ``RedisError``; reads `errno` at once, before any
    /// other call can overwrite it.
    private static func error(
        of context: UnsafeMutablePointer<redisContext>, while action: String, connecting: Bool = false
    ) -> RedisError {
        let osError = errno
        let code = context.pointee.err
        let text = withUnsafeBytes(of: context.pointee.errstr) { buffer in
            String(decoding: buffer.prefix { $0 != 0 }, as: UTF8.self)
        }
        let message = "\(action): \(text.isEmpty ? "unknown error" : text)"
        switch code {
        case REDIS_ERR_IO where osError == EAGAIN || osError == EWOULDBLOCK || osError == ETIMEDOUT:
            return RedisError(connecting ? .connectionFailed : .timeout, message + " (timed out)", underlyingCode: code)
        case REDIS_ERR_IO, REDIS_ERR_OTHER:
            return RedisError(connecting ? .connectionFailed : .io, message, underlyingCode: code)
        case REDIS_ERR_EOF:
            return RedisError(.connectionClosed, message, underlyingCode: code)
        case REDIS_ERR_PROTOCOL:
            return RedisError(.protocolError, message, underlyingCode: code, isRetriable: true)
        case REDIS_ERR_OOM:
            return RedisError(.outOfMemory, message, underlyingCode: code)
        default:
            return RedisError(connecting ? .connectionFailed : .io, message, underlyingCode: code)
        }
    }
}
