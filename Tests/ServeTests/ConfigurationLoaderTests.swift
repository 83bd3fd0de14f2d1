import Foundation
import Kafka
import Redis
import Testing

@testable import Serve

/// The configuration loader: precedence and validation of every source. No process is
/// started; files are written to a temporary directory.
@Suite("Configuration loader")
struct ConfigurationLoaderTests {
    private let loader = ConfigurationLoader()

    private func writeYAML(_ text: String) throws -> String {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("resid-\(UUID().uuidString).yaml")
        try Data(text.utf8).write(to: url)
        return url.path
    }

    private func failure(
        yaml: String? = nil, arguments: [String] = [], environment: [String: String] = [:]
    ) async throws -> ConfigurationError? {
        let path = try yaml.map(writeYAML)
        defer { if let path { try? FileManager.default.removeItem(atPath: path) } }
        do {
            _ = try await loader.load(explicitPath: path, arguments: arguments, environment: environment)
            return nil
        } catch {
            return error
        }
    }

    @Test("the repository's Config/resid.yaml is valid and equals the built-in defaults")
    func shippedFileMatchesDefaults() async throws {
        let path = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("Config/resid.yaml").path
        let loaded = try await loader.load(explicitPath: path, environment: [:])
        #expect(loaded.redis == RedisConfiguration())
        #expect(loaded.kafka.bootstrap == .embedded)
        #expect(loaded.sources.contains("file \(path)"))
        // Low-latency Kafka defaults, written in the file and built in alike.
        #expect(loaded.kafka.consumer.fetchWaitMax == .milliseconds(500))
        #expect(loaded.kafka.producer.linger == .zero)
        let empty = try writeYAML("")
        defer { try? FileManager.default.removeItem(atPath: empty) }
        let builtIn = try await loader.load(explicitPath: empty, environment: [:])
        #expect(builtIn.kafka.consumer.fetchWaitMax == loaded.kafka.consumer.fetchWaitMax)
        #expect(builtIn.kafka.producer.linger == loaded.kafka.producer.linger)
    }

    @Test("an empty file, or one of comments only, means the defaults")
    func emptyFileMeansDefaults() async throws {
        for text in ["", "\n", "# nothing set yet\n"] {
            let path = try writeYAML(text)
            defer { try? FileManager.default.removeItem(atPath: path) }
            let loaded = try await loader.load(explicitPath: path, environment: [:])
            #expect(loaded.redis == RedisConfiguration())
            #expect(loaded.sources.contains { $0.contains("empty: defaults") })
        }
    }

    @Test("librdkafka properties librdkafka does not know, or values it refuses, fail naming the key in every source")
    func unknownLibrdkafkaPropertiesAreRefused() async throws {
        let file = try await failure(yaml: "kafka:\n  librdkafka:\n    fetch.wait.max.msec: \"5\"\n")
        #expect(file?.key == "kafka.librdkafka.fetch.wait.max.msec")
        #expect(file?.message.contains("unknown property") == true)
        let value = try await failure(yaml: "kafka:\n  librdkafka:\n    fetch.wait.max.ms: \"soon\"\n")
        #expect(value?.key == "kafka.librdkafka.fetch.wait.max.ms")
        let variable = try await failure(environment: ["RESID_KAFKA_LIBRDKAFKA_NO_SUCH_THING": "1"])
        #expect(variable?.message.contains("RESID_KAFKA_LIBRDKAFKA_NO_SUCH_THING names no librdkafka property") == true)
        let flag = try await failure(arguments: ["--kafka-librdkafka-no-such-thing", "1"])
        #expect(flag?.message.contains("names no librdkafka property") == true)
        // Known properties pass from each source.
        let path = try writeYAML("kafka:\n  librdkafka:\n    fetch.min.bytes: \"1\"\n")
        defer { try? FileManager.default.removeItem(atPath: path) }
        let loaded = try await loader.load(
            explicitPath: path, arguments: ["--kafka-librdkafka-socket-timeout-ms", "30000"],
            environment: ["RESID_KAFKA_LIBRDKAFKA_RECONNECT_BACKOFF_MS": "50"])
        #expect(loaded.kafka.consumer.librdkafka["fetch.min.bytes"] == "1")
        #expect(loaded.kafka.consumer.librdkafka["socket.timeout.ms"] == "30000")
        #expect(loaded.kafka.consumer.librdkafka["reconnect.backoff.ms"] == "50")
    }

    @Test("kafka keys: lists, librdkafka pass-through, and pass-through secrets refused outside the environment")
    func kafkaKeys() async throws {
        let path = try writeYAML(
            "kafka:\n  consumer:\n    topics: [a, b]\n  librdkafka:\n    socket.keepalive.enable: \"true\"\n")
        defer { try? FileManager.default.removeItem(atPath: path) }
        let loaded = try await loader.load(explicitPath: path, environment: ["RESID_KAFKA_BOOTSTRAP": "broker:9092"])
        #expect(loaded.kafka.consumer.topics == ["a", "b"])
        #expect(loaded.kafka.bootstrap != .embedded)
        let secret = try await failure(yaml: "kafka:\n  librdkafka:\n    sasl.password: hunter2\n")
        #expect(secret?.message.contains("kafka.librdkafka.sasl.password is a secret") == true)
        #expect(secret?.message.contains("hunter2") == false)
        let flag = try await failure(arguments: ["--kafka-librdkafka-sasl-password", "x"])
        #expect(flag?.message.contains("may not be given on the command line") == true)
        #expect(try await failure(yaml: "kafka:\n  consumer:\n    groupid: x\n")?.key == "kafka.consumer.groupid")
    }

