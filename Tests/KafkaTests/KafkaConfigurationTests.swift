import Foundation
import Kafka
import Logging
import Testing

/// Configuration validation; no broker is started (invalid configurations fail
/// before librdkafka connects anywhere).
@Suite("Kafka configuration")
struct KafkaConfigurationTests {
    static let logger = Logger(label: "test.kafka.config")
    static let nowhere = [KafkaBrokerAddress(host: "127.0.0.1", port: 9)]

    func expectInvalid(naming key: String, _ body: () throws -> Void) {
        do {
            try body()
            Issue.record("accepted an invalid configuration; expected an error naming \(key)")
        } catch let error as KafkaError {
            #expect(error.code == .invalidConfiguration)
            #expect(error.message.contains(key), "\(error)")
        } catch {
            Issue.record("unexpected error \(error)")
        }
    }

    @Test func unknownLibrdkafkaKeyNamesTheKey() {
        var configuration = KafkaConsumerConfiguration(bootstrapServers: Self.nowhere, groupID: "g", topics: ["t"])
        configuration.librdkafka["no.such.property"] = "1"
        expectInvalid(naming: "kafka.librdkafka.no.such.property") {
            _ = try KafkaConsumer(configuration: configuration, logger: Self.logger)
        }
    }

    @Test func librdkafkaValueOfTheWrongTypeNamesTheKey() {
        var producer = KafkaProducerConfiguration(bootstrapServers: Self.nowhere)
        producer.librdkafka["batch.num.messages"] = "lots"
        expectInvalid(naming: "kafka.librdkafka.batch.num.messages") {
            _ = try KafkaProducer(configuration: producer, logger: Self.logger)
        }
        var consumer = KafkaConsumerConfiguration(bootstrapServers: Self.nowhere, groupID: "g", topics: ["t"])
        consumer.librdkafka["enable.partition.eof"] = "sometimes"
        expectInvalid(naming: "kafka.librdkafka.enable.partition.eof") {
            _ = try KafkaConsumer(configuration: consumer, logger: Self.logger)
        }
    }

    @Test func typedSettingsAreCheckedBeforeLibrdkafka() {
        var producer = KafkaProducerConfiguration(bootstrapServers: Self.nowhere)
        producer.acks = .leader
        expectInvalid(naming: "kafka.producer.acks") {
            _ = try KafkaProducer(configuration: producer, logger: Self.logger)
        }
        var consumer = KafkaConsumerConfiguration(bootstrapServers: Self.nowhere, groupID: "g", topics: ["t"])
        consumer.heartbeatInterval = .seconds(20)
        expectInvalid(naming: "kafka.consumer.heartbeatIntervalMs") {
            _ = try KafkaConsumer(configuration: consumer, logger: Self.logger)
        }
        let noBrokers = KafkaConsumerConfiguration(bootstrapServers: [], groupID: "g", topics: ["t"])
        expectInvalid(naming: "kafka.bootstrap") {
            _ = try KafkaConsumer(configuration: noBrokers, logger: Self.logger)
        }
    }

    @Test func topicListErrorsNameTheField() {
        let cases: [(String, String)] = [
            (
                #"{"topics": [{"name": "a", "partitions": 0, "replicationFactor": 1, "config": {}, "schema": "", "key": ""}]}"#,
                "topics[0].partitions"
            ),
            (
                #"{"topics": [{"name": "a b", "partitions": 1, "replicationFactor": 1, "config": {}, "schema": "", "key": ""}]}"#,
                "topics[0].name"
            ),
            (
                #"{"topics": [{"name": "a", "replicationFactor": 1, "config": {}, "schema": "", "key": ""}]}"#,
                "topics[0].partitions"
            ),
            (
                #"{"topics": [{"name": "a", "partitions": "six", "replicationFactor": 1, "config": {}, "schema": "", "key": ""}]}"#,
                "topics[0].partitions"
            ),
        ]
        for (json, field) in cases {
            do {
                _ = try KafkaTopicList.parse(Data(json.utf8))
                Issue.record("accepted \(json)")
            } catch let error as KafkaError {
                #expect(error.code == .invalidTopicDefinition)
                #expect(error.message.contains(field), "\(error)")
            } catch {
                Issue.record("unexpected error \(error)")
            }
        }
    }
}
