public import Foundation

/// One topic of the topic list file (`Topics/topics.json`).
public struct KafkaTopicDefinition: Sendable, Codable, Equatable {
    /// Topic name, for example `resid.items.v1`.
    public var name: String
    /// Number of partitions.
    public var partitions: Int
    /// Replicas per partition on a real cluster.
    public var replicationFactor: Int
    /// Topic configs (for example `cleanup.policy: compact`).
    public var config: [String: String]
    /// Path of the value's JSON Schema, relative to the topic list file.
    public var schema: String
    /// What the message key is (documentation).
    public var key: String

    /// Creates a definition.
    public init(
        name: String, partitions: Int, replicationFactor: Int = 1, config: [String: String] = [:],
        schema: String = "", key: String = ""
    ) {
        self.name = name
        self.partitions = partitions
        self.replicationFactor = replicationFactor
        self.config = config
        self.schema = schema
        self.key = key
    }
}

/// The topic list file: every topic the system uses, with partitions, configs and schemas.
public struct KafkaTopicList: Sendable, Codable {
    /// The topics, in file order.
    public var topics: [KafkaTopicDefinition]

    /// Reads and checks a topic list file.
    ///
    /// - Throws: ``KafkaError`` `.invalidTopicDefinition` naming the file and field at fault.
    public static func load(from url: URL) throws -> KafkaTopicList {
        let data: Data
        do {
            data = try Data(contentsOf: url)
        } catch {
            throw KafkaError(
                code: .invalidTopicDefinition, message: "\(url.path): cannot read: \(error.localizedDescription)")
        }
        return try parse(data, source: url.path)
    }

    /// Parses and checks a topic list.
    ///
    /// - Throws: ``KafkaError`` `.invalidTopicDefinition` naming the field at fault.
    public static func parse(_ data: Data, source: String = "topic list") throws -> KafkaTopicList {
        let list: KafkaTopicList
        do {
            list = try JSONDecoder().decode(KafkaTopicList.self, from: data)
        } catch let DecodingError.keyNotFound(key, context) {
            throw invalid(source, path(context.codingPath + [key]), "is missing")
        } catch let DecodingError.typeMismatch(type, context) {
            throw invalid(source, path(context.codingPath), "should be \(type)")
        } catch {
            throw invalid(source, "", "not a valid topic list: \(error)")
        }
        var seen: Set<String> = []
        for (index, topic) in list.topics.enumerated() {
            let field = "topics[\(index)]"
            let validName = topic.name.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || "._-".contains($0)) }
            guard !topic.name.isEmpty, topic.name.count <= 249, validName else {
                throw invalid(
                    source, "\(field).name",
                    "'\(topic.name)' is not a valid topic name (letters, digits, '.', '_', '-')")
            }
            guard seen.insert(topic.name).inserted else {
                throw invalid(source, "\(field).name", "'\(topic.name)' is listed twice")
            }
            guard topic.partitions >= 1 else {
                throw invalid(source, "\(field).partitions", "must be at least 1, got \(topic.partitions)")
            }
            guard topic.replicationFactor >= 1 else {
                throw invalid(
                    source, "\(field).replicationFactor", "must be at least 1, got \(topic.replicationFactor)")
            }
        }
        return list
    }

    private static func path(_ codingPath: [any CodingKey]) -> String {
        codingPath.map { key in key.intValue.map { "[\($0)]" } ?? ".\(key.stringValue)" }
            .joined().trimmingPrefix(".").description
    }

    private static func invalid(_ source: String, _ field: String, _ reason: String) -> KafkaError {
        KafkaError(code: .invalidTopicDefinition, message: "\(source): \(field) \(reason)")
    }
}
