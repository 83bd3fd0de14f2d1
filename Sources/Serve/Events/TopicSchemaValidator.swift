public import Foundation
public import JSON
import Kafka

/// Validates message values against their topic's JSON Schema, as listed in the topic list
/// file. The daemon uses it on every consumed event; a bad event is dead-lettered with the
/// violation as its reason, never a crash.
public struct TopicSchemaValidator: Sendable {
    private let schemas: [String: JSONSchema]

    /// Loads the schema of every topic in `topicList` (paths relative to the list file).
    ///
    /// - Throws: ``KafkaError`` `.invalidTopicDefinition` naming the topic whose schema cannot
    ///   be read or compiled.
    public init(topicList url: URL) throws {
        let list = try KafkaTopicList.load(from: url)
        let directory = url.deletingLastPathComponent()
        var schemas: [String: JSONSchema] = [:]
        for topic in list.topics where !topic.schema.isEmpty {
            let schemaURL = directory.appendingPathComponent(topic.schema)
            do {
                schemas[topic.name] = try JSONSchema(document: JSONValue.parse(Data(contentsOf: schemaURL)))
            } catch {
                throw KafkaError(
                    code: .invalidTopicDefinition, message: "\(topic.name): schema \(schemaURL.path): \(error)")
            }
        }
        self.schemas = schemas
    }

    /// Creates a validator from compiled schemas keyed by topic.
    public init(schemas: [String: JSONSchema]) {
        self.schemas = schemas
    }

    /// The topics this validator knows.
    public var topics: [String] { schemas.keys.sorted() }

    /// Validates one message value.
    ///
    /// - Returns: the parsed document.
    /// - Throws: ``SchemaViolation``: the first rule broken (field path and reason), including
    ///   "not JSON" and unknown topics.
    @discardableResult
    public func validate(_ value: [UInt8], topic: String) throws -> JSONValue {
        guard let schema = schemas[topic] else {
            throw SchemaViolation(field: "", reason: "no schema for topic '\(topic)'")
        }
        let document: JSONValue
        do {
            document = try JSONValue.parse(Data(value))
        } catch {
            throw SchemaViolation(field: "", reason: "value is not valid JSON")
        }
        if let first = schema.validate(document).first { throw first }
        return document
    }
}
