public import Data
import Evaluation
import Foundation
import Tensor

/// The event stream `resid demo` replays: real MovieLens interactions in time order, a burst of
/// never-seen items (cold start), and a sprinkling of malformed events that must end in the
/// dead-letter topic.
///
/// Each new item *re-lists* a real item of the replay: the same fields under a new key, and the
/// replay's interactions with the original go to the re-listing instead. The interactions stay
/// real (who, when, in what order); only the item's key is new, so the demo can count how often
/// a new item was the user's actual next item and whether the daemon recommended it.
public struct DemoEvents: Sendable {
    /// One message to produce.
    public struct Message: Sendable {
        var topic: String
        var key: String
        var value: [UInt8]
        /// The event id of a valid interaction (what its prediction will name as its source).
        var eventID: String? = nil
    }

    /// The replayed interaction with event id `id`: whose it is and what came next.
    public struct Replayed: Sendable {
        var user: String
        /// The item the user actually interacted with next in the replay (nil for the last).
        var nextItem: String?
        /// True when `nextItem` is the user's held-out test item (never trained on).
        var nextIsHeldOut: Bool
        /// The user's items replayed so far, this one included: the daemon's stored prefix,
        /// which it never recommends (`serve.excludeHistory`), so MostPop skips them too.
        var earlier: Set<String>
    }

    /// New items, then the replay with malformed events mixed in, in produce order.
    public var messages: [Message] = []
    /// Event id of every valid interaction → what the demo checks its prediction against.
    public var replayed: [String: Replayed] = [:]
    /// Keys of the never-seen items.
    public var newItems: [String] = []
    /// Original item key → the new item that re-lists it.
    public var relisted: [String: String] = [:]
    /// Malformed events produced.
    public var malformed = 0
    /// The dataset's most frequent training items, most frequent first (keys as replayed): the
    /// MostPop baseline the summary scores on the same replay.
    public var mostPopular: [String] = []

    public static let itemsTopic = "resid.items.v1"
    public static let interactionsTopic = "resid.interactions.v1"

    /// - Parameters:
    ///   - dataset: the prepared dataset the bundle was trained on (same item keys).
    ///   - users: how many users to replay (spread evenly over the user list).
    ///   - eventsPerUser: each user's most recent events replayed, ending with the held-out one.
    ///   - newItems: never-seen items, each re-listing a random item of the replay (see above).
    ///   - malformed: hostile events mixed into the stream.
    public init(
        dataset: PreparedDataset, users: Int, eventsPerUser: Int, newItems newItemCount: Int, malformed: Int,
        seed: UInt64
    ) {
        var random = SeededRandom(seed: seed)
        let sequences = dataset.sequences
        let chosen = Self.spread(count: min(users, sequences.userCount), over: sequences.userCount)

        // Interactions of the chosen users, merged by their real timestamps.
        var timeline: [(time: Double, user: Int, position: Int)] = []
        for user in chosen {
            let length = sequences.length(user)
            for position in max(0, length - eventsPerUser)..<length {
                timeline.append((sequences.timestamps[sequences.offsets[user] + position], user, position))
            }
        }
        timeline.sort { ($0.time, $0.user, $0.position) < ($1.time, $1.user, $1.position) }
        func itemIndex(user: Int, position: Int) -> Int {
            let sequence = sequences.sequence(user)
            return Int(sequence[sequence.startIndex + position])
        }

        // Cold-start items first, so they are in every instance's trie before the replay: each
        // re-lists a distinct item the replay holds, drawn with the seed.
        var candidates = Array(Set(timeline.map { itemIndex(user: $0.user, position: $0.position) })).sorted()
        for index in 0..<min(newItemCount, candidates.count) {
            let template = candidates.remove(at: random.int(below: candidates.count))
            var fields = dataset.items.values(item: template)
            fields["item_id"] = nil
            let key = "new:\(index + 1)"
            newItems.append(key)
            relisted[dataset.items.keys[template]] = key
            messages.append(
                Message(topic: Self.itemsTopic, key: key, value: Self.itemEvent(key: key, fields: fields, index: index))
            )
        }
        func key(_ item: Int) -> String {
            let original = dataset.items.keys[item]
            return relisted[original] ?? original
        }

        mostPopular = MostPopular(split: dataset.split).ranking.prefix(100).map { key(Int($0)) }

        let hostileEvery = malformed > 0 ? max(1, timeline.count / malformed) : Int.max
        var replayedItems: [String: Set<String>] = [:]
        for (n, event) in timeline.enumerated() {
            let sequence = sequences.sequence(event.user)
            let user = dataset.userKeys[event.user]
            let item = key(itemIndex(user: event.user, position: event.position))
            let id = "demo-\(user)-\(event.position)"
            let last = event.position == sequence.count - 1
            replayedItems[user, default: []].insert(item)
            replayed[id] = Replayed(
                user: user,
                nextItem: last ? nil : key(itemIndex(user: event.user, position: event.position + 1)),
                nextIsHeldOut: event.position + 1 == sequence.count - 1,
                earlier: replayedItems[user] ?? [])
            messages.append(
                Message(
                    topic: Self.interactionsTopic, key: user,
                    value: Self.interaction(id: id, user: user, item: item, timestamp: event.time), eventID: id))
            if n % hostileEvery == hostileEvery - 1, self.malformed < malformed {
                messages.append(Self.hostile(self.malformed, user: user))
                self.malformed += 1
            }
        }
    }

