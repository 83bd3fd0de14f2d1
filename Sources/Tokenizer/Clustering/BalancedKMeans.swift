public import Tensor

/// k-means whose clusters all hold `floor(n/k)` or `ceil(n/k)` items.
///
/// Each restart seeds centroids by k-means++, then alternates a balanced assignment
/// (``CapacitatedAssignment``) with centroid means until the objective improves by less than
/// `tolerance` (relative) or the assignment stops changing. The best restart wins (the first on
/// ties). Distances come from one `sgemm` per iteration; every random draw comes from the seed, so
/// a run is bit-identical for a seed on one build and BLAS thread count.
public struct BalancedKMeans: Sendable {
    /// Which capacitated-assignment solver each iteration uses.
    public enum Solver: String, Sendable, Codable {
        /// Negative-cycle cancelling, warm-started from the previous iteration.
        case fast
        /// Hungarian on replicated slots: small cases only (tests and the gap measurement).
        case exact
        /// No size constraint: plain Lloyd k-means (the RQ-KMeans baseline).
        case unconstrained
    }

    /// Settings; the defaults are the paper's.
    public struct Configuration: Sendable, Codable {
        public var clusters: Int
        public var restarts = 3
        public var maxIterations = 300
        /// Stop when the objective improves by less than this share of its value.
        public var tolerance = 1e-4
        public var solver = Solver.fast

        public init(
            clusters: Int, restarts: Int = 3, maxIterations: Int = 300, tolerance: Double = 1e-4, solver: Solver = .fast
        ) {
            self.clusters = clusters
            self.restarts = restarts
            self.maxIterations = maxIterations
            self.tolerance = tolerance
            self.solver = solver
        }
    }

    /// A fitted clustering.
    public struct Result: Sendable {
        /// `[k, d]` cluster means.
        public var centroids: Tensor
        /// The cluster of each item.
        public var assignment: [Int]
        /// Sum of squared distances of items to their centroids.
        public var objective: Double
        /// Iterations run by the winning restart.
        public var iterations: Int
    }

    public var configuration: Configuration

    public init(_ configuration: Configuration) {
        self.configuration = configuration
    }

    /// Clusters the rows of `vectors`.
    ///
    /// - Parameters:
    ///   - vectors: `[n, d]`, `n >= clusters`.
    ///   - random: the seed stream; restart `r` uses `random.split(r)`.
    /// - Throws: ``TokenizerError`` when there are fewer items than clusters or no clusters.
    public func fit(_ vectors: Tensor, random: SeededRandom) throws -> Result {
        let k = configuration.clusters
        let n = vectors.shape[0]
        guard k >= 1 else {
            throw TokenizerError(.invalidConfiguration, "clusters: need at least 1 cluster, got \(k)")
        }
        guard n >= k else {
            throw TokenizerError(
                .invalidConfiguration, "clusters: \(k) clusters for only \(n) items; use at most \(n) clusters")
        }
        let norms = RowMatrix.squaredNorms(vectors)
        var best: Result?
        for restart in 0..<max(configuration.restarts, 1) {
            var rng = random.split(UInt64(restart))
            let result = lloyd(vectors, norms: norms, random: &rng)
            if best == nil || result.objective < best!.objective { best = result }
        }
        return best!
    }

    private func lloyd(_ x: Tensor, norms: [Float], random: inout SeededRandom) -> Result {
        let k = configuration.clusters
        var centroids = Self.kMeansPlusPlus(x, norms: norms, clusters: k, random: &random)
        var distances = Tensor(zeros: [0, 0])
        var assignment: [Int]? = nil
        var objective = Double.infinity
        var iterations = 0
        while iterations < configuration.maxIterations {
            iterations += 1
            RowMatrix.squaredDistances(x, xNorms: norms, to: centroids, into: &distances)
            let next: [Int]
            switch configuration.solver {
            case .fast: next = CapacitatedAssignment.fast(distances: distances, warmStart: assignment)
            case .exact: next = CapacitatedAssignment.exact(distances: distances)
            case .unconstrained: next = RowMatrix.argminRows(distances)
            }
            let value = CapacitatedAssignment.objective(distances: distances, assignment: next)
            let unchanged = next == assignment
            let improvement = objective - value
            assignment = next
            objective = value
            centroids = Self.means(x, assignment: next, clusters: k, previous: centroids)
            if unchanged || improvement.isFinite && improvement <= configuration.tolerance * value { break }
        }
        // Report the objective of the final centroids, which is what callers use downstream.
        RowMatrix.squaredDistances(x, xNorms: norms, to: centroids, into: &distances)
        let final = assignment ?? []
        return Result(
            centroids: centroids, assignment: final,
            objective: CapacitatedAssignment.objective(distances: distances, assignment: final),
            iterations: iterations
        )
    }

