import Foundation
import JSON
import Kafka
import Serve
import Testing

/// Every example message in Topics/examples validates, or is rejected naming the field its file
/// name gives (`invalid-<field>-<what>.json`), against the schemas listed in Topics/topics.json.
@Suite("Topic schemas and examples")
struct TopicSchemaTests {
    static let topicsDirectory = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Topics")

    static var topicList: URL { topicsDirectory.appendingPathComponent("topics.json") }

    static func examples() throws -> [(topic: String, file: URL)] {
        let examples = topicsDirectory.appendingPathComponent("examples")
        let fileManager = FileManager.default
        return try fileManager.contentsOfDirectory(atPath: examples.path).sorted().flatMap { topic in
            try fileManager.contentsOfDirectory(atPath: examples.appendingPathComponent(topic).path).sorted().map {
                (topic, examples.appendingPathComponent(topic).appendingPathComponent($0))
            }
        }
    }

    @Test func everyListedTopicHasASchemaAndExamplesOfBothKinds() throws {
        let list = try KafkaTopicList.load(from: Self.topicList)
        #expect(
            list.topics.map(\.name) == [
                "resid.items.v1", "resid.interactions.v1", "resid.predictions.v1", "resid.item-sids.v1",
                "resid.deadletter.v1",
            ])
        #expect(list.topics.first { $0.name == "resid.item-sids.v1" }?.config["cleanup.policy"] == "compact")
        let validator = try TopicSchemaValidator(topicList: Self.topicList)
        #expect(validator.topics.count == list.topics.count)
        let examples = try Self.examples()
        for topic in list.topics {
            let names = examples.filter { $0.topic == topic.name }.map(\.file.lastPathComponent)
            #expect(names.contains { $0.hasPrefix("valid-") }, "\(topic.name) has no valid example")
            #expect(names.contains { $0.hasPrefix("invalid-") }, "\(topic.name) has no invalid example")
        }
    }

    @Test func examplesValidateOrFailAsTheirFileNamesSay() throws {
        let validator = try TopicSchemaValidator(topicList: Self.topicList)
        let examples = try Self.examples()
        #expect(examples.count >= 20)
        for (topic, file) in examples {
            let name = file.deletingPathExtension().lastPathComponent
            let bytes = Array(try Data(contentsOf: file))
            if name.hasPrefix("valid-") {
                #expect(throws: Never.self, "\(topic)/\(name)") { try validator.validate(bytes, topic: topic) }
            } else {
                let field = String(name.dropFirst("invalid-".count).prefix { $0 != "-" })
                do {
                    try validator.validate(bytes, topic: topic)
                    Issue.record("\(topic)/\(name) was accepted")
                } catch let violation as SchemaViolation {
                    #expect(violation.field == field, "\(topic)/\(name): \(violation)")
                }
            }
        }
    }

    @Test func schemaVersionIsRequiredInEveryTopic() throws {
        let validator = try TopicSchemaValidator(topicList: Self.topicList)
        for topic in validator.topics {
            #expect(throws: SchemaViolation(field: "schema_version", reason: "is required")) {
                try validator.validate(Array("{}".utf8), topic: topic)
            }
        }
    }

    @Test func nonJSONAndUnknownTopicsAreRejectedWithAReason() throws {
        let validator = try TopicSchemaValidator(topicList: Self.topicList)
        #expect(throws: SchemaViolation(field: "", reason: "value is not valid JSON")) {
            try validator.validate(Array("not json".utf8), topic: "resid.items.v1")
        }
        #expect(throws: SchemaViolation.self) { try validator.validate(Array("{}".utf8), topic: "nope") }
    }

    @Test func unsupportedSchemaKeywordsAreRefusedAtLoad() throws {
        let document = try JSONValue.parse(Data(#"{"type": "object", "oneOf": []}"#.utf8))
        #expect(throws: SchemaViolation(field: "oneOf", reason: "unsupported JSON Schema keyword")) {
            try JSONSchema(document: document)
        }
    }

    @Test func integersAreNumbersButNotTheOtherWayRound() throws {
        let schema = try JSONSchema(
            document: JSONValue.parse(
                Data(
                    #"{"type": "object", "properties": {"n": {"type": "number"}, "i": {"type": "integer"}}}"#.utf8)))
        #expect(schema.validate(try JSONValue.parse(Data(#"{"n": 3, "i": 3}"#.utf8))).isEmpty)
        #expect(schema.validate(try JSONValue.parse(Data(#"{"n": 3.5, "i": 3.5}"#.utf8))).map(\.field) == ["i"])
        #expect(schema.validate(try JSONValue.parse(Data(#"{"i": true}"#.utf8))).map(\.field) == ["i"])
    }
}
