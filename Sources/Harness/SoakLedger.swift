import Foundation
import Kafka
public import LocalServers
public import Logging
public import Serve
import Synchronization

/// What a soak run sent and what came out of the daemons, read from the output topics while the
/// run goes on: the evidence `resid bench soak` checks (every valid event predicted, each
/// interaction applied once, no SID held by two items).
public final class SoakLedger: Sendable {
    private struct State {
        var sent: [String: Int] = [:]
        /// Valid interactions in the order produced, per user (event id, item).
        var userEvents: [String: [(id: String, item: String)]] = [:]
        var validIDs: Set<String> = []
        var predictions: [String: Int] = [:]
        var deadLetters: [String: Int] = [:]
        var itemSIDs: [String: [String: [Int]]] = [:]
    }

    private let state = Mutex(State())

    /// An empty ledger.
    public init() {}

    /// Counts `count` events of `kind` as sent.
    public func sent(_ kind: String, count: Int = 1) {
        state.withLock { $0.sent[kind, default: 0] += count }
    }

    /// Records a valid interaction as sent.
    public func sentValid(id: String, user: String, item: String) {
        state.withLock { state in
            state.sent["valid", default: 0] += 1
            state.validIDs.insert(id)
            state.userEvents[user, default: []].append((id, item))
        }
    }

    /// Reads predictions, dead letters and item SIDs until cancelled.
    public func follow(broker: EmbeddedBroker, topics: ServeTopics, logger: Logger) async throws {
        var configuration = KafkaConsumerConfiguration(
            bootstrapServers: broker.bootstrapServers, groupID: "soak-ledger-\(UUID().uuidString.prefix(8))",
            topics: [topics.predictions, topics.deadLetter, topics.itemSIDs])
        configuration.sessionTimeout = .seconds(6)
        configuration.pollBatchSize = 4096
        let consumer = try KafkaConsumer(configuration: configuration, logger: logger)
        var iterator = consumer.events.makeAsyncIterator()
        while !Task.isCancelled, let events = try await iterator.nextBatch() {
            var predicted: [String] = []
            var letters: [String] = []
            var sids: [(bundle: String, item: String, sid: [Int])] = []
            for case .message(let message) in events {
                guard let value = message.value,
                    let object = try? JSONSerialization.jsonObject(with: Data(value)) as? [String: Any]
                else { continue }
                if message.topic == topics.predictions, let source = object["source"] as? [String: Any],
                    let id = source["event_id"] as? String
                {
                    predicted.append(id)
                } else if message.topic == topics.deadLetter, let reason = object["reason"] as? String {
                    letters.append(Self.category(reason: reason, field: object["field"] as? String))
                } else if message.topic == topics.itemSIDs, let item = object["item"] as? String,
                    let bundle = object["bundle_id"] as? String,
                    let sid = object["sid"] as? [Int]
                {
                    sids.append((bundle, item, sid))
                }
            }
            state.withLock { state in
                for id in predicted { state.predictions[id, default: 0] += 1 }
                for letter in letters { state.deadLetters[letter, default: 0] += 1 }
                for record in sids { state.itemSIDs[record.bundle, default: [:]][record.item] = record.sid }
            }
        }
        try? await consumer.close()
    }

    /// A bounded name for a dead letter's reason.
    public static func category(reason: String, field: String?) -> String {
        if reason.hasPrefix("oversized") { return "oversized" }
        if field == "key" { return "invalid_key" }
        if reason.contains("not valid JSON") { return "malformed_json" }
        if reason.contains("unknown item") { return "unknown_item" }
        if reason.contains("not an allowed field") { return "unknown_field" }
        return "other_schema"
    }

    /// Valid events not predicted yet.
    public var unpredicted: Int {
        state.withLock { state in state.validIDs.filter { state.predictions[$0] == nil }.count }
    }

    /// The totals for the report.
    public func summary() -> (
        sent: [String: Int], predictions: Int, distinctPredicted: Int, repeated: Int, unpredicted: Int,
        deadLetters: [String: Int]
    ) {
        state.withLock { state in
            let total = state.predictions.values.reduce(0, +)
            let repeated = state.predictions.values.reduce(0) { $0 + max($1 - 1, 0) }
            let missing = state.validIDs.filter { state.predictions[$0] == nil }.count
            return (state.sent, total, state.predictions.count, repeated, missing, state.deadLetters)
        }
    }

    /// Each user's expected prefix: the items of their valid events, once per event id, last
    /// `length` of them.
    public func expectedPrefixes(length: Int) -> [String: [String]] {
        state.withLock { state in
            state.userEvents.mapValues { events in
                var seen: Set<String> = []
                let applied = events.filter { seen.insert($0.id).inserted }.map(\.item)
                return Array(applied.suffix(length))
            }
        }
    }

    /// SIDs that more than one item holds, counting each bundle's frozen items.
    public func sidCollisions(frozen: [String: [(item: String, sid: [Int])]]) -> Int {
        state.withLock { state in
            var collisions = 0
            for (bundle, online) in state.itemSIDs {
                var holders: [[Int]: Set<String>] = [:]
                for entry in frozen[bundle] ?? [] { holders[entry.sid, default: []].insert(entry.item) }
                for (item, sid) in online { holders[sid, default: []].insert(item) }
                collisions += holders.values.filter { $0.count > 1 }.count
            }
            return collisions
        }
    }

    /// Online items published, over all bundles.
    public var onlineItems: Int { state.withLock { $0.itemSIDs.values.reduce(0) { $0 + $1.count } } }
}
