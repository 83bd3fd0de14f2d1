import Foundation
import Tensor
import Tokenizer

/// What `resid bench gaoq` measures: GAOQ fit time on a SYNTHETIC catalogue (clustered Gaussian
/// vectors), the share of each stage, SID uniqueness, and the objective gap of the fast
/// balanced-assignment solver against the exact one on small cases. Optionally times the baseline
/// quantisers on the same vectors for ratios.
public struct GaoqBenchmark {
    /// Level-1 branching.
    public var b1 = 32

    /// Level-2 branching.
    public var b2 = 40

    /// Where progress lines go.
    public var log: (String) -> Void = { _ in }

    /// Synthetic items in the catalogue.
    public var items = 25_000

    /// Vector length (5 fields x 128 in the paper).
    public var dimension = 640

    /// Seed for the synthetic vectors and the fit.
    public var seed: UInt64 = 42

    /// Threads for the per-parent work (and OpenBLAS during level 1).
    public var workers = 2

    /// Small random cases for the fast-vs-exact assignment gap (0 to skip).
    public var gapCases = 24

    /// Also fit RQ-KMeans and hierarchical k-means on the same vectors and report time ratios.
    public var baselines = false

    /// The defaults of `resid bench gaoq` (levels for its default catalogue size).
    public init() {}

    public struct StageShare: Codable {
        public var seconds: Double
        public var share: Double
    }

    public struct GapReport: Codable {
        public var cases: Int
        public var shapes: String
        public var fastMeanRelativeGap: Double
        public var fastMaxRelativeGap: Double
        public var greedyStartMeanRelativeGap: Double
        public var fastSeconds: Double
        public var exactSeconds: Double
    }

    public struct BaselineTime: Codable {
        public var method: String
        public var seconds: Double
        public var ratioToGAOQ: Double
        public var distinctSIDs: Int
        public var collisionsBeforeSuffix: Int?
    }

    public struct Report: Codable {
        public var benchmark = "gaoq"
        public var data: String
        public var items: Int
        public var dimension: Int
        public var b1: Int
        public var b2: Int
        public var g3: Int
        public var workers: Int
        public var generateSeconds: Double
        public var fitSeconds: Double
        /// CPU seconds of the whole process during the fit (all threads): the machine is shared, so
        /// wall time alone overstates the cost when other work competes for the cores.
        public var fitCPUSeconds: Double
        public var stages: [String: StageShare]
        public var level1Iterations: Int
        public var distinctSIDs: Int
        public var collisions: Int
        public var assignmentGap: GapReport?
        public var baselines: [BaselineTime]?
    }

