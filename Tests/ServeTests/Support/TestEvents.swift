import Foundation
import Kafka

/// Builders of valid input events (JSON bytes) and decoders of the outputs.
enum TestEvents {
    static func interaction(
        id: String, user: String, item: String, time: Int64 = 1_700_000_000_000
    ) -> (key: String, value: [UInt8]) {
        let json =
            #"{"schema_version":1,"event_id":"\#(id)","user":"\#(user)","item":"\#(item)","type":"view","timestamp_ms":\#(time)}"#
        return (user, Array(json.utf8))
    }

    static func item(
        id: String, item: String, fields: [String: [String]], op: String = "upsert"
    ) throws -> (key: String, value: [UInt8]) {
        var object: [String: Any] = [
            "schema_version": 1, "event_id": id, "op": op, "item": item, "timestamp_ms": 1_700_000_000_000,
        ]
        if op == "upsert" { object["fields"] = fields }
        let data = try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])
        return (item, Array(data))
    }

    static func message(_ topic: String, _ parts: (key: String, value: [UInt8])) -> KafkaProducerMessage {
        KafkaProducerMessage(topic: topic, key: parts.key, value: parts.value)
    }
}

/// A prediction as published.
struct Prediction: Decodable {
    struct Source: Decodable, Hashable {
        var event_id: String
        var topic: String
        var partition: Int32
        var offset: Int64
    }
    struct Item: Decodable {
        var item: String
        var sid: [Int]
        var score: Double
    }
    var user: String
    var source: Source
    var variant: String
    var bundle_id: String
    var items: [Item]
    var latency_ms: [String: Double]
}

/// A dead letter as published.
struct DeadLetter: Decodable {
    struct Source: Decodable {
        var topic: String
        var partition: Int32
        var offset: Int64
    }
    var source: Source
    var reason: String
    var field: String?
    var original_base64: String
    var original_bytes: Int?
    var original_truncated: Bool?
}

/// An item-SID record as published.
struct ItemSID: Decodable {
    var item: String
    var sid: [Int]
    var bundle_id: String
    var unknown_fields: [String]?
    var overflow: Bool?
    var spilled: Bool?
}
