import Foundation
public import Tensor

/// Globally aligned orthogonal quantisation: fits a ``GAOQCodebook`` to item vectors.
///
/// - Level 1: balanced k-means of all items into `b1` clusters.
/// - Level 2: per parent, balanced k-means into `b2` children; each child centroid minus the parent
///   centroid is Hungarian-matched (maximum total cosine) to one of `b2` orthonormal anchors shared
///   by the whole level, and the anchor index is the code: the same `c2` means the same direction
///   away from the parent in every branch.
/// - Level 3: items grouped by `(c1, c2)`; within each group the items' residuals (vector minus
///   level-2 centroid) are Hungarian-matched to distinct shared anchors, so every SID is unique
///   without a collision token. A group of one gets code 0. There are more level-3 anchors than
///   the largest group holds (``Configuration/level3Slack``), so every group keeps free codes for
///   items that arrive later; a final pass moves a few items so that every level-3 code is held
///   in some group (see ``coverLevel3Codes(_:)``): each free code of one group is then a token the
///   generator trains on through other groups.
///
/// Parents are independent and run on ``Configuration/workers`` threads, each with its own seed
/// stream (`split` of the run seed by parent index), so the result is bit-identical for a seed
/// however the work is scheduled.
public struct GAOQ: Sendable {
    /// Fit settings.
    public struct Configuration: Sendable, Codable {
        public var b1: Int
        public var b2: Int
        public var seed: UInt64
        public var restarts = 3
        public var maxIterations = 300
        public var tolerance = 1e-4
        public var solver = BalancedKMeans.Solver.fast
        /// Threads for the per-parent work.
        public var workers = 2
        /// `true` (GAOQ): children are matched to the shared level-2 anchors. `false`: the paper's
        /// "Q2" ablation, hierarchical k-means whose `c2` is the child's local k-means index, so the
        /// same `c2` means nothing shared across parents. Level 3 is GAOQ's in both cases.
        public var alignLevel2 = true
        /// Level-3 codes beyond the largest `(c1, c2)` group, as a share of that group's size
        /// (rounded up; capped so the anchors stay orthonormal in the vectors' dimension). Items
        /// tokenized online take these free codes before any overflow code past the vocabulary.
        /// 0 reproduces the paper's level 3 (every code count equals the largest group).
        public var level3Slack = 0.5

        public init(b1: Int, b2: Int, seed: UInt64 = 42, workers: Int = 2) {
            self.b1 = b1
            self.b2 = b2
            self.seed = seed
            self.workers = workers
        }
    }

    /// Wall-clock seconds per stage of one fit.
    public struct StageTimes: Sendable, Codable {
        public var level1 = 0.0
        public var level2 = 0.0
        public var level3 = 0.0
        public var total = 0.0
    }

    /// A fit: the frozen codebook and how long each stage took.
    public struct Fit: Sendable {
        public var codebook: GAOQCodebook
        public var times: StageTimes
        /// Level-1 objective and iterations of the winning restart.
        public var level1Objective: Double
        public var level1Iterations: Int
    }

    public var configuration: Configuration

    public init(_ configuration: Configuration) {
        self.configuration = configuration
    }

