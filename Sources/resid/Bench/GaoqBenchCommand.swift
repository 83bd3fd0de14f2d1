import ArgumentParser
import Foundation
import Tensor
import Tokenizer

/// `resid bench gaoq`: GAOQ fit time on a SYNTHETIC catalogue (clustered Gaussian vectors), the
/// share of each stage, SID uniqueness, and the objective gap of the fast balanced-assignment
/// solver against the exact one on small cases. Optionally times the baseline quantisers on the
/// same vectors for ratios.
struct GaoqBenchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "gaoq",
        abstract: "Time a GAOQ fit on a synthetic catalogue and measure the balanced-assignment gap."
    )

    @Option(help: "Synthetic items in the catalogue.")
    var items = 25_000

    @Option(help: "Vector length (5 fields x 128 in the paper).")
    var dimension = 640

    @Option(help: "Branching b1,b2 (default: 32,40 below 100k items, 128,128 from 100k).")
    var levels: String?

    @Option(help: "Seed for the synthetic vectors and the fit.")
    var seed: UInt64 = 42

    @Option(help: "Threads for the per-parent work (and OpenBLAS during level 1).")
    var workers = 2

    @Option(help: "Small random cases for the fast-vs-exact assignment gap (0 to skip).")
    var gapCases = 24

    @Flag(help: "Also fit RQ-KMeans and hierarchical k-means on the same vectors and report time ratios.")
    var baselines = false

    @OptionGroup var output: JSONOutputOptions

    struct StageShare: Codable {
        var seconds: Double
        var share: Double
    }

    struct GapReport: Codable {
        var cases: Int
        var shapes: String
        var fastMeanRelativeGap: Double
        var fastMaxRelativeGap: Double
        var greedyStartMeanRelativeGap: Double
        var fastSeconds: Double
        var exactSeconds: Double
    }

    struct BaselineTime: Codable {
        var method: String
        var seconds: Double
        var ratioToGAOQ: Double
        var distinctSIDs: Int
        var collisionsBeforeSuffix: Int?
    }

    struct Report: Codable {
        var benchmark = "gaoq"
        var data: String
        var items: Int
        var dimension: Int
        var b1: Int
        var b2: Int
        var g3: Int
        var workers: Int
        var generateSeconds: Double
        var fitSeconds: Double
        /// CPU seconds of the whole process during the fit (all threads): the machine is shared, so
        /// wall time alone overstates the cost when other work competes for the cores.
        var fitCPUSeconds: Double
        var stages: [String: StageShare]
        var level1Iterations: Int
        var distinctSIDs: Int
        var collisions: Int
        var assignmentGap: GapReport?
        var baselines: [BaselineTime]?
    }

    func run() async throws {
        let (b1, b2) = try TokenizeCommand.parseLevels(levels, items: items)
        guard items > 0, dimension > 0 else {
            throw ValidationError("--items and --dimension must be positive")
        }
        BLAS.setThreads(max(workers, 1))
        let log: (String) -> Void = { line in if !output.json { print(line) } else { FileHandle.standardError.write(Data((line + "\n").utf8)) } }

        var watch = Stopwatch()
        let vectors = SyntheticVectors.clustered(items: items, dimension: dimension, seed: seed)
        let generateSeconds = watch.elapsed
        log("synthetic catalogue: \(items) x \(dimension) clustered Gaussian vectors in \(String(format: "%.2f", generateSeconds)) s")

        var config = GAOQ.Configuration(b1: b1, b2: b2, seed: seed, workers: workers)
        config.workers = workers
        let cpuBefore = Self.processCPUSeconds()
        let fit = try GAOQ(config).fit(vectors, progress: log)
        let fitCPUSeconds = Self.processCPUSeconds() - cpuBefore
        let diagnostics = QuantizerDiagnostics(fit.codebook.table)
        let times = fit.times
        func share(_ seconds: Double) -> StageShare { StageShare(seconds: seconds, share: times.total > 0 ? seconds / times.total : 0) }

        var report = Report(
            data: "SYNTHETIC: SyntheticVectors.clustered(items: \(items), dimension: \(dimension), topics: 64, subtopics: 16, seed: \(seed))",
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
            let threeLevels = SIDTable(codes: rq.table.codes.map { Array($0.prefix(3)) }, levelSizes: Array(rq.table.levelSizes.prefix(3)))
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
        if output.json {
            try printJSON(report)
        } else {
            print(String(format: "GAOQ fit (synthetic %d x %d, %dx%d, g3 %d): %.2f s wall, %.2f s CPU; level 1 %.0f%%, level 2 %.0f%%, level 3 %.0f%%; %d distinct SIDs, %d collisions",
                         items, dimension, b1, b2, fit.codebook.g3, times.total, fitCPUSeconds,
                         100 * times.level1 / times.total, 100 * times.level2 / times.total, 100 * times.level3 / times.total,
                         diagnostics.distinctSIDs, diagnostics.collisions))
            if let gap = report.assignmentGap {
                print(String(format: "assignment gap over %d cases (%@): fast mean %.3g max %.3g; greedy start alone mean %.3g",
                             gap.cases, gap.shapes, gap.fastMeanRelativeGap, gap.fastMaxRelativeGap, gap.greedyStartMeanRelativeGap))
            }
        }
    }

    /// CPU time consumed by this process so far, all threads.
    static func processCPUSeconds() -> Double {
        var ts = timespec()
        clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts)
        return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
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
            let x = SyntheticVectors.clustered(items: n, dimension: 32, topics: 6, subtopics: 3, seed: seed &+ UInt64(c))
            let d = BalancedKMeans.seedingDistances(x, clusters: k, seed: seed &+ UInt64(1000 + c))
            var watch = Stopwatch()
            let exact = CapacitatedAssignment.objective(distances: d, assignment: CapacitatedAssignment.exact(distances: d))
            exactSeconds += watch.elapsed
            watch.restart()
            let fast = CapacitatedAssignment.objective(distances: d, assignment: CapacitatedAssignment.fast(distances: d))
            fastSeconds += watch.elapsed
            let greedy = CapacitatedAssignment.objective(distances: d, assignment: CapacitatedAssignment.greedyStart(distances: d))
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
