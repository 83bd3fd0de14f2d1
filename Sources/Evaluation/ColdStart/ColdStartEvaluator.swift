public import Data
import Tensor

/// Scores ``ColdStartRecommender``s on held-out events of a ``ColdStartSplit``.
///
/// Every event is ranked over the whole catalogue; events whose target is a new item are also
/// ranked over the new items only. Events are dealt out in batches to `threads` workers, each
/// with its own recommender from the factory, and their tallies merged.
public struct ColdStartEvaluator: Sendable {
    public let split: ColdStartSplit
    /// The events to score.
    public let events: [SampleReference]
    /// The longest history a request carries.
    public var historyLimit: Int
    public var batchSize: Int
    public var threads: Int
    /// The K of Recall@K and NDCG@K, and of the lists counted for new items.
    public var k: Int

    public init(
        split: ColdStartSplit, events: [SampleReference], historyLimit: Int = 32, batchSize: Int = 64, threads: Int = 1,
        k: Int = 10
    ) {
        self.split = split
        self.events = events
        self.historyLimit = historyLimit
        self.batchSize = max(1, batchSize)
        self.threads = max(1, threads)
        self.k = k
    }

    /// Scores the recommenders `make` builds (one per worker).
    public func evaluate(_ make: @escaping @Sendable () throws -> any ColdStartRecommender) throws -> ColdStartTally {
        let batches = stride(from: 0, to: events.count, by: batchSize).map {
            events[$0..<min($0 + batchSize, events.count)]
        }
        let workers = max(1, min(threads, batches.count))
        let (split, k, limit) = (self.split, self.k, historyLimit)
        let partials = try ParallelWork.map(count: workers, workers: workers) { worker -> ColdStartTally in
            let model = try make()
            var tally = ColdStartTally(cutoffs: [k])
            for index in stride(from: worker, to: batches.count, by: workers) {
                let batch = Array(batches[index])
                let requests = batch.map {
                    ColdStartRequest(history: split.history($0, limit: limit), time: split.timestamp($0))
                }
                let lists = try model.recommend(requests, k: k, newOnly: false)
                let newEvents = batch.indices.filter { split.isNew(split.target(batch[$0])) }
                let restricted =
                    newEvents.isEmpty ? [] : try model.recommend(newEvents.map { requests[$0] }, k: k, newOnly: true)
                for (sample, list) in zip(batch, lists) {
                    let target = split.target(sample)
                    if split.isNew(target) {
                        tally.newTargets.record(ranking: list, target: target)
                    } else {
                        tally.warmTargets.record(ranking: list, target: target)
                    }
                    let fresh = list.filter { split.isNew($0) }
                    tally.newItemRecommendations += fresh.count
                    tally.recommendedNewItems.formUnion(fresh)
                    tally.lists += 1
                }
                for (position, list) in zip(newEvents, restricted) {
                    tally.newTargetsAmongNewItems.record(ranking: list, target: split.target(batch[position]))
                }
            }
            return tally
        }
        var tally = ColdStartTally(cutoffs: [k])
        for partial in partials { tally.merge(partial) }
        return tally
    }
}
