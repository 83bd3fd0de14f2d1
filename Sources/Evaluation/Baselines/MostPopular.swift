public import Data

/// MostPop: every user gets the catalogue's most frequent training targets, in order of count.
///
/// Counts cover the training part of each sequence only (positions `0 ... n − 3`), so neither a
/// validation nor a test target is counted. A user's earlier items are left out only when the
/// protocol asks for it (``RankingEvaluator/excludeHistory``), as for every model in the
/// harness. It is the floor every sequential model has to clear.
public struct MostPopular: SequenceRecommender, Sendable {
    public let name = "mostpop"
    /// Items by descending training count (ties to the lower index).
    public let ranking: [Int32]

    /// Counts the training interactions of `split`.
    public init(split: LeaveOneOutSplit) {
        let sequences = split.sequences
        var counts = [Int](repeating: 0, count: (sequences.items.max().map { Int($0) + 1 }) ?? 0)
        for user in 0..<sequences.userCount {
            let start = sequences.offsets[user]
            let trainingEnd = start + max(0, sequences.length(user) - 2)
            for item in sequences.items[start..<trainingEnd] { counts[Int(item)] += 1 }
        }
        ranking = counts.indices.sorted { counts[$0] != counts[$1] ? counts[$0] > counts[$1] : $0 < $1 }.map {
            Int32($0)
        }
    }

    public func recommend(histories: [ArraySlice<Int32>], k: Int, excluding: [ArraySlice<Int32>]) throws -> [[Int32]] {
        guard !excluding.isEmpty else {
            let top = Array(ranking.prefix(k))
            return histories.map { _ in top }
        }
        return excluding.map { earlier in
            let left = Set(earlier)
            var top: [Int32] = []
            top.reserveCapacity(k)
            for item in ranking where !left.contains(item) {
                top.append(item)
                if top.count == k { break }
            }
            return top
        }
    }
}
