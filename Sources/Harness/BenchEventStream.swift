import Foundation
public import Kafka
import Tensor

/// The synthetic event stream: seeded random (user, item) pairs over the bundle's items.
public struct BenchEventStream: Sendable {
    public struct Event: Sendable {
        public var id: String
        public var message: KafkaProducerMessage
    }

    private let items: [String]
    private let users: Int
    private let topic: String
    private var random: SeededRandom
    private var counter = 0

    public init(items: [String], users: Int, seed: UInt64, topic: String) {
        self.items = items
        self.users = users
        self.topic = topic
        random = SeededRandom(seed: seed)
    }

    public static func user(_ index: Int) -> String { "bench-user-\(index)" }

    public mutating func next(_ count: Int) -> [Event] {
        (0..<count).map { _ in
            counter += 1
            let user = Self.user(Int(random.next() % UInt64(users)))
            let item = items[Int(random.next() % UInt64(items.count))]
            let id = "bench-\(counter)"
            let json =
                #"{"schema_version":1,"event_id":"\#(id)","user":"\#(user)","item":"\#(Self.escape(item))","type":"view","timestamp_ms":\#(Int64(Date().timeIntervalSince1970 * 1000))}"#
            return Event(id: id, message: KafkaProducerMessage(topic: topic, key: user, value: Array(json.utf8)))
        }
    }

    public static func escape(_ text: String) -> String {
        text.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"")
    }
}
