/// Interaction events as parallel arrays: who, which item, when, and where in the source.
///
/// Users are interned to dense indices (``userKeys``); items are dense indices of the
/// dataset's catalogue ``ItemTable``. ``sourceOrder`` is each event's position in its source
/// (the 1-based line number for text files, the generation order for synthetic data) and breaks
/// timestamp ties when sequences are sorted.
public struct InteractionLog: Sendable, Equatable {
    /// User keys by dense user index.
    public private(set) var userKeys: [String] = []
    /// The user index of each event.
    public private(set) var users: [Int32] = []
    /// The catalogue item index of each event.
    public private(set) var items: [Int32] = []
    /// The timestamp of each event (any unit whose order is time order; seconds for MovieLens).
    public private(set) var timestamps: [Double] = []
    /// Each event's position in its source, increasing in source order.
    public private(set) var sourceOrder: [Int64] = []
    private var userIndex: [String: Int32] = [:]

    /// An empty log.
    public init() {}

    /// Number of events.
    public var count: Int { users.count }

    /// Number of distinct users.
    public var userCount: Int { userKeys.count }

    /// The dense index of a user key, or `nil`.
    public func index(ofUser key: String) -> Int? { userIndex[key].map(Int.init) }

    /// Appends an event, interning the user key.
    public mutating func append(user: String, item: Int, timestamp: Double, sourceOrder order: Int64) {
        let userID: Int32
        if let known = userIndex[user] {
            userID = known
        } else {
            userID = Int32(userKeys.count)
            userKeys.append(user)
            userIndex[user] = userID
        }
        append(userIndex: Int(userID), item: item, timestamp: timestamp, sourceOrder: order)
    }

    /// Appends an event for an already interned user index (used by generators).
    public mutating func append(userIndex user: Int, item: Int, timestamp: Double, sourceOrder order: Int64) {
        users.append(Int32(user))
        items.append(Int32(item))
        timestamps.append(timestamp)
        sourceOrder.append(order)
    }

    /// Registers user keys in order (so user `i` has key `keys[i]`) before appending by index.
    /// Keys already present are skipped.
    public mutating func internUsers(_ keys: [String]) {
        for key in keys where userIndex[key] == nil {
            userIndex[key] = Int32(userKeys.count)
            userKeys.append(key)
        }
    }

    /// Reserves room for `events` more events.
    public mutating func reserve(events: Int) {
        users.reserveCapacity(count + events)
        items.reserveCapacity(count + events)
        timestamps.reserveCapacity(count + events)
        sourceOrder.reserveCapacity(count + events)
    }

    /// The events whose position satisfies `isKept`, with users that keep no event dropped and
    /// the rest renumbered in order of first appearance. Items keep their catalogue indices.
    public func filtered(_ isKept: (Int) -> Bool) -> InteractionLog {
        var result = InteractionLog()
        var newUser = [Int32](repeating: -1, count: userKeys.count)
        for event in 0..<count where isKept(event) {
            let old = Int(users[event])
            if newUser[old] < 0 {
                newUser[old] = Int32(result.userKeys.count)
                result.userKeys.append(userKeys[old])
                result.userIndex[userKeys[old]] = newUser[old]
            }
            result.append(
                userIndex: Int(newUser[old]), item: Int(items[event]), timestamp: timestamps[event],
                sourceOrder: sourceOrder[event])
        }
        return result
    }

    public static func == (lhs: InteractionLog, rhs: InteractionLog) -> Bool {
        lhs.userKeys == rhs.userKeys && lhs.users == rhs.users && lhs.items == rhs.items
            && lhs.timestamps == rhs.timestamps && lhs.sourceOrder == rhs.sourceOrder
    }
}