    /// Fits the quantiser.
    ///
    /// - Parameters:
    ///   - vectors: `[n, D]` item vectors, row `i` is item `i`.
    ///   - progress: receives one line per stage.
    /// - Throws: ``TokenizerError`` for unusable vectors or settings (for example `b1 > n`).
    public func fit(_ vectors: Tensor, progress: (String) -> Void = { _ in }) throws -> Fit {
        try RowMatrix.validate(vectors, name: "vectors")
        let config = configuration
        let n = vectors.shape[0]
        let dimension = vectors.shape[1]
        guard config.b1 >= 1, config.b2 >= 1 else {
            throw TokenizerError(
                .invalidConfiguration, "levels: b1 and b2 must be at least 1, got \(config.b1),\(config.b2)")
        }
        guard config.b1 <= n else {
            throw TokenizerError(
                .invalidConfiguration,
                "levels: b1 = \(config.b1) exceeds the \(n) items; choose b1 * b2 about 10-20x below the item count")
        }
        guard config.b2 <= dimension else {
            throw TokenizerError(
                .invalidConfiguration, "levels: b2 = \(config.b2) orthonormal anchors need b2 <= dimension \(dimension)"
            )
        }
        let root = SeededRandom(seed: config.seed)
        var times = StageTimes()
        let total = Stopwatch()

        // Level 1.
        var watch = Stopwatch()
        let level1 = try kMeans(clusters: config.b1).fit(vectors, random: root.split(1))
        times.level1 = watch.elapsed
        progress(
            String(
                format: "gaoq level 1: %d clusters, %d iterations, objective %.6g, %.2f s", config.b1,
                level1.iterations, level1.objective, times.level1))

        // Level 2.
        watch.restart()
        let b2 = config.b2
        let level2Anchors = try OrthonormalAnchors.make(count: b2, dimension: dimension, random: root.split(2))
        let itemsOfParent = Self.members(of: level1.assignment, clusters: config.b1)
        let children = try ParallelWork.map(count: config.b1, workers: config.workers) { parent in
            try fitChildren(
                vectors: vectors, items: itemsOfParent[parent], parentCentroid: row(level1.centroids, parent),
                anchors: level2Anchors, random: root.split(1_000_000 + UInt64(parent))
            )
        }
        var level2Centroids = Tensor(zeros: [config.b1 * b2, dimension])
        var childToAnchor = [Int](repeating: -1, count: config.b1 * b2)
        var c2 = [Int](repeating: 0, count: n)
        level2Centroids.withUnsafeMutableBufferPointer { out in
            for (parent, result) in children.enumerated() {
                result.centroids.withUnsafeBufferPointer { src in
                    (out.baseAddress! + parent * b2 * dimension).update(from: src.baseAddress!, count: src.count)
                }
                for (child, anchor) in result.childToAnchor.enumerated() { childToAnchor[parent * b2 + child] = anchor }
                for (local, item) in itemsOfParent[parent].enumerated() {
                    c2[item] = result.childToAnchor[result.assignment[local]]
                }
            }
        }
        times.level2 = watch.elapsed
        progress(String(format: "gaoq level 2: %d parents x %d children, %.2f s", config.b1, b2, times.level2))

        // Level 3.
        watch.restart()
        let groups = Self.members(of: (0..<n).map { level1.assignment[$0] * b2 + c2[$0] }, clusters: config.b1 * b2)
        let largest = groups.map(\.count).max() ?? 1
        let g3 = Self.level3Capacity(largestGroup: largest, slack: config.level3Slack, dimension: dimension)
        let level3Anchors = try OrthonormalAnchors.make(count: g3, dimension: dimension, random: root.split(3))
        var level3 = try ParallelWork.map(count: config.b1, workers: config.workers) { parent in
            (0..<b2).map { code -> Level3Match in
                let members = groups[parent * b2 + code]
                guard members.count > 1 else { return Level3Match(codes: members.map { _ in 0 }, cosines: []) }
                guard let child = children[parent].childToAnchor.firstIndex(of: code) else {
                    return Level3Match(codes: [], cosines: [])
                }
                return matchResiduals(
                    vectors: vectors, items: members,
                    centroid: row(children[parent].centroids, child), anchors: level3Anchors
                )
            }
        }.flatMap { $0 }
        let moved = Self.coverLevel3Codes(&level3, codes: g3)
        var sids = [SemanticID](repeating: SemanticID(0, 0, 0), count: n)
        for parent in 0..<config.b1 {
            for code in 0..<b2 {
                for (item, c3) in zip(groups[parent * b2 + code], level3[parent * b2 + code].codes) {
                    sids[item] = SemanticID(parent, code, c3)
                }
            }
        }
        times.level3 = watch.elapsed
        times.total = total.elapsed
        progress(
            String(
                format:
                    "gaoq level 3: %d codes for groups of at most %d (%d items moved to cover every code), %.2f s; total %.2f s",
                g3, largest, moved, times.level3, times.total))

        let codebook = try GAOQCodebook(
            level1Centroids: level1.centroids, level2Centroids: level2Centroids, childToAnchor: childToAnchor,
            level2Anchors: level2Anchors, level3Anchors: level3Anchors, itemSIDs: sids
        )
        return Fit(
            codebook: codebook, times: times, level1Objective: level1.objective, level1Iterations: level1.iterations)
    }

    private func kMeans(clusters: Int) -> BalancedKMeans {
        BalancedKMeans(
            .init(
                clusters: clusters, restarts: configuration.restarts, maxIterations: configuration.maxIterations,
                tolerance: configuration.tolerance, solver: configuration.solver
            ))
    }

    /// One parent's level 2: its children and their anchor matching.
    struct Children: Sendable {
        /// `[b2, D]`; rows past the parent's child count are zero.
        var centroids: Tensor
        /// Local child index of each of the parent's items.
        var assignment: [Int]
        /// Anchor of each existing child.
        var childToAnchor: [Int]
    }

