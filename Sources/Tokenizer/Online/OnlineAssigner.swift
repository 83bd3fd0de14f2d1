public import Tensor

/// Tokenizes unseen items against a frozen ``GAOQCodebook``.
///
/// Level 1 is the nearest level-1 centroid; level 2 the nearest child of that parent, mapped
/// through the parent's frozen child-to-anchor permutation; level 3 is claimed through a
/// ``Level3Claimer`` from the level-3 anchors ranked by cosine to the residual (vector minus the
/// chosen child centroid). Distances and cosines for a batch are computed with `sgemm`.
///
/// Each placement also lists spill groups: the other children of the nearest parent, then the
/// children of the next-nearest parent, each ordered by the same squared distance that chose
/// the item's own group. When the own group has no free code, the claim takes a free (trained)
/// code in the first of these that has one, so a burst of similar items spreads over
/// neighbouring groups instead of piling up overflow codes the generator never trained on.
public struct OnlineAssigner: Sendable {
    /// Where an item may land before its level-3 claim.
    public struct Placement: Sendable, Equatable {
        /// The item's own (nearest) group first, then its spill groups, nearest first. Every
        /// group ranks all level-3 codes `0 ..< g3`, best cosine first (ties by code).
        public var groups: [Level3CandidateGroup]

        /// The own group's level-1 code.
        public var c1: Int { groups[0].c1 }
        /// The own group's level-2 code.
        public var c2: Int { groups[0].c2 }
        /// The own group's level-3 codes, best first.
        public var candidates: [Int] { groups[0].candidates }
    }

    public let codebook: GAOQCodebook
    /// Spill groups listed after the own group, at most. They cover the own parent's other
    /// children first, then the next-nearest parent's; the claim script reads every one, so the
    /// bound keeps its arguments small on wide codebooks.
    public let spillGroups: Int
    /// `[b1 * b2, g3]`: each level-2 centroid's dot product with each level-3 anchor, divided by
    /// the anchor's norm. With the item's own products this ranks the anchors by cosine to the
    /// residual from any group's centroid without forming the residual (the residual's norm is
    /// the same for every anchor of one group, so it does not change the order).
    private let centroidAnchorProducts: [Float]
    /// Norm of each level-3 anchor (1 up to rounding: the anchors are orthonormal).
    private let anchorNorms: [Float]

    /// - Parameters:
    ///   - codebook: the frozen codebook.
    ///   - spillGroups: spill groups per placement (0: own group only, so a full group overflows).
    public init(codebook: GAOQCodebook, spillGroups: Int = 16) {
        self.codebook = codebook
        self.spillGroups = max(0, spillGroups)
        let norms = RowMatrix.squaredNorms(codebook.level3Anchors).map { $0.squareRoot() }
        let products = RowMatrix.dots(codebook.level2Centroids, codebook.level3Anchors)
        let g3 = codebook.g3
        anchorNorms = norms
        centroidAnchorProducts = products.withUnsafeBufferPointer { p in
            (0..<(codebook.b1 * codebook.b2 * g3)).map { norms[$0 % g3] > 0 ? p[$0] / norms[$0 % g3] : 0 }
        }
    }

