/// Every user's events in time order, stored as compressed rows.
///
/// **Order rule**: each user's events are sorted by timestamp, and events with equal timestamps
/// keep their order in the source (``InteractionLog/sourceOrder``: the line number for files).
/// The sort is stable and deterministic, so MovieLens' many same-second ratings always come out
/// in file order.
public struct UserSequences: Sendable, Equatable {
    /// Row starts: user `u`'s events are at `offsets[u] ..< offsets[u + 1]`.
    public let offsets: [Int]
    /// Item index of each event, user after user.
    public let items: [Int32]
    /// Timestamp of each event, aligned with ``items``.
    public let timestamps: [Double]

    /// Sorts `log`'s events per user; `itemIndex` maps a log item index to the index stored
    /// (for example catalogue → prepared table), or `nil` to keep it.
    public init(log: InteractionLog, itemIndex: [Int32]? = nil) {
        var counts = [Int](repeating: 0, count: log.userCount + 1)
        for user in log.users { counts[Int(user) + 1] += 1 }
        for user in 0..<log.userCount { counts[user + 1] += counts[user] }
        let offsets = counts
        // Bucket events by user in source order, then sort each user's bucket.
        var next = offsets
        var order = [Int](repeating: 0, count: log.count)
        for event in 0..<log.count {
            let user = Int(log.users[event])
            order[next[user]] = event
            next[user] += 1
        }
        for user in 0..<log.userCount {
            // A total order (event position last), so the result never depends on the sort algorithm.
            order[offsets[user]..<offsets[user + 1]].sort { a, b in
                if log.timestamps[a] != log.timestamps[b] { return log.timestamps[a] < log.timestamps[b] }
                if log.sourceOrder[a] != log.sourceOrder[b] { return log.sourceOrder[a] < log.sourceOrder[b] }
                return a < b
            }
        }
        self.offsets = offsets
        items = order.map { itemIndex?[Int(log.items[$0])] ?? log.items[$0] }
        timestamps = order.map { log.timestamps[$0] }
    }

    /// Number of users.
    public var userCount: Int { offsets.count - 1 }

    /// Number of events.
    public var eventCount: Int { items.count }

    /// User `user`'s items in time order.
    public func sequence(_ user: Int) -> ArraySlice<Int32> {
        items[offsets[user]..<offsets[user + 1]]
    }

    /// The number of events of user `user`.
    public func length(_ user: Int) -> Int { offsets[user + 1] - offsets[user] }

    /// Events whose timestamp equals the previous event of the same user (in a run of `n` equal
    /// timestamps, `n - 1` count).
    public var timeTies: Int {
        var ties = 0
        for user in 0..<userCount where length(user) > 1 {
            for event in (offsets[user] + 1)..<offsets[user + 1] where timestamps[event] == timestamps[event - 1] {
                ties += 1
            }
        }
        return ties
    }
}
