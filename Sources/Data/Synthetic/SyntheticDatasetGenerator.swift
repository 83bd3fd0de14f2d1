import Foundation
import Tensor

/// Generates a **synthetic** dataset with the structure of the paper's Amazon-2023 data, for
/// tests and scale benchmarks. Nothing it makes describes real users; its dataset name starts
/// with `synthetic-` and ``Dataset/isSynthetic`` is true.
///
/// Structure (all draws from ``SeededRandom`` with the configured seed):
/// - **Category tree**: `level1 x level2 x level3` nodes; leaf sizes follow a Zipf(0.8) law.
/// - **Stores**: each has a home level-2 category and a Zipf(1) share of the catalogue.
/// - **Items**: a store (by store share), then with probability `storeFocus` a leaf under the
///   store's home level-2 category, else any leaf (by leaf size). Fields: `store_id`,
///   `cate1_id`, `cate2_id`, `cate3_id` (single-valued; level ids are global, as in the paper's data).
/// - **Popularity**: item `i` has weight `rank(i)^-s` for a random permutation of ranks.
/// - **Co-occurrence**: each item lists `relatedItemsPerItem` items (70% from its level-2
///   category, 30% from its store, by popularity).
/// - **Users**: 1 to `interestsPerUser` level-2 interests with random weights. Each next item is,
///   with probability `coOccurrenceProbability`, a co-occurring item of the previous one (earlier
///   list entries likelier); with `explorationProbability` a globally popular item; otherwise a
///   popular item of one of the user's interests. Items already in the sequence are redrawn
///   (up to 3 tries), as Amazon sequences rarely repeat.
/// - **Time**: users start at random times in two years from 2021-01-01; gaps are exponential
///   with mean 3 days, and 5% are 0 (same-second events, to exercise the tie rule).
///
/// Users are generated from independent streams (`split(user)`), so a user's sequence does not
/// depend on the others.
public struct SyntheticDatasetGenerator: Sendable {
    /// The settings.
    public let configuration: SyntheticConfiguration

    /// A generator for `configuration`.
    /// - Throws: ``DataError/Code/invalidArgument`` if a setting is out of range.
    public init(_ configuration: SyntheticConfiguration) throws {
        try configuration.validate()
        self.configuration = configuration
    }

    /// The dataset name: `synthetic-<items>items-seed<seed>`.
    public var datasetName: String { "synthetic-\(configuration.itemCount)items-seed\(configuration.seed)" }

