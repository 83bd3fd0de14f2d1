public import Tensor

/// The TIGER-style residual k-means baseline: level `l` clusters the residuals left by levels
/// `1 ..< l` (plain, unconstrained Lloyd k-means with k-means++ seeding), and a fourth token, the
/// item's rank among the items sharing its three codes (by item index), makes SIDs unique.
public struct RQKMeans: Sendable {
    public struct Configuration: Sendable, Codable {
        /// Codes per residual level, e.g. `[b1, b2, b2]`.
        public var levelSizes: [Int]
        public var seed: UInt64
        public var restarts = 3
        public var maxIterations = 300
        public var tolerance = 1e-4

        public init(levelSizes: [Int], seed: UInt64 = 42) {
            self.levelSizes = levelSizes
            self.seed = seed
        }
    }

    /// A fit: codes per item (levels plus the collision suffix), the residual codebooks and time.
    public struct Fit: Sendable {
        public var table: SIDTable
        /// `[levelSizes[l], D]` centroids of each residual level.
        public var codebooks: [Tensor]
        public var seconds: Double
    }

    public var configuration: Configuration

    public init(_ configuration: Configuration) {
        self.configuration = configuration
    }

    /// - Throws: ``TokenizerError`` for malformed vectors or a level with more codes than items.
    public func fit(_ vectors: Tensor, progress: (String) -> Void = { _ in }) throws -> Fit {
        try RowMatrix.validate(vectors, name: "vectors")
        let watch = Stopwatch()
        let (n, dimension) = (vectors.shape[0], vectors.shape[1])
        let root = SeededRandom(seed: configuration.seed)
        var residual = vectors
        var codes = [[Int]](repeating: [], count: n)
        var codebooks: [Tensor] = []
        for (level, size) in configuration.levelSizes.enumerated() {
            let kMeans = BalancedKMeans(
                .init(
                    clusters: size, restarts: configuration.restarts, maxIterations: configuration.maxIterations,
                    tolerance: configuration.tolerance, solver: .unconstrained
                ))
            let result = try kMeans.fit(residual, random: root.split(UInt64(level + 1)))
            residual.withUnsafeMutableBufferPointer { r in
                result.centroids.withUnsafeBufferPointer { c in
                    for i in 0..<n {
                        let code = result.assignment[i]
                        codes[i].append(code)
                        for j in 0..<dimension { r[i * dimension + j] -= c[code * dimension + j] }
                    }
                }
            }
            codebooks.append(result.centroids)
            progress("rqkmeans level \(level + 1): \(size) codes, \(result.iterations) iterations")
        }
        var seen: [[Int]: Int] = [:]
        for i in 0..<n {
            let suffix = seen[codes[i], default: 0]
            seen[codes[i]] = suffix + 1
            codes[i].append(suffix)
        }
        let suffixSize = seen.values.max() ?? 1
        return Fit(
            table: SIDTable(codes: codes, levelSizes: configuration.levelSizes + [suffixSize]),
            codebooks: codebooks, seconds: watch.elapsed
        )
    }
}
