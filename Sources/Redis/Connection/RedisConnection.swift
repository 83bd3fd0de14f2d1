import Foundation
public import Logging

/// One connection to a Redis server, with its own thread.
///
/// The hiredis context inside is single-owner: this actor is its only owner, and the actor runs
/// on a dedicated thread (``RedisThreadExecutor``), so every blocking round trip and every
/// reconnect back-off sleep happens off Swift's cooperative thread pool. For parallel use take
/// connections from a ``RedisConnectionPool``, which lends each one to one task at a time.
///
/// Failure model: when a round trip fails (I/O error, timeout, server gone) the context is
/// dropped and the error is thrown, marked retriable. The next call reconnects, with capped
/// exponential back-off (``ReconnectPolicy``), re-applying the command timeout, keep-alive,
/// `AUTH` and `SELECT`. Whether a failed command ran on the server is unknown, so only
/// idempotent work (both ReSID scripts are) may simply be retried.
public actor RedisConnection {
    /// The configuration this connection was made with.
    public nonisolated let configuration: RedisConfiguration
    private let executor: RedisThreadExecutor
    private var context: RedisContext?
    /// Script SHA-1s by script name, learned from `SCRIPT LOAD`. They stay valid across
    /// reconnects: a server that lost its scripts answers `NOSCRIPT` and the script is reloaded.
    private var scriptSHAs: [String: String] = [:]
    private var logger: Logger
    /// Successful connects, the first one included.
    public private(set) var connectCount = 0

    /// Runs the actor's code on the connection's own thread.
    public nonisolated var unownedExecutor: UnownedSerialExecutor {
        executor.asUnownedSerialExecutor()
    }

    /// Creates a connection; it connects on first use (or on ``connect()``).
    /// - Parameters:
    ///   - configuration: Endpoint, credentials, timeouts and reconnect policy.
    ///   - name: The thread name (at most 15 bytes are kept).
    ///   - logger: Receives connect and reconnect events at debug/info; never a password.
    public init(configuration: RedisConfiguration, name: String = "resid-redis", logger: Logger? = nil) {
        self.configuration = configuration
        self.executor = RedisThreadExecutor(name: name)
        var logger = logger ?? Logger(label: "resid.redis")
        logger[metadataKey: RedisLogKey.endpoint] = "\(configuration.endpoint)"
        self.logger = logger
    }

    deinit {
        executor.shutdown()
    }

    /// Connects now (if not connected), with the reconnect back-off.
    /// - Throws: ``RedisError`` (retriable `connectionFailed` when the server stays unreachable
    ///   for `reconnect.giveUpAfter`).
    public func connect() throws(RedisError) {
        _ = try ensureContext()
    }

    /// Closes the socket. The next call connects again.
    public func close() {
        context = nil
    }

    /// Sends one command and waits for its reply.
    /// - Throws: ``RedisError``; an error reply from the server becomes `serverError`.
    public func command(_ command: RedisCommand) throws(RedisError) -> RedisValue {
        let reply = try roundTrip(CollectionOfOne(command))[0]
        if case .error(let message) = reply { throw Self.serverError(message, command: command.name) }
        return reply
    }

    /// Sends the commands back to back, then reads their replies: one round trip for all.
    ///
    /// - Returns: One reply per command, in order. Error replies stay in place as
    ///   ``RedisValue/error(_:)`` so one failing command does not hide the others' results.
    /// - Throws: ``RedisError`` for connection failures; which commands then ran is unknown.
    public func pipeline(_ commands: [RedisCommand]) throws(RedisError) -> [RedisValue] {
        try roundTrip(commands)
    }

    /// Runs a script once by SHA, loading it first if this connection has not yet.
    /// - Throws: ``RedisError``; an error reply (including a Lua `error_reply`) becomes `serverError`.
    public func evalScript(
        _ script: RedisScript, keys: [String], arguments: [String]
    ) throws(RedisError)
        -> RedisValue
    {
        let reply = try pipelineScript(script, calls: [RedisScript.Call(keys: keys, arguments: arguments)])[0]
        if case .error(let message) = reply { throw Self.serverError(message, command: "EVALSHA \(script.name)") }
        return reply
    }

    /// Runs a script for every call in one pipelined round trip.
    ///
    /// Calls answered `NOSCRIPT` are re-sent, in order, after reloading the script; calls that
    /// ran are not re-sent. (They can only be interleaved if another client loaded the script in
    /// the middle of this pipeline, after a `SCRIPT FLUSH`.)
    /// - Returns: One reply per call, error replies in place.
    public func pipelineScript(_ script: RedisScript, calls: [RedisScript.Call]) throws(RedisError) -> [RedisValue] {
        let sha = try scriptSHA(script)
        var replies = try roundTrip(calls.map { script.evalSHACommand(sha: sha, call: $0) })
        let missing = replies.indices.filter { replies[$0].errorMessage?.hasPrefix("NOSCRIPT") == true }
        guard !missing.isEmpty else { return replies }
        logger.info("script missing on the server, reloading", metadata: [RedisLogKey.script: "\(script.name)"])
        let reloaded = try loadScript(script)
        let retried = try roundTrip(missing.map { script.evalSHACommand(sha: reloaded, call: calls[$0]) })
        for (index, reply) in zip(missing, retried) {
            if reply.errorMessage?.hasPrefix("NOSCRIPT") == true {
                throw RedisError(.noScript, "script \(script.name) is still missing right after SCRIPT LOAD")
            }
            replies[index] = reply
        }
        return replies
    }

    /// Runs a script for many calls, `pipelineDepth` calls per round trip, decoding each reply.
    public func runInChunks<T>(
        _ script: RedisScript, calls: [RedisScript.Call], decode: (RedisValue) throws(RedisError) -> T
    ) throws(RedisError) -> [T] {
        var results: [T] = []
        results.reserveCapacity(calls.count)
        var start = 0
        while start < calls.count {
            let end = min(start + configuration.pipelineDepth, calls.count)
            for reply in try pipelineScript(script, calls: Array(calls[start..<end])) {
                results.append(try decode(reply))
            }
            start = end
        }
        return results
    }

    // MARK: - Internals

    private func scriptSHA(_ script: RedisScript) throws(RedisError) -> String {
        if let sha = scriptSHAs[script.name] { return sha }
        return try loadScript(script)
    }

    private func loadScript(_ script: RedisScript) throws(RedisError) -> String {
        let reply = try command(RedisCommand("SCRIPT", "LOAD", script.source))
        guard let sha = reply.string, sha.count == 40 else {
            throw RedisError(.unexpectedReply, "SCRIPT LOAD \(script.name) answered \(reply), not a SHA-1")
        }
        scriptSHAs[script.name] = sha
        return sha
    }

    private func roundTrip(_ commands: some Collection<RedisCommand>) throws(RedisError) -> [RedisValue] {
        guard !commands.isEmpty else { return [] }
        let context = try ensureContext()
        var replies: [RedisValue] = []
        replies.reserveCapacity(commands.count)
        do throws(RedisError) {
            for command in commands {
                guard command.count > 0 else {
                    throw RedisError(.invalidArgument, "an empty command (no name) cannot be sent")
                }
                try context.append(command)
            }
            for _ in 0..<commands.count { replies.append(try context.readReply()) }
            return replies
        } catch {
            // hiredis contexts are unusable after an error; queued output would also be sent on
            // the next call, so drop the context either way.
            self.context = nil
            guard error.code != .invalidArgument else { throw error }
            var failure = error
            if commands.count > 1 {
                failure.message +=
                    " (pipeline of \(commands.count) commands, \(replies.count) replies read; "
                    + "the others may or may not have run)"
            }
            throw failure
        }
    }

    private func ensureContext() throws(RedisError) -> RedisContext {
        if let context { return context }
        let clock = ContinuousClock()
        let start = clock.now
        var failures = 0
        while true {
            do throws(RedisError) {
                let context = try openContext()
                if connectCount > 0 {
                    logger.info("reconnected", metadata: [RedisLogKey.attempts: "\(failures + 1)"])
                } else {
                    logger.debug("connected")
                }
                connectCount += 1
                self.context = context
                return context
            } catch {
                guard error.isRetriable else { throw error }
                failures += 1
                let delay = configuration.reconnect.delay(afterFailures: failures, jitter: .random(in: 0...1))
                let waited = clock.now - start
                guard waited + delay <= configuration.reconnect.giveUpAfter else {
                    var failure = error
                    failure.message = "gave up after \(failures) connect attempts in \(waited): \(error.message)"
                    throw failure
                }
                guard !Task.isCancelled else {
                    throw RedisError(.cancelled, "cancelled while reconnecting: \(error.message)")
                }
                logger.debug(
                    "connect failed, retrying",
                    metadata: [RedisLogKey.attempts: "\(failures)", RedisLogKey.error: "\(error.message)"])
                // A blocking sleep on purpose: this is the connection's own thread, and the
                // actor must not run other calls against a missing context meanwhile.
                Thread.sleep(
                    forTimeInterval: Double(delay.components.seconds) + Double(delay.components.attoseconds) / 1e18)
            }
        }
    }

    /// Connects and runs the handshake (`AUTH`, `SELECT`).
    private func openContext() throws(RedisError) -> RedisContext {
        let context = try RedisContext(
            endpoint: configuration.endpoint, connectTimeout: configuration.connectTimeout,
            commandTimeout: configuration.commandTimeout, keepAlive: configuration.keepAlive)
        var handshake: [(RedisCommand, String)] = []
        if let password = configuration.password {
            var auth = RedisCommand()
            auth.append("AUTH")
            if let username = configuration.username { auth.append(username) }
            auth.append(password.value)
            handshake.append((auth, "AUTH"))
        }
        if configuration.database != 0 {
            handshake.append((RedisCommand("SELECT", String(configuration.database)), "SELECT"))
        }
        for (command, name) in handshake {
            try context.append(command)
            if case .error(let message) = try context.readReply() {
                // Never echo the AUTH command itself: it carries the password.
                throw Self.serverError(message, command: name)
            }
        }
        return context
    }

    static func serverError(_ message: String, command: String) -> RedisError {
        RedisError(serverReply: message, command: command)
    }
}

/// Logger metadata keys of the Redis module.
enum RedisLogKey {
    static let endpoint = "redis.endpoint"
    static let attempts = "redis.attempts"
    static let error = "redis.error"
    static let script = "redis.script"
}