    /// Runs every measurement; progress lines go to ``log``.
    public func run() throws -> Report {
        guard items > 0, dimension > 0 else {
            throw InvalidSettings("--items and --dimension must be positive")
        }
        BLAS.setThreads(max(workers, 1))

        var watch = Stopwatch()
        let vectors = SyntheticVectors.clustered(items: items, dimension: dimension, seed: seed)
        let generateSeconds = watch.elapsed
        log(
            "synthetic catalogue: \(items) x \(dimension) clustered Gaussian vectors in \(String(format: "%.2f", generateSeconds)) s"
        )

        var config = GAOQ.Configuration(b1: b1, b2: b2, seed: seed, workers: workers)
        config.workers = workers
        let cpuBefore = processCPUSeconds()
        let fit = try GAOQ(config).fit(vectors, progress: log)
        let fitCPUSeconds = processCPUSeconds() - cpuBefore
        let diagnostics = QuantizerDiagnostics(fit.codebook.table)
        let times = fit.times
        func share(_ seconds: Double) -> StageShare {
            StageShare(seconds: seconds, share: times.total > 0 ? seconds / times.total : 0)
        }

        var report = Report(
            data:
                "SYNTHETIC: SyntheticVectors.clustered(items: \(items), dimension: \(dimension), topics: 64, subtopics: 16, seed: \(seed))",
            items: items, dimension: dimension, b1: b1, b2: b2, g3: fit.codebook.g3, workers: workers,
            generateSeconds: generateSeconds, fitSeconds: times.total, fitCPUSeconds: fitCPUSeconds,
            stages: ["level1": share(times.level1), "level2": share(times.level2), "level3": share(times.level3)],
            level1Iterations: fit.level1Iterations,
            distinctSIDs: diagnostics.distinctSIDs, collisions: diagnostics.collisions
        )
        if gapCases > 0 {
            log("measuring the fast-vs-exact assignment gap on \(gapCases) small cases")
            report.assignmentGap = Self.measureGap(cases: gapCases, seed: seed)
        }
        if baselines {
            watch.restart()
            let rq = try RQKMeans(.init(levelSizes: [b1, b2, b2], seed: seed)).fit(vectors, progress: log)
            let rqDiagnostics = QuantizerDiagnostics(rq.table)
            let threeLevels = SIDTable(
                codes: rq.table.codes.map { Array($0.prefix(3)) }, levelSizes: Array(rq.table.levelSizes.prefix(3)))
            var hConfig = config
            hConfig.alignLevel2 = false
            let hk = try GAOQ(hConfig).fit(vectors, progress: log)
            report.baselines = [
                BaselineTime(
                    method: "rqkmeans", seconds: rq.seconds, ratioToGAOQ: rq.seconds / times.total,
                    distinctSIDs: rqDiagnostics.distinctSIDs,
                    collisionsBeforeSuffix: QuantizerDiagnostics(threeLevels).collisions
                ),
                BaselineTime(
                    method: "hkmeans", seconds: hk.times.total, ratioToGAOQ: hk.times.total / times.total,
                    distinctSIDs: QuantizerDiagnostics(hk.codebook.table).distinctSIDs, collisionsBeforeSuffix: nil
                ),
            ]
        }
        return report
    }

    /// Relative objective gap `(solver - exact) / exact` of the fast solver (and of its greedy
    /// start alone) on distances from real k-means++ seeds of synthetic vectors.
    static func measureGap(cases: Int, seed: UInt64) -> GapReport {
        let shapes = [(120, 4), (200, 8), (300, 16), (257, 12)]
        var fastGaps: [Double] = []
        var greedyGaps: [Double] = []
        var fastSeconds = 0.0, exactSeconds = 0.0
        for c in 0..<cases {
            let (n, k) = shapes[c % shapes.count]
            let x = SyntheticVectors.clustered(
                items: n, dimension: 32, topics: 6, subtopics: 3, seed: seed &+ UInt64(c))
            let d = BalancedKMeans.seedingDistances(x, clusters: k, seed: seed &+ UInt64(1000 + c))
            var watch = Stopwatch()
            let exact = CapacitatedAssignment.objective(
                distances: d, assignment: CapacitatedAssignment.exact(distances: d))
            exactSeconds += watch.elapsed
            watch.restart()
            let fast = CapacitatedAssignment.objective(
                distances: d, assignment: CapacitatedAssignment.fast(distances: d))
            fastSeconds += watch.elapsed
            let greedy = CapacitatedAssignment.objective(
                distances: d, assignment: CapacitatedAssignment.greedyStart(distances: d))
            fastGaps.append((fast - exact) / exact)
            greedyGaps.append((greedy - exact) / exact)
        }
        return GapReport(
            cases: cases, shapes: shapes.map { "\($0.0)x\($0.1)" }.joined(separator: ", "),
            fastMeanRelativeGap: fastGaps.reduce(0, +) / Double(cases), fastMaxRelativeGap: fastGaps.max() ?? 0,
            greedyStartMeanRelativeGap: greedyGaps.reduce(0, +) / Double(cases),
            fastSeconds: fastSeconds, exactSeconds: exactSeconds
        )
    }
}
