/// Settings of ``SyntheticDatasetGenerator``. Defaults give an Amazon-like catalogue: a store
/// and a 3-level category path per item, Zipf popularity, short sequences (mean 10 events).
public struct SyntheticConfiguration: Sendable, Codable, Equatable {
    /// Catalogue size as generated (1,000 to 500,000 is the intended range; any value ≥ 10
    /// works). The 5-core filter then drops the coldest items; fewer go with more users and a lower
    /// ``popularityExponent`` (`resid data stats --dataset synthetic` prints the figures).
    public var itemCount: Int = 10_000
    /// Users; `nil` means `2 * itemCount` (at least 100), which gives about 20 events per item.
    public var userCount: Int?
    /// Stores (sellers/brands); `nil` means `itemCount / 50` (at least 4).
    public var storeCount: Int?
    /// Top-level categories.
    public var level1Categories: Int = 16
    /// Children of each level-1 category.
    public var level2PerParent: Int = 8
    /// Children of each level-2 category (the leaves).
    public var level3PerParent: Int = 6
    /// Exponent `s` of the Zipf item popularity `rank^-s`. Lower values (0.6-0.8) keep more of
    /// a large catalogue through the 5-core filter.
    public var popularityExponent: Double = 1.0
    /// Probability that an item's category lies under its store's home level-2 category.
    public var storeFocus: Double = 0.8
    /// Shortest user sequence.
    public var minSequenceLength: Int = 5
    /// Mean user sequence length (lengths are `min` + a geometric-like tail).
    public var meanSequenceLength: Double = 10
    /// Longest user sequence.
    public var maxSequenceLength: Int = 200
    /// Probability that the next item is one of the previous item's co-occurring items.
    public var coOccurrenceProbability: Double = 0.5
    /// Probability that the next item is drawn by global popularity alone.
    public var explorationProbability: Double = 0.05
    /// Co-occurring items listed per item (mostly same level-2 category, some same store).
    public var relatedItemsPerItem: Int = 8
    /// Most level-2 categories a user is interested in (each user gets 1 to this many).
    public var interestsPerUser: Int = 3
    /// Seed: the same seed and settings give the same dataset, bit for bit.
    public var seed: UInt64 = 1

    /// The defaults with `itemCount` items and seed `seed`.
    public init(itemCount: Int = 10_000, seed: UInt64 = 1) {
        self.itemCount = itemCount
        self.seed = seed
    }

    /// The effective number of users.
    public var resolvedUserCount: Int { userCount ?? max(100, 2 * itemCount) }
    /// The effective number of stores.
    public var resolvedStoreCount: Int { storeCount ?? max(4, itemCount / 50) }

    /// Checks ranges.
    /// - Throws: ``DataError/Code/invalidArgument`` naming the setting.
    public func validate() throws {
        func check(_ ok: Bool, _ field: String, _ rule: String) throws {
            if !ok { throw DataError(.invalidArgument, "must be \(rule)", field: field) }
        }
        try check(itemCount >= 10 && itemCount <= 50_000_000, "itemCount", "between 10 and 50,000,000")
        try check(resolvedUserCount >= 1, "userCount", "at least 1")
        try check(resolvedStoreCount >= 1, "storeCount", "at least 1")
        try check(
            level1Categories >= 1 && level2PerParent >= 1 && level3PerParent >= 1, "levelNCategories", "at least 1 each"
        )
        try check(popularityExponent >= 0 && popularityExponent <= 4, "popularityExponent", "between 0 and 4")
        try check((0...1).contains(storeFocus), "storeFocus", "a probability")
        try check(minSequenceLength >= 1, "minSequenceLength", "at least 1")
        try check(maxSequenceLength >= minSequenceLength, "maxSequenceLength", "at least minSequenceLength")
        try check(meanSequenceLength >= Double(minSequenceLength), "meanSequenceLength", "at least minSequenceLength")
        try check(
            coOccurrenceProbability >= 0 && explorationProbability >= 0
                && coOccurrenceProbability + explorationProbability <= 1,
            "coOccurrenceProbability", "non-negative, and with explorationProbability at most 1")
        try check(relatedItemsPerItem >= 1, "relatedItemsPerItem", "at least 1")
        try check(interestsPerUser >= 1, "interestsPerUser", "at least 1")
    }
}
