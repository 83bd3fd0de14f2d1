import JSON
import Kafka

/// An item event (`resid.items.v1`) after validation.
public struct ItemEvent: Sendable, Equatable {
    /// What happened to the item.
    public enum Operation: String, Sendable {
        case upsert, delete
    }

    /// The producer's event id.
    public var eventID: String
    /// Upsert or delete.
    public var operation: Operation
    /// The item key.
    public var item: String
    /// Raw field values keyed by catalogue column (numbers as their decimal text).
    public var fields: [String: [String]]
    /// Event time.
    public var timestampMilliseconds: Int64
}

/// An interaction event (`resid.interactions.v1`) after validation.
public struct InteractionEvent: Sendable, Equatable {
    /// The producer's event id.
    public var eventID: String
    /// The user key.
    public var user: String
    /// The item key.
    public var item: String
    /// view, click, add_to_cart, purchase or rating.
    public var type: String
    /// Event time.
    public var timestampMilliseconds: Int64
}

/// Why an event cannot be processed: what goes into its dead letter.
public struct EventRejection: Error, Sendable, Equatable, CustomStringConvertible {
    /// The field at fault, when one is known.
    public var field: String?
    /// The reason, naming the rule broken.
    public var reason: String
    /// True when the event was refused for its size: its dead letter then carries a reference
    /// and an excerpt instead of the event.
    public var isOversized: Bool

    /// Creates a rejection.
    public init(field: String?, reason: String, isOversized: Bool = false) {
        self.field = field
        self.reason = reason
        self.isOversized = isOversized
    }

    public var description: String { field.map { "\($0): \(reason)" } ?? reason }
}

/// Validates and decodes input events: the topic's JSON Schema first (the same file producers
/// are given), then the rules a schema cannot state (the message key must be the event's user or
/// item, item keys must be free of the prefix encoding's separator bytes).
public struct EventDecoder: Sendable {
    /// The schema validator.
    public let validator: TopicSchemaValidator
    /// Topic names.
    public let topics: ServeTopics

    /// Creates a decoder over the topic list's schemas.
    public init(validator: TopicSchemaValidator, topics: ServeTopics) {
        self.validator = validator
        self.topics = topics
    }

    /// Decodes an item event.
    ///
    /// - Throws: ``EventRejection``.
    public func item(
        value: [UInt8]?, key: String?, schemaTopic: String = "resid.items.v1"
    ) throws(EventRejection) -> ItemEvent {
        let document = try validated(value, topic: schemaTopic)
        guard case .object(let object) = document else {
            throw EventRejection(field: nil, reason: "the value is not a JSON object")
        }
        let item = try Self.string(object, "item")
        try Self.checkKey(item, field: "item")
        if let key, key != item {
            throw EventRejection(
                field: "item",
                reason:
                    "the message key `\(Self.clip(key))` is not the event's item `\(Self.clip(item))`; key item events by item"
            )
        }
        guard let operation = ItemEvent.Operation(rawValue: try Self.string(object, "op")) else {
            throw EventRejection(field: "op", reason: "must be upsert or delete")
        }
        var fields: [String: [String]] = [:]
        if case .object(let raw) = object["fields"] {
            for (name, value) in raw {
                switch value {
                case .string(let text): fields[name] = [text]
                case .integer(let number): fields[name] = [String(number)]
                case .number(let number):
                    guard number.isFinite else {
                        throw EventRejection(field: "fields.\(name)", reason: "must be a finite number")
                    }
                    fields[name] = [String(number)]
                case .array(let list):
                    fields[name] = list.compactMap { if case .string(let text) = $0 { text } else { nil } }
                default:
                    throw EventRejection(field: "fields.\(name)", reason: "must be a string, number or list of strings")
                }
            }
        }
        if operation == .upsert, fields.isEmpty {
            throw EventRejection(field: "fields", reason: "an upsert needs at least one field for cold-start encoding")
        }
        return ItemEvent(
            eventID: try Self.string(object, "event_id"), operation: operation, item: item, fields: fields,
            timestampMilliseconds: try Self.integer(object, "timestamp_ms"))
    }

    /// Decodes an interaction event.
    ///
    /// - Throws: ``EventRejection``.
    public func interaction(
        value: [UInt8]?, key: String?, schemaTopic: String = "resid.interactions.v1"
    ) throws(EventRejection) -> InteractionEvent {
        let document = try validated(value, topic: schemaTopic)
        guard case .object(let object) = document else {
            throw EventRejection(field: nil, reason: "the value is not a JSON object")
        }
        let user = try Self.string(object, "user")
        let item = try Self.string(object, "item")
        try Self.checkKey(item, field: "item")
        guard let key else {
            throw EventRejection(
                field: "user",
                reason: "the message has no key; key interaction events by user so one user's events stay in order")
        }
        guard key == user else {
            throw EventRejection(
                field: "user",
                reason:
                    "the message key `\(Self.clip(key))` is not the event's user `\(Self.clip(user))`; key interaction events by user"
            )
        }
        return InteractionEvent(
            eventID: try Self.string(object, "event_id"), user: user, item: item, type: try Self.string(object, "type"),
            timestampMilliseconds: try Self.integer(object, "timestamp_ms"))
    }

    private func validated(_ value: [UInt8]?, topic: String) throws(EventRejection) -> JSONValue {
        guard let value else {
            throw EventRejection(
                field: nil, reason: "the message has no value (tombstone); input topics take events only")
        }
        do {
            return try validator.validate(value, topic: topic)
        } catch let violation as SchemaViolation {
            throw EventRejection(field: violation.field.isEmpty ? nil : violation.field, reason: violation.reason)
        } catch {
            throw EventRejection(field: nil, reason: "\(error)")
        }
    }

    private static func string(_ object: [String: JSONValue], _ name: String) throws(EventRejection) -> String {
        guard case .string(let text) = object[name] else {
            throw EventRejection(field: name, reason: "must be a string")
        }
        return text
    }

    private static func integer(_ object: [String: JSONValue], _ name: String) throws(EventRejection) -> Int64 {
        guard case .integer(let number) = object[name] else {
            throw EventRejection(field: name, reason: "must be an integer")
        }
        return number
    }

    /// Item keys end up inside the prefix encoding (0x1E/0x1F separators) and Redis keys.
    private static func checkKey(_ key: String, field: String) throws(EventRejection) {
        if key.utf8.contains(where: { $0 < 0x20 || $0 == 0x7F }) {
            throw EventRejection(field: field, reason: "contains control characters; item keys must be printable")
        }
    }

    /// A key shortened for a reason text (hostile keys may be huge).
    static func clip(_ text: String) -> String {
        text.count <= 64 ? text : String(text.prefix(64)) + "…"
    }
}
