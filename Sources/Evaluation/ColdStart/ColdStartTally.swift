/// What one method achieved on the held-out events of a cold-start evaluation.
///
/// New-item targets are scored twice: against the whole catalogue (a new item must beat every
/// warm item) and with the candidates restricted to new items (how well the method orders new
/// items among themselves). Other targets are scored against the whole catalogue. Every
/// standard error is over held-out events.
public struct ColdStartTally: Sendable, Codable {
    /// Events whose target is a new item, ranked over the whole catalogue.
    public var newTargets: RankingMetrics
    /// The same events, ranked over the new items only.
    public var newTargetsAmongNewItems: RankingMetrics
    /// Events whose target is a warm item, ranked over the whole catalogue.
    public var warmTargets: RankingMetrics
    /// Distinct new items in at least one whole-catalogue top-K list.
    public var recommendedNewItems: Set<Int32>
    /// New items counted over every whole-catalogue top-K list.
    public var newItemRecommendations: Int
    /// Whole-catalogue top-K lists made.
    public var lists: Int

    public init(cutoffs: [Int] = [10]) {
        newTargets = RankingMetrics(cutoffs: cutoffs)
        newTargetsAmongNewItems = RankingMetrics(cutoffs: cutoffs)
        warmTargets = RankingMetrics(cutoffs: cutoffs)
        recommendedNewItems = []
        newItemRecommendations = 0
        lists = 0
    }

    /// Adds another worker's events.
    public mutating func merge(_ other: ColdStartTally) {
        newTargets.merge(other.newTargets)
        newTargetsAmongNewItems.merge(other.newTargetsAmongNewItems)
        warmTargets.merge(other.warmTargets)
        recommendedNewItems.formUnion(other.recommendedNewItems)
        newItemRecommendations += other.newItemRecommendations
        lists += other.lists
    }

    /// The figures by name, for JSON reports: `new.recall@10`, `new.recall@10.se`,
    /// `new-among-new.ndcg@10`, `warm.recall@10`, `new-items-recommended-share`, ...
    public func summary(newItems: Int) -> [String: Double] {
        var out: [String: Double] = [:]
        for (prefix, metrics) in [
            ("new", newTargets), ("new-among-new", newTargetsAmongNewItems), ("warm", warmTargets),
        ] {
            for (name, value) in metrics.summary { out[prefix + "." + name] = value }
            out[prefix + ".events"] = Double(metrics.users)
        }
        out["new-items-recommended"] = Double(recommendedNewItems.count)
        out["new-items-recommended-share"] = newItems > 0 ? Double(recommendedNewItems.count) / Double(newItems) : 0
        out["new-item-share-of-recommendations"] =
            lists > 0 ? Double(newItemRecommendations) / Double(lists * (newTargets.cutoffs.max() ?? 10)) : 0
        return out
    }
}