    /// Places every row of `vectors`.
    /// - Throws: ``TokenizerError`` when the vectors are malformed or of the wrong dimension.
    public func place(_ vectors: Tensor) throws -> [Placement] {
        try RowMatrix.validate(vectors, name: "vectors")
        guard vectors.shape[1] == codebook.dimension else {
            throw TokenizerError(
                .invalidInput,
                "vectors: dimension \(vectors.shape[1]) does not match the codebook's \(codebook.dimension)")
        }
        let (m, b1, b2) = (vectors.shape[0], codebook.b1, codebook.b2)
        let norms = RowMatrix.squaredNorms(vectors)
        var distances = Tensor(zeros: [0, 0])
        RowMatrix.squaredDistances(vectors, xNorms: norms, to: codebook.level1Centroids, into: &distances)
        // Parents by distance, nearest first (first on ties, as the nearest-centroid rule).
        let parentRanks = min(b1, spillGroups > 0 ? 2 : 1)
        let parents: [[Int]] = distances.withUnsafeBufferPointer { p in
            (0..<m).map { i in
                Array(
                    (0..<b1).sorted { p[i * b1 + $0] != p[i * b1 + $1] ? p[i * b1 + $0] < p[i * b1 + $1] : $0 < $1 }
                        .prefix(parentRanks))
            }
        }

        // Children of each listed parent by distance, one GEMM per parent and rank.
        var children = [[[Int]]](repeating: [], count: m)
        for rank in 0..<parentRanks {
            for (parent, rows) in GAOQ.members(of: parents.map { $0[rank] }, clusters: b1).enumerated()
            where !rows.isEmpty {
                let existing = (0..<b2).filter { codebook.anchor(parent: parent, child: $0) != nil }
                let centroids = RowMatrix.gather(codebook.level2Centroids, rows: existing.map { parent * b2 + $0 })
                RowMatrix.squaredDistances(
                    RowMatrix.gather(vectors, rows: rows), xNorms: rows.map { norms[$0] }, to: centroids,
                    into: &distances)
                distances.withUnsafeBufferPointer { p in
                    let k = existing.count
                    for (r, row) in rows.enumerated() {
                        let order = (0..<k).sorted {
                            p[r * k + $0] != p[r * k + $1] ? p[r * k + $0] < p[r * k + $1] : $0 < $1
                        }
                        children[row].append(order.map { existing[$0] })
                    }
                }
            }
        }

        // Level-3 candidates per group: cosine to the residual from that group's centroid.
        let g3 = codebook.g3
        let itemProducts = RowMatrix.dots(vectors, codebook.level3Anchors)
        return itemProducts.withUnsafeBufferPointer { p in
            (0..<m).map { i in
                var groups: [Level3CandidateGroup] = []
                for (rank, parent) in parents[i].enumerated() {
                    for child in children[i][rank] where groups.count <= spillGroups {
                        let centre = (parent * b2 + child) * g3
                        let score = (0..<g3).map { k in
                            (anchorNorms[k] > 0 ? p[i * g3 + k] / anchorNorms[k] : 0)
                                - centroidAnchorProducts[centre + k]
                        }
                        let ranked = (0..<g3).sorted { score[$0] != score[$1] ? score[$0] > score[$1] : $0 < $1 }
                        groups.append(
                            Level3CandidateGroup(
                                c1: parent, c2: codebook.childToAnchor[parent * b2 + child], candidates: ranked))
                    }
                }
                return Placement(groups: groups)
            }
        }
    }

    /// Claims level 3 for placed items (`items[i]` was placed at `placements[i]`) as one batch,
    /// in order, so a claimer with a round trip per call (Redis) makes one for the batch.
    /// - Throws: ``TokenizerError`` when the counts differ; whatever the claimer throws.
    public func claim(
        items: [String], placements: [Placement], claimer: some Level3Claimer
    ) async throws -> [Level3Claim] {
        guard items.count == placements.count else {
            throw TokenizerError(.invalidInput, "items: \(items.count) keys for \(placements.count) placements")
        }
        let requests = zip(items, placements).map { Level3ClaimRequest(item: $0, groups: $1.groups) }
        return try await claimer.claim(requests, capacity: codebook.g3)
    }

    /// Assigns SIDs to `items` (row `i` of `vectors` is `items[i]`), claiming level 3 in order.
    /// An item that already has an SID keeps it.
    /// - Throws: ``TokenizerError`` for malformed input; whatever the claimer throws.
    public func assign(items: [String], vectors: Tensor, claimer: some Level3Claimer) async throws -> [SemanticID] {
        guard items.count == vectors.shape.first else {
            throw TokenizerError(.invalidInput, "items: \(items.count) keys for \(vectors.shape.first ?? 0) vectors")
        }
        return try await claim(items: items, placements: place(vectors), claimer: claimer).map(\.sid)
    }
}
