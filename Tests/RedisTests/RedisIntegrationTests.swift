import Foundation
import LocalServers
import ReSIDTestKit
import Redis
import Testing

/// The Redis module against a real `redis-server` started by the test kit (one per test, on a
/// free loopback port, stopped afterwards).
@Suite("Redis against a real server", .timeLimit(.minutes(1)))
struct RedisIntegrationTests {
    @Test("a pipeline returns every reply in order, error replies in place")
    func pipelineOrder() async throws {
        try await withRedisServer { server in
            let connection = RedisConnection(configuration: server.configuration())
            var commands: [RedisCommand] = []
            for index in 0..<300 {
                switch index % 3 {
                case 0: commands.append(RedisCommand("SET", "k\(index)", "v\(index)"))
                case 1: commands.append(RedisCommand("INCRBY", "counter", String(index)))
                default: commands.append(RedisCommand("GET", "k\(index - 2)"))
                }
            }
            commands.insert(RedisCommand("LPUSH", "k0", "x"), at: 150)  // WRONGTYPE: k0 is a string
            let replies = try await connection.pipeline(commands)
            #expect(replies.count == commands.count)
            var counter: Int64 = 0
            for (position, reply) in replies.enumerated() {
                if position == 150 {
                    #expect(reply.errorMessage?.hasPrefix("WRONGTYPE") == true)
                    continue
                }
                let index = position < 150 ? position : position - 1
                switch index % 3 {
                case 0: #expect(reply == .status("OK"))
                case 1:
                    counter += Int64(index)
                    #expect(reply == .integer(counter))
                default: #expect(reply.string == "v\(index - 2)")
                }
            }
            await #expect(throws: RedisError.self) { try await connection.command(RedisCommand("NOSUCHCOMMAND")) }
            // The connection is still usable after an error reply.
            #expect(try await connection.command(RedisCommand("PING")) == .status("PONG"))
        }
    }

    @Test("scripts are reloaded automatically after SCRIPT FLUSH (NOSCRIPT)")
    func scriptReload() async throws {
        try await withRedisServer { server in
            let connection = RedisConnection(configuration: server.configuration())
            let script = RedisScript(name: "append", source: "return redis.call('RPUSH', KEYS[1], ARGV[1])")
            #expect(try await connection.evalScript(script, keys: ["list"], arguments: ["a"]) == .integer(1))
            _ = try await connection.command(RedisCommand("SCRIPT", "FLUSH"))
            let replies = try await connection.pipelineScript(
                script, calls: (2..<6).map { RedisScript.Call(keys: ["list"], arguments: ["i\($0)"]) })
            #expect(replies == (2..<6).map { .integer(Int64($0)) })
            let stored = try await connection.command(RedisCommand("LRANGE", "list", "0", "-1"))
            #expect(stored.array?.compactMap(\.string) == ["a", "i2", "i3", "i4", "i5"])
        }
    }

    @Test("the command timeout applies, also on a connection that has reconnected")
    func timeoutAfterReconnect() async throws {
        try await withRedisServer { server in
            var configuration = server.configuration()
            configuration.commandTimeout = .milliseconds(200)
            let connection = RedisConnection(configuration: configuration)
            #expect(try await connection.command(RedisCommand("PING")) == .status("PONG"))
            await server.kill()
            try await server.restart()
            // The first call after the restart fails on the dead socket (or succeeds if the
            // kernel already reported the reset); either way the next call is on a new socket.
            _ = try? await connection.command(RedisCommand("PING"))
            #expect(try await connection.command(RedisCommand("PING")) == .status("PONG"))
            #expect(await connection.connectCount == 2)
            let clock = ContinuousClock()
            let start = clock.now
            do throws(RedisError) {
                _ = try await connection.command(RedisCommand("BLPOP", "empty-list", "5"))
                Issue.record("BLPOP returned although the command timeout is 200 ms")
            } catch {
                #expect(error.code == .timeout)
                #expect(error.isRetriable)
            }
            #expect(clock.now - start < .seconds(2))
        }
    }

    @Test("a wrong password fails naming where the password comes from; no password is echoed")
    func wrongPassword() async throws {
        try await withRedisServer { server in
            let admin = RedisConnection(configuration: server.configuration())
            _ = try await admin.command(RedisCommand("CONFIG", "SET", "requirepass", "right-one"))
            var configuration = server.configuration()
            configuration.password = RedisPassword("wrong-one")
            let connection = RedisConnection(configuration: configuration)
            do throws(RedisError) {
                try await connection.connect()
                Issue.record("connected with a wrong password")
            } catch {
                #expect(error.code == .serverError && !error.isRetriable)
                #expect(error.message.contains("RESID_REDIS_PASSWORD"))
                #expect(!error.message.contains("wrong-one"))
            }
            configuration.password = RedisPassword("right-one")
            let good = RedisConnection(configuration: configuration)
            #expect(try await good.command(RedisCommand("PING")) == .status("PONG"))
        }
    }

    @Test("an unreachable server fails with a retriable error after the give-up time")
    func unreachable() async throws {
        let port = try await withRedisServer { $0.port }  // the server is stopped again: port now closed
        var configuration = RedisConfiguration()
        configuration.endpoint = .tcp(host: "127.0.0.1", port: port)
        configuration.reconnect = ReconnectPolicy(
            initialDelay: .milliseconds(10), maxDelay: .milliseconds(20), giveUpAfter: .milliseconds(100))
        let connection = RedisConnection(configuration: configuration)
        do {
            try await connection.connect()
            Issue.record("connected to a stopped server")
        } catch {
            #expect(error.code == .connectionFailed && error.isRetriable)
            #expect(error.message.contains("gave up after"))
        }
    }
}
