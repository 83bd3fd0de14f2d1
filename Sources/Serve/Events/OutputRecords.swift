import Foundation

/// One ranked item of a prediction.
public struct RankedItem: Sendable, Equatable {
    /// The item key.
    public var item: String
    /// Its SID in the variant's bundle.
    public var sid: [Int]
    /// Sequence log-probability (<= 0).
    public var score: Float

    /// Creates a ranked item.
    public init(item: String, sid: [Int], score: Float) {
        self.item = item
        self.sid = sid
        self.score = score
    }
}

/// Where an output came from: the input message's position and event id.
public struct SourcePosition: Sendable, Equatable, Hashable {
    /// The source event id.
    public var eventID: String
    /// The source topic.
    public var topic: String
    /// The source partition.
    public var partition: Int32
    /// The source offset.
    public var offset: Int64

    /// Creates a position.
    public init(eventID: String, topic: String, partition: Int32, offset: Int64) {
        self.eventID = eventID
        self.topic = topic
        self.partition = partition
        self.offset = offset
    }
}

/// A prediction (`resid.predictions.v1`).
public struct PredictionRecord: Sendable, Equatable {
    public var user: String
    public var source: SourcePosition
    public var variant: String
    public var bundleID: String
    public var items: [RankedItem]
    /// Stage latencies in milliseconds (`total` always present).
    public var latencyMilliseconds: [(String, Double)]
    public var producedAtMilliseconds: Int64

    /// Creates a prediction.
    public init(
        user: String, source: SourcePosition, variant: String, bundleID: String, items: [RankedItem],
        latencyMilliseconds: [(String, Double)], producedAtMilliseconds: Int64
    ) {
        self.user = user
        self.source = source
        self.variant = variant
        self.bundleID = bundleID
        self.items = items
        self.latencyMilliseconds = latencyMilliseconds
        self.producedAtMilliseconds = producedAtMilliseconds
    }

    public static func == (lhs: Self, rhs: Self) -> Bool {
        lhs.user == rhs.user && lhs.source == rhs.source && lhs.variant == rhs.variant && lhs.bundleID == rhs.bundleID
            && lhs.items == rhs.items && lhs.producedAtMilliseconds == rhs.producedAtMilliseconds
            && lhs.latencyMilliseconds.map(\.0) == rhs.latencyMilliseconds.map(\.0)
            && lhs.latencyMilliseconds.map(\.1) == rhs.latencyMilliseconds.map(\.1)
    }

    /// The JSON value.
    public func encoded() -> [UInt8] {
        var json = JSONWriter(capacity: 256 + items.count * 64)
        json.beginObject()
        json.field("schema_version", 1)
        json.field("user", user)
        json.key("source")
        json.beginObject()
        json.field("event_id", source.eventID)
        json.field("topic", source.topic)
        json.field("partition", source.partition)
        json.field("offset", source.offset)
        json.endObject()
        json.field("variant", variant)
        json.field("bundle_id", bundleID)
        json.key("items")
        json.beginArray()
        for item in items {
            json.beginObject()
            json.field("item", item.item)
            json.key("sid")
            json.beginArray()
            for code in item.sid { json.integer(code) }
            json.endArray()
            json.key("score")
            json.number(Double(min(item.score, 0)))
            json.endObject()
        }
        json.endArray()
        json.key("latency_ms")
        json.beginObject()
        for (name, value) in latencyMilliseconds {
            json.key(name)
            json.number(max(value, 0))
        }
        json.endObject()
        json.field("produced_at_ms", producedAtMilliseconds)
        json.endObject()
        return json.bytes
    }
}

/// An item's SID (`resid.item-sids.v1`).
public struct ItemSIDRecord: Sendable, Equatable {
    public var item: String
    public var sid: [Int]
    public var bundleID: String
    public var assignedAtMilliseconds: Int64
    /// Catalogue columns the item event gave only with values the bundle never saw (encoded as
    /// unknown; the item was placed by its other fields).
    public var unknownFields: [String]
    /// True when the level-3 code is past the bundle's trained codes (the group was full).
    public var overflow: Bool
    /// True when the item's own (c1, c2) group was full and it took a free trained code in a
    /// sibling group (its SID's c1/c2 are then not the nearest ones).
    public var spilled: Bool

