import Tensor

/// Tokenizes unseen items against a frozen ``GAOQCodebook``.
///
/// Level 1 is the nearest level-1 centroid; level 2 the nearest child of that parent, mapped
/// through the parent's frozen child-to-anchor permutation; level 3 is claimed through a
/// ``Level3Claimer`` from the level-3 anchors ranked by cosine to the residual (vector minus the
/// chosen child centroid). Distances and cosines for a batch are computed with `sgemm`.
public struct OnlineAssigner: Sendable {
    /// Where an item lands before its level-3 claim.
    public struct Placement: Sendable, Equatable {
        public var c1: Int
        public var c2: Int
        /// Level-3 codes `0 ..< g3`, best cosine first (ties by code).
        public var candidates: [Int]
    }

    public let codebook: GAOQCodebook

    public init(codebook: GAOQCodebook) {
        self.codebook = codebook
    }

    /// Places every row of `vectors`.
    /// - Throws: ``TokenizerError`` when the vectors are malformed or of the wrong dimension.
    public func place(_ vectors: Tensor) throws -> [Placement] {
        try RowMatrix.validate(vectors, name: "vectors")
        guard vectors.shape[1] == codebook.dimension else {
            throw TokenizerError(.invalidInput, "vectors: dimension \(vectors.shape[1]) does not match the codebook's \(codebook.dimension)")
        }
        let (m, dimension, b2) = (vectors.shape[0], codebook.dimension, codebook.b2)
        let norms = RowMatrix.squaredNorms(vectors)
        var distances = Tensor(zeros: [0, 0])
        RowMatrix.squaredDistances(vectors, xNorms: norms, to: codebook.level1Centroids, into: &distances)
        let c1 = RowMatrix.argminRows(distances)

        // Level 2, one GEMM per parent that received rows.
        var child = [Int](repeating: 0, count: m)
        for (parent, rows) in GAOQ.members(of: c1, clusters: codebook.b1).enumerated() where !rows.isEmpty {
            let children = (0..<b2).filter { codebook.anchor(parent: parent, child: $0) != nil }
            let centroids = RowMatrix.gather(codebook.level2Centroids, rows: children.map { parent * b2 + $0 })
            RowMatrix.squaredDistances(
                RowMatrix.gather(vectors, rows: rows), xNorms: rows.map { norms[$0] }, to: centroids, into: &distances
            )
            for (row, nearest) in zip(rows, RowMatrix.argminRows(distances)) { child[row] = children[nearest] }
        }

        // Level 3 candidates from the residuals.
        var residuals = vectors
        codebook.level2Centroids.withUnsafeBufferPointer { centroids in
            residuals.withUnsafeMutableBufferPointer { r in
                for i in 0..<m {
                    let centre = centroids.baseAddress! + (c1[i] * b2 + child[i]) * dimension
                    for j in 0..<dimension { r[i * dimension + j] -= centre[j] }
                }
            }
        }
        let cos = RowMatrix.cosines(residuals, codebook.level3Anchors)
        let g3 = codebook.g3
        return cos.withUnsafeBufferPointer { p in
            (0..<m).map { i in
                let row = Array(p[(i * g3)..<((i + 1) * g3)])
                let ranked = (0..<g3).sorted { row[$0] != row[$1] ? row[$0] > row[$1] : $0 < $1 }
                return Placement(c1: c1[i], c2: codebook.childToAnchor[c1[i] * b2 + child[i]], candidates: ranked)
            }
        }
    }

    /// Assigns SIDs to `items` (row `i` of `vectors` is `items[i]`), claiming level 3 in order.
    /// An item that already has an SID keeps it.
    /// - Throws: ``TokenizerError`` for malformed input; whatever the claimer throws.
    public func assign(items: [String], vectors: Tensor, claimer: some Level3Claimer) async throws -> [SemanticID] {
        guard items.count == vectors.shape.first else {
            throw TokenizerError(.invalidInput, "items: \(items.count) keys for \(vectors.shape.first ?? 0) vectors")
        }
        var sids: [SemanticID] = []
        sids.reserveCapacity(items.count)
        for (item, placement) in zip(items, try place(vectors)) {
            sids.append(try await claimer.claim(
                item: item, c1: placement.c1, c2: placement.c2, capacity: codebook.g3, candidates: placement.candidates
            ))
        }
        return sids
    }
}