    /// Generates the dataset.
    public func generate() throws -> Dataset {
        let c = configuration
        var random = SeededRandom(seed: c.seed)
        let level2Count = c.level1Categories * c.level2PerParent
        let leafCount = level2Count * c.level3PerParent
        let storeCount = c.resolvedStoreCount

        let leaves = CumulativeSampler(weights: Self.zipfWeights(count: leafCount, exponent: 0.8, random: &random))
        let level2 = CumulativeSampler(
            weights: (0..<level2Count).map {
                leaves.weight(of: ($0 * c.level3PerParent)..<(($0 + 1) * c.level3PerParent))
            })
        let stores = CumulativeSampler(weights: Self.zipfWeights(count: storeCount, exponent: 1.0, random: &random))
        let storeHome = (0..<storeCount).map { _ in level2.sample(using: &random) }

        // Items: store, leaf, popularity.
        var itemStore = [Int32](repeating: 0, count: c.itemCount)
        var itemLeaf = [Int32](repeating: 0, count: c.itemCount)
        for item in 0..<c.itemCount {
            let store = stores.sample(using: &random)
            itemStore[item] = Int32(store)
            if random.nextDouble() < c.storeFocus {
                let home = storeHome[store]
                itemLeaf[item] = Int32(
                    leaves.sample(in: (home * c.level3PerParent)..<((home + 1) * c.level3PerParent), using: &random))
            } else {
                itemLeaf[item] = Int32(leaves.sample(using: &random))
            }
        }
        let popularity = Self.zipfWeights(count: c.itemCount, exponent: c.popularityExponent, random: &random)
        let global = CumulativeSampler(weights: popularity)
        let byLevel2 = ItemGroups(
            groupOf: itemLeaf.map { Int($0) / c.level3PerParent }, groupCount: level2Count, weights: popularity)
        let byStore = ItemGroups(groupOf: itemStore.map(Int.init), groupCount: storeCount, weights: popularity)

        // Co-occurrence lists.
        let related = c.relatedItemsPerItem
        var relatedItems = [Int32](repeating: 0, count: c.itemCount * related)
        for item in 0..<c.itemCount {
            for slot in 0..<related {
                var pick = item
                for _ in 0..<3 where pick == item {
                    pick =
                        random.nextDouble() < 0.7
                        ? byLevel2.sample(group: Int(itemLeaf[item]) / c.level3PerParent, using: &random)
                        : byStore.sample(group: Int(itemStore[item]), using: &random)
                }
                relatedItems[item * related + slot] = Int32(pick)
            }
        }

        // Users.
        let userCount = c.resolvedUserCount
        var log = InteractionLog()
        log.reserve(events: Int(Double(userCount) * c.meanSequenceLength))
        log.internUsers((0..<userCount).map { "u\($0)" })
        let base = random
        var order: Int64 = 0
        var sequence: [Int] = []
        for user in 0..<userCount {
            var r = base.split(UInt64(user))
            let interestCount = 1 + r.int(below: c.interestsPerUser)
            let interests = (0..<interestCount).map { _ in level2.sample(using: &r) }
            let interestWeights = CumulativeSampler(weights: (0..<interestCount).map { _ in 0.2 + r.nextDouble() })
            let tail =
                -Foundation.log(max(r.nextDouble(), 1e-12)) * (c.meanSequenceLength - Double(c.minSequenceLength))
            let length = min(c.maxSequenceLength, c.minSequenceLength + Int(tail.rounded(.down)))
            var time = 1_609_459_200.0 + (r.nextDouble() * 2 * 365 * 86_400).rounded(.down)
            sequence.removeAll(keepingCapacity: true)
            for step in 0..<length {
                var item = 0
                for _ in 0..<3 {
                    let u = r.nextDouble()
                    if step > 0 && u < c.coOccurrenceProbability {
                        let slot = min(r.int(below: related), r.int(below: related))
                        item = Int(relatedItems[sequence[step - 1] * related + slot])
                    } else if u < c.coOccurrenceProbability + c.explorationProbability {
                        item = global.sample(using: &r)
                    } else {
                        item = byLevel2.sample(group: interests[interestWeights.sample(using: &r)], using: &r)
                    }
                    if !sequence.contains(item) { break }
                }
                sequence.append(item)
                if step > 0 && r.nextDouble() >= 0.05 {
                    time += (-Foundation.log(max(r.nextDouble(), 1e-12)) * 3 * 86_400).rounded(.down) + 1
                }
                order += 1
                log.append(userIndex: user, item: item, timestamp: time, sourceOrder: order)
            }
        }

        let catalog = try ItemTable(
            keys: (0..<c.itemCount).map { "i\($0)" },
            fields: [
                ItemField(name: "store_id", kind: .single, vocabulary: Vocabulary((0..<storeCount).map { "s\($0)" })),
                ItemField(
                    name: "cate1_id", kind: .single, vocabulary: Vocabulary((0..<c.level1Categories).map { "c1-\($0)" })
                ),
                ItemField(
                    name: "cate2_id", kind: .single, vocabulary: Vocabulary((0..<level2Count).map { "c2-\($0)" })),
                ItemField(name: "cate3_id", kind: .single, vocabulary: Vocabulary((0..<leafCount).map { "c3-\($0)" })),
            ],
            columns: [
                FieldColumn(singleCodes: itemStore.map { $0 + 1 }),
                FieldColumn(singleCodes: itemLeaf.map { $0 / Int32(c.level3PerParent * c.level2PerParent) + 1 }),
                FieldColumn(singleCodes: itemLeaf.map { $0 / Int32(c.level3PerParent) + 1 }),
                FieldColumn(singleCodes: itemLeaf.map { $0 + 1 }),
            ])
        return Dataset(name: datasetName, isSynthetic: true, catalog: catalog, interactions: log)
    }

    /// Zipf weights `rank^-exponent` over a random permutation of ranks 1...count.
    private static func zipfWeights(count: Int, exponent: Double, random: inout SeededRandom) -> [Double] {
        var ranks = Array(1...count)
        random.shuffle(&ranks)
        return ranks.map { Foundation.pow(Double($0), -exponent) }
    }
}

/// Items grouped (by level-2 category or store) for drawing a popular item within a group.
private struct ItemGroups {
    private let members: [Int32]
    private let offsets: [Int]
    private let sampler: CumulativeSampler

    init(groupOf: [Int], groupCount: Int, weights: [Double]) {
        var offsets = [Int](repeating: 0, count: groupCount + 1)
        for group in groupOf { offsets[group + 1] += 1 }
        for group in 0..<groupCount { offsets[group + 1] += offsets[group] }
        var next = offsets
        var members = [Int32](repeating: 0, count: groupOf.count)
        for (item, group) in groupOf.enumerated() {
            members[next[group]] = Int32(item)
            next[group] += 1
        }
        self.members = members
        self.offsets = offsets
        sampler = CumulativeSampler(weights: members.map { weights[Int($0)] })
    }

    /// A member of `group` by popularity; for an empty group, a random member of any group.
    func sample(group: Int, using random: inout SeededRandom) -> Int {
        let range = offsets[group]..<offsets[group + 1]
        if range.isEmpty { return Int(members[random.int(below: members.count)]) }
        return Int(members[sampler.sample(in: range, using: &random)])
    }
}