    @Test("precedence: command line over environment over file over defaults")
    func precedence() async throws {
        let path = try writeYAML("redis:\n  poolSize: 5\n  namespace: fromfile\n  prefixLength: 20\n")
        defer { try? FileManager.default.removeItem(atPath: path) }
        let loaded = try await loader.load(
            explicitPath: path, arguments: ["--redis-pool-size", "7"],
            environment: ["RESID_REDIS_POOL_SIZE": "6", "RESID_REDIS_NAMESPACE": "fromenv", "HOME": "/root"])
        #expect(loaded.redis.poolSize == 7)
        #expect(loaded.redis.namespace == "fromenv")
        #expect(loaded.redis.prefixLength == 20)
        #expect(loaded.redis.pipelineDepth == 64)
    }

    @Test("an unknown key in the file fails naming the key, the line and the likely fix")
    func unknownFileKey() async throws {
        let error = try await failure(yaml: "redis:\n  url: embedded\n  poolsize: 4\n")
        #expect(error?.key == "redis.poolsize")
        #expect(error?.message.contains(":3: unknown key `redis.poolsize`; did you mean `redis.poolSize`?") == true)
        let section = try await failure(yaml: "rediss:\n  url: embedded\n")
        #expect(section?.message.contains("unknown key `rediss`") == true)
    }

    @Test("a value of the wrong type fails naming the key")
    func wrongTypes() async throws {
        #expect(
            try await failure(yaml: "redis:\n  poolSize: four\n")?.message.contains(
                "redis.poolSize: expected an integer, found `four`") == true)
        #expect(
            try await failure(yaml: "redis:\n  keepAlive: [1, 2]\n")?.message.contains(
                "redis.keepAlive takes a single value") == true)
        #expect(
            try await failure(yaml: "redis:\n  reconnect: 5\n")?.message.contains("`redis.reconnect` is a section")
                == true)
        #expect(
            try await failure(yaml: "redis:\n  passwordFile:\n")?.message.contains("redis.passwordFile has no value")
                == true)
        #expect(
            try await failure(environment: ["RESID_REDIS_COMMAND_TIMEOUT_MS": "soon"])?.message.contains(
                "redis.commandTimeoutMs") == true)
        #expect(
            try await failure(arguments: ["--redis-pipeline-depth", "0"])?.message.contains(
                "redis.pipelineDepth: 0 is outside") == true)
    }

    @Test("unknown RESID_* variables and flags fail with the likely fix; other variables are ignored")
    func unknownVariablesAndFlags() async throws {
        let variable = try await failure(environment: ["RESID_REDIS_POOLSIZE": "3"])
        #expect(
            variable?.message.contains(
                "RESID_REDIS_POOLSIZE is not a ReSID setting; did you mean RESID_REDIS_POOL_SIZE") == true)
        let flag = try await failure(arguments: ["--redis-poolsize", "3"])
        #expect(flag?.message.contains("unknown option --redis-poolsize; did you mean --redis-pool-size") == true)
        #expect(try await failure(arguments: ["stray"])?.message.contains("unexpected argument `stray`") == true)
        #expect(try await failure(environment: ["REDIS_URL": "nonsense", "PATH": "/bin"]) == nil)
    }

    @Test("secrets are refused in the file and on the command line, accepted from the environment")
    func secrets() async throws {
        let inFile = try await failure(yaml: "redis:\n  password: hunter2\n")
        #expect(inFile?.message.contains("redis.password is a secret") == true)
        #expect(inFile?.message.contains("hunter2") == false)
        let onFlag = try await failure(arguments: ["--redis-password", "hunter2"])
        #expect(onFlag?.message.contains("may not be given on the command line") == true)
        let loaded = try await loader.load(environment: ["RESID_REDIS_PASSWORD": "hunter2"])
        #expect(loaded.redis.password?.value == "hunter2")
        #expect(!"\(loaded.redis)".contains("hunter2"))
    }

    @Test("a missing or malformed file fails naming it")
    func badFiles() async throws {
        do {
            _ = try await loader.load(explicitPath: "/nonexistent/resid.yaml", environment: [:])
            Issue.record("loaded a missing file")
        } catch {
            #expect(error.message.contains("/nonexistent/resid.yaml"))
        }
        #expect(try await failure(yaml: "redis: [unclosed\n")?.message.contains("is not valid YAML") == true)
        #expect(try await failure(yaml: "- a\n- b\n")?.message.contains("top level must be a mapping") == true)
    }

    @Test("key spellings match swift-configuration's environment and flag encodings")
    func spellings() {
        #expect(
            ConfigurationSchema.environmentName("redis.reconnect.giveUpAfterMs")
                == "RESID_REDIS_RECONNECT_GIVE_UP_AFTER_MS")
        #expect(ConfigurationSchema.flagName("redis.reconnect.giveUpAfterMs") == "--redis-reconnect-give-up-after-ms")
        #expect(ConfigurationSchema.flagName("redis.url") == "--redis-url")
    }
}
