import Redis
public import ServingState
import Tensor

/// The synthetic workload: uniform random users and items; every user's offsets increase, and
/// each user's events go to one client (as one Kafka partition would), so every update applies.
public struct RedisBenchWorkload: Sendable {
    private let users: Int
    private var rng: SeededRandom
    private var nextOffset: [Int64]

    public init(users: Int, seed: UInt64) {
        self.users = users
        rng = SeededRandom(seed: seed)
        nextOffset = Array(repeating: 0, count: users)
    }

    /// `user:000000001234`: zero-padded to 12 digits, as redis-benchmark writes `__rand_int__`.
    public static func userKey(_ index: Int) -> String {
        let digits = String(index)
        return "user:" + String(repeating: "0", count: max(0, 12 - digits.count)) + digits
    }
    public static func itemKey(_ index: Int) -> String { "item:\(index)" }

    /// `length` events for every user, split across one batch per user block.
    public mutating func warmUp(length: Int) -> [[PrefixEvent]] {
        var batch: [PrefixEvent] = []
        batch.reserveCapacity(users * length)
        for _ in 0..<length {
            for user in 0..<users { batch.append(event(user: user)) }
        }
        return [batch]
    }

    /// `events` events over random users, split into `clients` batches by user.
    public mutating func next(events: Int, clients: Int) -> [[PrefixEvent]] {
        var batches = Array(repeating: [PrefixEvent](), count: clients)
        for _ in 0..<events {
            let user = rng.int(below: users)
            batches[user % clients].append(event(user: user))
        }
        return batches
    }

    private mutating func event(user: Int) -> PrefixEvent {
        defer { nextOffset[user] += 1 }
        return PrefixEvent(
            user: Self.userKey(user), item: Self.itemKey(100_000 + rng.int(below: 900_000)), partition: 0,
            offset: nextOffset[user])
    }
}
