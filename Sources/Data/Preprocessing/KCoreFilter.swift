/// The k-core filter: drops users and items with fewer than `k` events, repeatedly, until every
/// remaining user and item has at least `k` (a fixed point; dropping an item can push a user
/// below `k` and the other way round).
///
/// Counts are events, so a repeated (user, item) pair counts each time it occurs.
public struct KCoreFilter: Sendable {
    /// The minimum number of events per user and per item (5 in the paper's protocol).
    public var k: Int

    /// A filter with threshold `k`.
    public init(k: Int = 5) { self.k = k }

    /// The outcome of filtering.
    public struct Result: Sendable {
        /// The kept events in source order (users renumbered, item indices unchanged).
        public var log: InteractionLog
        /// Catalogue indices of the items that remain, ascending.
        public var keptItems: [Int]
        /// Number of passes until nothing changed (the last pass removes nothing).
        public var passes: Int
    }

    /// Filters `log`, whose item indices are below `itemCount`.
    public func apply(_ log: InteractionLog, itemCount: Int) -> Result {
        var alive = [Bool](repeating: true, count: log.count)
        var passes = 0
        var userCounts = [Int](repeating: 0, count: log.userCount)
        var itemCounts = [Int](repeating: 0, count: itemCount)
        while true {
            passes += 1
            for index in userCounts.indices { userCounts[index] = 0 }
            for index in itemCounts.indices { itemCounts[index] = 0 }
            for event in 0..<log.count where alive[event] {
                userCounts[Int(log.users[event])] += 1
                itemCounts[Int(log.items[event])] += 1
            }
            var removed = 0
            for event in 0..<log.count where alive[event] {
                if userCounts[Int(log.users[event])] < k || itemCounts[Int(log.items[event])] < k {
                    alive[event] = false
                    removed += 1
                }
            }
            if removed == 0 { break }
        }
        let keptItems = itemCounts.indices.filter { itemCounts[$0] > 0 }
        return Result(log: log.filtered { alive[$0] }, keptItems: keptItems, passes: passes)
    }
}
