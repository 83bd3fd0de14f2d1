import Foundation

/// Quality figures for any quantiser's item codes (an ``SIDTable``).
public struct QuantizerDiagnostics: Sendable, Codable {
    /// Figures for one level.
    public struct Level: Sendable, Codable {
        public var level: Int
        /// Codes the level may use.
        public var vocabularySize: Int
        /// Distinct codes items actually use at this level.
        public var codesUsed: Int
        /// Distinct prefixes `(c_1 .. c_l)`: the clusters of the hierarchy at this depth.
        public var clusters: Int
        /// Sizes of those clusters.
        public var clusterSizeMin: Int
        public var clusterSizeMax: Int
        public var clusterSizeMean: Double
        /// Standard deviation over mean of the cluster sizes (0 = perfectly balanced).
        public var clusterSizeCV: Double
        /// `H(c_l | c_<l)` in bits: how much this level adds beyond its prefix.
        public var conditionalEntropyBits: Double
    }

    public var items: Int
    /// Distinct full code sequences.
    public var distinctSIDs: Int
    /// `items - distinctSIDs`: items that share an SID with an earlier item.
    public var collisions: Int
    public var levels: [Level]

    /// Computes the figures for `table`.
    public init(_ table: SIDTable) {
        let n = table.count
        items = n
        distinctSIDs = Set(table.codes).count
        collisions = n - Set(table.codes).count
        var levels: [Level] = []
        var previousEntropy = 0.0
        for l in 0..<table.levels {
            var prefixCounts: [ArraySlice<Int>: Int] = [:]
            var codes = Set<Int>()
            for code in table.codes {
                prefixCounts[code[0...l], default: 0] += 1
                codes.insert(code[l])
            }
            let sizes = Array(prefixCounts.values)
            let mean = Double(n) / Double(max(sizes.count, 1))
            let variance =
                sizes.reduce(0.0) { $0 + (Double($1) - mean) * (Double($1) - mean) } / Double(max(sizes.count, 1))
            let entropy = sizes.reduce(0.0) { partial, count in
                let p = Double(count) / Double(n)
                return partial - p * log2(p)
            }
            levels.append(
                Level(
                    level: l + 1, vocabularySize: table.levelSizes[l], codesUsed: codes.count, clusters: sizes.count,
                    clusterSizeMin: sizes.min() ?? 0, clusterSizeMax: sizes.max() ?? 0, clusterSizeMean: mean,
                    clusterSizeCV: mean > 0 ? variance.squareRoot() / mean : 0,
                    conditionalEntropyBits: entropy - previousEntropy
                ))
            previousEntropy = entropy
        }
        self.levels = levels
    }
}

/// How often a target item shares codes with its history (the paper's Table 9 measure).
public struct HistoryOverlap: Sendable, Codable {
    /// Figures for one level.
    public struct Level: Sendable, Codable {
        public var level: Int
        /// Share of samples whose target's code at this level (the code alone) occurs in the history.
        public var sameCodeHitRate: Double
        /// Mean share of history items whose code at this level equals the target's.
        public var sameCodeShare: Double
        /// Share of samples whose target's prefix `(c_1 .. c_l)` occurs in the history.
        public var samePrefixHitRate: Double
    }

    /// Samples with at least one history item.
    public var samples: Int
    public var levels: [Level]

    /// - Parameters:
    ///   - table: the items' codes.
    ///   - sequences: item indices, each sequence being a history followed by its target (the last
    ///     element). Sequences shorter than two items and indices outside the table are skipped.
    public init(_ table: SIDTable, sequences: [[Int]]) {
        let usable = sequences.filter { $0.count >= 2 && $0.allSatisfy { $0 >= 0 && $0 < table.count } }
        samples = usable.count
        levels = (0..<table.levels).map { l in
            var hits = 0, prefixHits = 0
            var share = 0.0
            for sequence in usable {
                let target = table.codes[sequence[sequence.count - 1]]
                let history = sequence.dropLast().map { table.codes[$0] }
                let same = history.filter { $0[l] == target[l] }.count
                if same > 0 { hits += 1 }
                if history.contains(where: { $0[0...l] == target[0...l] }) { prefixHits += 1 }
                share += Double(same) / Double(history.count)
            }
            let denominator = Double(max(usable.count, 1))
            return Level(
                level: l + 1, sameCodeHitRate: Double(hits) / denominator,
                sameCodeShare: share / denominator, samePrefixHitRate: Double(prefixHits) / denominator
            )
        }
    }
}
