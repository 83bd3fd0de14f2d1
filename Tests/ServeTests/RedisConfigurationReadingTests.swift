import Configuration
import Foundation
import Redis
import Serve
import Testing

/// ``RedisConfiguration`` read from a `ConfigReader` (the configuration loader's `redis.*`
/// keys): defaults, types, ranges, URL forms and secrets. No process is started.
@Suite("Redis configuration reading")
struct RedisConfigurationReadingTests {
    private func configuration(_ values: [AbsoluteConfigKey: ConfigValue]) throws(RedisError) -> RedisConfiguration {
        try RedisConfiguration(config: ConfigReader(provider: InMemoryProvider(values: values)))
    }

    private func message(_ values: [AbsoluteConfigKey: ConfigValue]) -> String? {
        do {
            _ = try configuration(values)
            return nil
        } catch {
            #expect(error.code == .invalidConfiguration)
            return error.message
        }
    }

    @Test("absent keys keep the documented defaults")
    func defaults() throws {
        let config = try configuration([:])
        #expect(config == RedisConfiguration())
        #expect(config.endpoint == .embedded)
        #expect(config.poolSize == 4 && config.prefixLength == 32 && config.pipelineDepth == 64)
        #expect(config.commandTimeout == .seconds(2))
    }

    @Test("values are read and converted")
    func reads() throws {
        let config = try configuration([
            "redis.url": "redis://app@cache.internal:6380/3",
            "redis.namespace": "prod-eu",
            "redis.poolSize": 8,
            "redis.commandTimeoutMs": 250,
            "redis.keepAlive": false,
            "redis.reconnect.maxDelayMs": 5000,
        ])
        #expect(config.endpoint == .tcp(host: "cache.internal", port: 6380))
        #expect(config.username == "app" && config.database == 3)
        #expect(config.namespace == "prod-eu" && config.poolSize == 8 && !config.keepAlive)
        #expect(config.commandTimeout == .milliseconds(250))
        #expect(config.reconnect.maxDelay == .seconds(5))
    }

    @Test("a value of the wrong type fails naming the key and the value")
    func wrongType() {
        let text = message(["redis.poolSize": "eight"])
        #expect(text?.contains("redis.poolSize") == true)
        #expect(text?.contains("eight") == true)
        #expect(message(["redis.keepAlive": "maybe"])?.contains("redis.keepAlive") == true)
    }

    @Test("out-of-range values fail naming the key and the range")
    func ranges() {
        #expect(message(["redis.poolSize": 0])?.contains("redis.poolSize: 0 is outside 1...256") == true)
        #expect(message(["redis.commandTimeoutMs": -5])?.contains("redis.commandTimeoutMs") == true)
        let inverted = message(["redis.reconnect.initialDelayMs": 900, "redis.reconnect.maxDelayMs": 100])
        #expect(inverted?.contains("redis.reconnect.maxDelayMs") == true)
    }

    @Test("bad URLs and namespaces fail naming the key and the accepted forms")
    func urlsAndNamespaces() {
        #expect(message(["redis.url": "http://x"])?.contains("redis.url") == true)
        #expect(message(["redis.url": "redis://host:99999"])?.contains("outside 1...65535") == true)
        #expect(message(["redis.url": "redis://host/x"])?.contains("database") == true)
        #expect(message(["redis.namespace": "a:b"])?.contains("redis.namespace") == true)
    }

    @Test("URL forms: unix socket, IPv6, default port")
    func urlForms() throws {
        #expect(try RedisEndpoint.parse("unix:///run/redis.sock").endpoint == .unix(path: "/run/redis.sock"))
        #expect(try RedisEndpoint.parse("redis://[::1]:7000").endpoint == .tcp(host: "::1", port: 7000))
        #expect(try RedisEndpoint.parse("redis://localhost").endpoint == .tcp(host: "localhost", port: 6379))
    }

    @Test("a password in the URL is refused without echoing it")
    func passwordInURL() {
        let text = message(["redis.url": "redis://user:hunter2@host:6379"])
        #expect(text?.contains("RESID_REDIS_PASSWORD") == true)
        #expect(text?.contains("hunter2") == false)
    }

    @Test("the password comes from the environment or a file and is never printed")
    func passwords() throws {
        let fromEnv = try RedisConfiguration(
            config: ConfigReader(
                provider: EnvironmentVariablesProvider(environmentVariables: ["REDIS_PASSWORD": "s3cret"])))
        #expect(fromEnv.password?.value == "s3cret")
        #expect(!"\(fromEnv)".contains("s3cret"))
        #expect(!String(reflecting: fromEnv.password as Any).contains("s3cret"))

        let file = FileManager.default.temporaryDirectory.appendingPathComponent("resid-pw-\(UUID().uuidString)")
        try Data("from-file\n".utf8).write(to: file)
        defer { try? FileManager.default.removeItem(at: file) }
        let fromFile = try configuration(["redis.passwordFile": .init(.string(file.path), isSecret: false)])
        #expect(fromFile.password?.value == "from-file")

        #expect(message(["redis.passwordFile": "/nonexistent/pw"])?.contains("redis.passwordFile") == true)
        let both = message(["redis.passwordFile": .init(.string(file.path), isSecret: false), "redis.password": "x"])
        #expect(both?.contains("both set") == true)
    }
}
