import Configuration
import Foundation
import Kafka
import Serve
import SystemPackage
import Testing

/// ``KafkaConfiguration`` read from a `ConfigReader` (the configuration loader's `kafka.*`
/// keys): defaults, typed keys, librdkafka pass-through, the shipped YAML file, and wrong values
/// failing with the key named.
@Suite("Kafka configuration reading")
struct KafkaConfigurationReadingTests {
    func reader(_ values: [AbsoluteConfigKey: ConfigValue]) -> ConfigReader {
        ConfigReader(provider: InMemoryProvider(values: values))
    }

    func expectInvalid(naming key: String, _ body: () throws -> Void) {
        let error = #expect(throws: KafkaError.self) { try body() }
        #expect(error?.code == .invalidConfiguration)
        #expect(error?.message.contains(key) == true, "\(String(describing: error))")
    }

    @Test func defaultsWhenNothingIsSet() throws {
        let configuration = try KafkaConfiguration(config: reader([:]))
        #expect(configuration.bootstrap == .embedded)
        #expect(configuration.producer.enableIdempotence)
        #expect(configuration.producer.acks == .all)
        #expect(configuration.consumer.groupID == "resid")
    }

    @Test func typedKeysAndLibrdkafkaPassThrough() throws {
        let configuration = try KafkaConfiguration(
            config: reader([
                "kafka.bootstrap": "broker1:9092, broker2:9093",
                "kafka.clientId": "daemon-a",
                "kafka.consumer.groupId": "resid-serve",
                "kafka.consumer.sessionTimeoutMs": 6000,
                "kafka.consumer.autoOffsetReset": "latest",
                "kafka.producer.lingerMs": "20",
                "kafka.producer.compression": "lz4",
                "kafka.librdkafka.socket.keepalive.enable": "true",
                "kafka.librdkafka.fetch.wait.max.ms": 50,
            ]))
        #expect(
            configuration.bootstrap
                == .servers([
                    KafkaBrokerAddress(host: "broker1", port: 9092), KafkaBrokerAddress(host: "broker2", port: 9093),
                ]))
        #expect(configuration.consumer.clientID == "daemon-a")
        #expect(configuration.consumer.groupID == "resid-serve")
        #expect(configuration.consumer.sessionTimeout == .milliseconds(6000))
        #expect(configuration.consumer.autoOffsetReset == .latest)
        #expect(configuration.producer.linger == .milliseconds(20))
        #expect(configuration.producer.compression == .lz4)
        #expect(configuration.consumer.librdkafka == ["socket.keepalive.enable": "true", "fetch.wait.max.ms": "50"])
        #expect(configuration.producer.librdkafka == configuration.consumer.librdkafka)
    }

    @Test func theShippedYAMLFileParsesWithEnvironmentOverridingIt() async throws {
        let path = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("Config/resid.yaml").path
        let file = try await FileProvider<YAMLSnapshot>(filePath: FilePath(path))
        let environment = EnvironmentVariablesProvider(environmentVariables: [
            "KAFKA_BOOTSTRAP": "10.0.0.1:9092", "KAFKA_PRODUCER_LINGER_MS": "7",
        ])
        let configuration = try KafkaConfiguration(config: ConfigReader(providers: [environment, file]))
        #expect(configuration.bootstrap == .servers([KafkaBrokerAddress(host: "10.0.0.1", port: 9092)]))
        #expect(configuration.producer.linger == .milliseconds(7))
        #expect(configuration.consumer.sessionTimeout == .seconds(10))
        #expect(configuration.consumer.librdkafka["socket.keepalive.enable"] == "true")
        let fileOnly = try KafkaConfiguration(config: ConfigReader(provider: file))
        #expect(fileOnly.bootstrap == .embedded)
    }

    @Test func wrongTypesNameTheKey() {
        expectInvalid(naming: "kafka.consumer.sessionTimeoutMs") {
            _ = try KafkaConfiguration(config: reader(["kafka.consumer.sessionTimeoutMs": "ten seconds"]))
        }
        expectInvalid(naming: "kafka.producer.enableIdempotence") {
            _ = try KafkaConfiguration(config: reader(["kafka.producer.enableIdempotence": "maybe"]))
        }
        expectInvalid(naming: "kafka.producer.acks") {
            _ = try KafkaConfiguration(config: reader(["kafka.producer.acks": "most"]))
        }
        expectInvalid(naming: "kafka.consumer.pollBatchSize") {
            _ = try KafkaConfiguration(config: reader(["kafka.consumer.pollBatchSize": 0]))
        }
    }

    @Test func badBootstrapNamesTheKey() {
        for bad in ["localhost", "host:notaport", "host:70000", ":9092", "a:1,,b:2", "bad host!:9092"] {
            expectInvalid(naming: "kafka.bootstrap") {
                _ = try KafkaConfiguration(
                    config: reader(["kafka.bootstrap": ConfigValue(.string(bad), isSecret: false)]))
            }
        }
    }
}