    /// `count` indices spread evenly over `0..<total` (deterministic, not the first few).
    private static func spread(count: Int, over total: Int) -> [Int] {
        guard count > 0 else { return [] }
        return (0..<count).map { $0 * total / count }
    }

    private static func interaction(id: String, user: String, item: String, timestamp: Double) -> [UInt8] {
        json([
            "schema_version": 1, "event_id": id, "user": user, "item": item, "type": "rating",
            "timestamp_ms": Int64(timestamp * 1000),
        ])
    }

    private static func itemEvent(key: String, fields: [String: [String]], index: Int) -> [UInt8] {
        json([
            "schema_version": 1, "event_id": "demo-item-\(index + 1)", "op": "upsert", "item": key,
            "fields": fields, "timestamp_ms": Int64(Date().timeIntervalSince1970 * 1000),
        ])
    }

    /// Malformed events of several kinds, each of which the daemon must dead-letter.
    private static func hostile(_ n: Int, user: String) -> Message {
        let kinds: [(String, String)] = [
            (interactionsTopic, #"{"schema_version": 1, "event_id": "bad-json-\#(n)", "user": "#),
            (
                interactionsTopic,
                #"{"schema_version": 1, "event_id": "bad-type-\#(n)", "user": 42, "item": "1", "type": "rating", "timestamp_ms": 1}"#
            ),
            (
                interactionsTopic,
                #"{"schema_version": 9, "event_id": "bad-version-\#(n)", "user": "u", "item": "1", "type": "rating", "timestamp_ms": 1}"#
            ),
            (
                interactionsTopic,
                #"{"schema_version": 1, "event_id": "bad-value-\#(n)", "user": "u", "item": "1", "type": "rating", "value": "NaN", "timestamp_ms": 1}"#
            ),
            (
                interactionsTopic,
                #"{"schema_version": 1, "event_id": "unknown-item-\#(n)", "user": "\#(user)", "item": "no-such-item-\#(n)", "type": "rating", "timestamp_ms": 1}"#
            ),
            (
                itemsTopic,
                #"{"schema_version": 1, "event_id": "bad-item-\#(n)", "op": "upsert", "item": "x\#(n)", "fields": {"genres": [\#(String(repeating: "\"a\",", count: 200))"a"]}, "timestamp_ms": 1}"#
            ),
        ]
        let (topic, text) = kinds[n % kinds.count]
        return Message(topic: topic, key: topic == itemsTopic ? "x\(n)" : user, value: Array(text.utf8))
    }

    private static func json(_ object: [String: Any]) -> [UInt8] {
        // Keys sorted for reproducible bytes; the values are plain JSON types built above.
        (try? Array(JSONSerialization.data(withJSONObject: object, options: [.sortedKeys]))) ?? []
    }
}
