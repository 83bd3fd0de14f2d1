import Bundle
import Foundation
public import Inference
public import Kafka
public import Serve
import Tensor

/// The soak's event stream: valid interactions over the bundle's items and, around them,
/// one hostile or special event for every four valid ones.
public struct SoakTraffic: Sendable {
    private let items: BundleItems
    private let users: Int
    private let topics: ServeTopics
    private var random: SeededRandom
    private var counter = 0
    private var newItems = 0
    /// Recent valid messages, resent as exact duplicates.
    private var recent: [KafkaProducerMessage] = []

    public init(items: BundleItems, users: Int, seed: UInt64, topics: ServeTopics) {
        self.items = items
        self.users = users
        self.topics = topics
        random = SeededRandom(seed: seed)
    }

    /// The next `validCount` valid interactions, each fourth followed by a hostile or special
    /// event unless `hostile` is false.
    public mutating func next(validCount: Int, ledger: SoakLedger, hostile: Bool = true) -> [KafkaProducerMessage] {
        var messages: [KafkaProducerMessage] = []
        for _ in 0..<validCount {
            counter += 1
            let user = "soak-user-\(Int(random.next() % UInt64(users)))"
            let item = items.keys[Int(random.next() % UInt64(items.keys.count))]
            let id = "soak-\(counter)"
            let message = KafkaProducerMessage(
                topic: topics.interactions, key: user, value: Self.interaction(id: id, user: user, item: item))
            ledger.sentValid(id: id, user: user, item: item)
            messages.append(message)
            recent.append(message)
            if recent.count > 50 { recent.removeFirst() }
            if hostile, counter % 4 == 0 { messages.append(self.hostile(ledger: ledger)) }
        }
        return messages
    }

    private mutating func hostile(ledger: SoakLedger) -> KafkaProducerMessage {
        let user = "soak-user-\(Int(random.next() % UInt64(users)))"
        let known = items.keys[0]
        switch random.next() % 8 {
        case 0:
            ledger.sent("oversized")
            let padding = String(repeating: "x", count: 300_000)
            return KafkaProducerMessage(
                topic: topics.interactions, key: user, value: Array(#"{"schema_version":1,"pad":"\#(padding)"}"#.utf8))
        case 1:
            ledger.sent("malformed_json")
            return KafkaProducerMessage(
                topic: topics.interactions, key: user, value: Array(#"{"schema_version":1,"event_id":"#.utf8))
        case 2:
            ledger.sent("invalid_key")
            return KafkaProducerMessage(
                topic: topics.interactions, key: Array(user.utf8) + [0xFF],
                value: Self.interaction(id: "bad-key-\(counter)", user: user, item: known))
        case 3:
            ledger.sent("unknown_field")
            var value = Self.interaction(id: "extra-\(counter)", user: user, item: known)
            value.removeLast()
            value += Array(#","colour":"red"}"#.utf8)
            return KafkaProducerMessage(topic: topics.interactions, key: user, value: value)
        case 4:
            ledger.sent("unknown_item")
            return KafkaProducerMessage(
                topic: topics.interactions, key: user,
                value: Self.interaction(id: "ghost-\(counter)", user: user, item: "no-such-item-\(counter)"))
        case 5 where !recent.isEmpty:
            ledger.sent("duplicate")
            return recent[Int(random.next() % UInt64(recent.count))]
        default:
            newItems += 1
            let source = items.values[Int(random.next() % UInt64(items.values.count))]
            var fields = source
            if newItems % 3 == 0, let column = fields.keys.sorted().first { fields[column] = ["soak-unknown-value"] }
            ledger.sent(newItems % 3 == 0 ? "new_item_unknown_value" : "new_item")
            let item = "soak-new-\(newItems)"
            let object: [String: Any] = [
                "schema_version": 1, "event_id": "item-\(newItems)", "op": "upsert", "item": item, "fields": fields,
                "timestamp_ms": 1_700_000_000_000,
            ]
            let data = (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])) ?? Data()
            return KafkaProducerMessage(topic: topics.items, key: item, value: Array(data))
        }
    }

    public static func interaction(id: String, user: String, item: String) -> [UInt8] {
        Array(
            #"{"schema_version":1,"event_id":"\#(id)","user":"\#(user)","item":"\#(BenchEventStream.escape(item))","type":"view","timestamp_ms":1700000000000}"#
                .utf8)
    }
}