    private func fitChildren(
        vectors: Tensor, items: [Int], parentCentroid: [Float], anchors: Tensor, random: SeededRandom
    ) throws -> Children {
        let b2 = configuration.b2
        let dimension = vectors.shape[1]
        let x = RowMatrix.gather(vectors, rows: items)
        // A parent smaller than b2 (only with b1 * b2 close to n) gets one child per item.
        let k = min(b2, items.count)
        let result = try kMeans(clusters: k).fit(x, random: random)
        var offsets = result.centroids
        // Only the direction away from the parent matters for the anchor matching.
        offsets.withUnsafeMutableBufferPointer { p in
            for c in 0..<k { for j in 0..<dimension { p[c * dimension + j] -= parentCentroid[j] } }
        }
        let childToAnchor: [Int]
        if configuration.alignLevel2 {
            let cos = RowMatrix.cosines(offsets, anchors)
            childToAnchor = Hungarian.maximize(score: cos.elements.map(Double.init), rows: k, columns: b2).columnForRow
        } else {
            childToAnchor = Array(0..<k)
        }
        var centroids = Tensor(zeros: [b2, dimension])
        centroids.withUnsafeMutableBufferPointer { dst in
            result.centroids.withUnsafeBufferPointer { src in
                dst.baseAddress!.update(from: src.baseAddress!, count: src.count)
            }
        }
        return Children(centroids: centroids, assignment: result.assignment, childToAnchor: childToAnchor)
    }

    /// The number of level-3 codes for groups of at most `largestGroup` items: the group size
    /// plus `slack` of it (rounded up, at least one free code when `slack > 0`), no more than
    /// `dimension` orthonormal anchors allow and never fewer than the largest group.
    public static func level3Capacity(largestGroup: Int, slack: Double, dimension: Int) -> Int {
        let extra = slack > 0 ? max(1, Int((Double(largestGroup) * slack).rounded(.up))) : 0
        return max(largestGroup, min(largestGroup + extra, dimension))
    }

    /// One `(c1, c2)` group's level-3 codes and the cosines they were chosen from.
    struct Level3Match: Sendable {
        /// Code of each member, in member order.
        var codes: [Int]
        /// Row-major `[members, g3]` residual-anchor cosines; empty for groups of one or none.
        var cosines: [Double]
    }

    /// Level 3 of one `(c1, c2)` group: distinct anchors for the items' residuals, maximising total cosine.
    private func matchResiduals(vectors: Tensor, items: [Int], centroid: [Float], anchors: Tensor) -> Level3Match {
        var residuals = RowMatrix.gather(vectors, rows: items)
        let dimension = vectors.shape[1]
        residuals.withUnsafeMutableBufferPointer { p in
            for r in 0..<items.count { for j in 0..<dimension { p[r * dimension + j] -= centroid[j] } }
        }
        let cosines = RowMatrix.cosines(residuals, anchors).elements.map(Double.init)
        let codes = Hungarian.maximize(score: cosines, rows: items.count, columns: anchors.shape[0]).columnForRow
        return Level3Match(codes: codes, cosines: cosines)
    }

    /// Moves items so that every level-3 code `0 ..< codes` is held in at least one group, and
    /// returns how many moved.
    ///
    /// With more codes than members, each group's matching leaves some codes free, and a code
    /// that no group uses would be a token the generator never sees: a new item placed on it
    /// would be as unreachable as on an overflow code. For each unused code (in increasing
    /// order) the one item whose move from a code held in two or more groups costs the least
    /// cosine takes it (ties: lower group, then lower member), so no code loses its last holder
    /// and SIDs stay unique (the target code was free in every group). Deterministic.
    static func coverLevel3Codes(_ groups: inout [Level3Match], codes: Int) -> Int {
        var holders = [Int](repeating: 0, count: codes)
        for group in groups { for code in group.codes { holders[code] += 1 } }
        var moved = 0
        for unused in 0..<codes where holders[unused] == 0 {
            var best: (loss: Double, group: Int, member: Int)?
            for (index, group) in groups.enumerated() where !group.cosines.isEmpty {
                for (member, code) in group.codes.enumerated() where holders[code] >= 2 {
                    let loss = group.cosines[member * codes + code] - group.cosines[member * codes + unused]
                    if best == nil || loss < best!.loss { best = (loss, index, member) }
                }
            }
            guard let best else { break }
            holders[groups[best.group].codes[best.member]] -= 1
            holders[unused] += 1
            groups[best.group].codes[best.member] = unused
            moved += 1
        }
        return moved
    }

    /// The items of each cluster, in increasing item order.
    static func members(of assignment: [Int], clusters: Int) -> [[Int]] {
        var members = [[Int]](repeating: [], count: clusters)
        for (item, cluster) in assignment.enumerated() { members[cluster].append(item) }
        return members
    }

    private func row(_ t: Tensor, _ index: Int) -> [Float] {
        let d = t.shape[1]
        return t.withUnsafeBufferPointer { Array($0[(index * d)..<((index + 1) * d)]) }
    }
}