    /// Creates a record.
    public init(
        item: String, sid: [Int], bundleID: String, assignedAtMilliseconds: Int64, unknownFields: [String] = [],
        overflow: Bool = false, spilled: Bool = false
    ) {
        self.item = item
        self.sid = sid
        self.bundleID = bundleID
        self.assignedAtMilliseconds = assignedAtMilliseconds
        self.unknownFields = unknownFields
        self.overflow = overflow
        self.spilled = spilled
    }

    /// The message key: bundle id and item key. SIDs are per bundle, and the topic is compacted
    /// by key, so a key of the item alone would let one bundle's SID erase another's.
    public var messageKey: String { bundleID + "/" + item }

    /// The JSON value.
    public func encoded() -> [UInt8] {
        var json = JSONWriter(capacity: 128 + item.utf8.count)
        json.beginObject()
        json.field("schema_version", 1)
        json.field("item", item)
        json.key("sid")
        json.beginArray()
        for code in sid { json.integer(code) }
        json.endArray()
        json.field("bundle_id", bundleID)
        json.field("assigned_at_ms", assignedAtMilliseconds)
        json.key("unknown_fields")
        json.beginArray()
        for field in unknownFields { json.string(field) }
        json.endArray()
        json.key("overflow")
        json.bool(overflow)
        json.key("spilled")
        json.bool(spilled)
        json.endObject()
        return json.bytes
    }
}

/// A dead letter (`resid.deadletter.v1`).
///
/// It always fits in one Kafka message: the source key is cut to ``maxKeyBytes`` and an
/// oversized event is carried as a reference (its position, size and the first
/// ``excerptBytes``), never whole, so a poison pill cannot make a dead letter that the broker
/// refuses and the partition would wait on.
public struct DeadLetterRecord: Sendable, Equatable {
    /// Bytes of an oversized event's value kept in its dead letter.
    public static let excerptBytes = 1024
    /// Bytes of the source key kept in the record and in the dead letter's own key.
    public static let maxKeyBytes = 1024

    public var topic: String
    public var partition: Int32
    public var offset: Int64
    public var key: [UInt8]?
    public var rejection: EventRejection
    /// The bytes written to `original_base64`: the whole value, or an excerpt for an oversized event.
    public var original: [UInt8]
    /// The size of the source value.
    public var originalBytes: Int
    public var failedAtMilliseconds: Int64

    /// Creates a record; `original` is cut to ``excerptBytes`` when the rejection is for size.
    public init(
        topic: String, partition: Int32, offset: Int64, key: [UInt8]?, rejection: EventRejection, original: [UInt8],
        failedAtMilliseconds: Int64
    ) {
        self.topic = topic
        self.partition = partition
        self.offset = offset
        self.key = key.map { $0.count > Self.maxKeyBytes ? Array($0.prefix(Self.maxKeyBytes)) : $0 }
        self.rejection = rejection
        originalBytes = original.count
        self.original =
            rejection.isOversized && original.count > Self.excerptBytes
            ? Array(original.prefix(Self.excerptBytes)) : original
        self.failedAtMilliseconds = failedAtMilliseconds
    }

    /// True when `original` is an excerpt.
    public var isTruncated: Bool { original.count < originalBytes }

    /// The JSON value; the reason is cut to the schema's 4096 characters.
    public func encoded() -> [UInt8] {
        var json = JSONWriter(capacity: 256 + original.count * 4 / 3)
        json.beginObject()
        json.field("schema_version", 1)
        json.key("source")
        json.beginObject()
        json.field("topic", topic)
        json.field("partition", max(partition, 0))
        json.field("offset", max(offset, 0))
        json.key("key")
        if let key { json.string(String(decoding: key, as: UTF8.self)) } else { json.null() }
        json.endObject()
        let reason = rejection.reason.isEmpty ? "rejected" : rejection.reason
        json.field("reason", reason.count > 4096 ? String(reason.prefix(4095)) + "…" : reason)
        json.key("field")
        if let field = rejection.field {
            json.string(field.count > 256 ? String(field.prefix(256)) : field)
        } else {
            json.null()
        }
        json.field("original_base64", Data(original).base64EncodedString())
        json.field("original_bytes", originalBytes)
        json.key("original_truncated")
        json.bool(isTruncated)
        json.field("failed_at_ms", failedAtMilliseconds)
        json.endObject()
        return json.bytes
    }
}

/// Milliseconds since the Unix epoch, now.
func nowMilliseconds() -> Int64 {
    Int64((Date().timeIntervalSince1970 * 1000).rounded())
}