    /// Squared distances `[n, k]` from the rows of `x` to `k` k-means++ seeds: realistic inputs for
    /// measuring assignment solvers.
    public static func seedingDistances(_ x: Tensor, clusters k: Int, seed: UInt64) -> Tensor {
        var random = SeededRandom(seed: seed)
        let norms = RowMatrix.squaredNorms(x)
        var distances = Tensor(zeros: [0, 0])
        RowMatrix.squaredDistances(
            x, xNorms: norms, to: kMeansPlusPlus(x, norms: norms, clusters: k, random: &random), into: &distances)
        return distances
    }

    /// k-means++ seeding: the first centroid uniformly, each next one with probability proportional
    /// to the squared distance to the nearest chosen centroid.
    ///
    /// Distances to each new centroid are one `sgemv` (a GEMM with a single column runs several
    /// times slower here).
    static func kMeansPlusPlus(_ x: Tensor, norms: [Float], clusters k: Int, random: inout SeededRandom) -> Tensor {
        let (n, d) = (x.shape[0], x.shape[1])
        var centroids = Tensor(uninitialized: [k, d])
        var nearest = [Float](repeating: .infinity, count: n)
        var dots = [Float](repeating: 0, count: n)
        var chosen = random.int(below: n)
        x.withUnsafeBufferPointer { px in
            centroids.withUnsafeMutableBufferPointer { pc in
                for c in 0..<k {
                    let centre = pc.baseAddress! + c * d
                    centre.update(from: px.baseAddress! + chosen * d, count: d)
                    guard c + 1 < k else { break }
                    dots.withUnsafeMutableBufferPointer { pd in
                        BLAS.sgemv(
                            transpose: false, rows: n, cols: d, a: px.baseAddress!, lda: d, x: centre,
                            y: pd.baseAddress!)
                    }
                    let centreNorm = norms[chosen]
                    var total = 0.0
                    for i in 0..<n {
                        let dist = max(0, norms[i] - 2 * dots[i] + centreNorm)
                        if dist < nearest[i] { nearest[i] = dist }
                        total += Double(nearest[i])
                    }
                    if total > 0 {
                        let target = random.nextDouble() * total
                        var running = 0.0
                        chosen = n - 1
                        for i in 0..<n {
                            running += Double(nearest[i])
                            if running > target, nearest[i] > 0 {
                                chosen = i
                                break
                            }
                        }
                    } else {
                        chosen = random.int(below: n)
                    }
                }
            }
        }
        return centroids
    }

    /// Cluster means; a cluster left empty (possible only without the size constraint) keeps its
    /// previous centroid.
    static func means(_ x: Tensor, assignment: [Int], clusters k: Int, previous: Tensor) -> Tensor {
        let d = x.shape[1]
        var sums = [Double](repeating: 0, count: k * d)
        var counts = [Int](repeating: 0, count: k)
        x.withUnsafeBufferPointer { px in
            for (i, c) in assignment.enumerated() {
                counts[c] += 1
                let row = px.baseAddress! + i * d
                for j in 0..<d { sums[c * d + j] += Double(row[j]) }
            }
        }
        var out = Tensor(uninitialized: [k, d])
        out.withUnsafeMutableBufferPointer { po in
            previous.withUnsafeBufferPointer { pp in
                for c in 0..<k {
                    for j in 0..<d {
                        po[c * d + j] = counts[c] > 0 ? Float(sums[c * d + j] / Double(counts[c])) : pp[c * d + j]
                    }
                }
            }
        }
        return out
    }
}
