import ArgumentParser
import Foundation
import Harness

/// `resid bench gaoq`: runs ``GaoqBenchmark`` (what it measures is described there) and prints
/// its report.
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

    func run() async throws {
        var benchmark = GaoqBenchmark()
        benchmark.items = items
        benchmark.dimension = dimension
        benchmark.seed = seed
        benchmark.workers = workers
        benchmark.gapCases = gapCases
        benchmark.baselines = baselines
        (benchmark.b1, benchmark.b2) = try TokenizeCommand.parseLevels(levels, items: items)
        let json = output.json
        benchmark.log = { line in
            if !json { print(line) } else { FileHandle.standardError.write(Data((line + "\n").utf8)) }
        }
        let report = try await InvalidSettings.asValidationError { try benchmark.run() }
        if json {
            try printJSON(report)
        } else {
            let share = { (stage: String) in 100 * (report.stages[stage]?.share ?? 0) }
            print(
                String(
                    format:
                        "GAOQ fit (synthetic %d x %d, %dx%d, g3 %d): %.2f s wall, %.2f s CPU; level 1 %.0f%%, level 2 %.0f%%, level 3 %.0f%%; %d distinct SIDs, %d collisions",
                    report.items, report.dimension, report.b1, report.b2, report.g3, report.fitSeconds,
                    report.fitCPUSeconds,
                    share("level1"), share("level2"), share("level3"), report.distinctSIDs, report.collisions))
            if let gap = report.assignmentGap {
                print(
                    String(
                        format:
                            "assignment gap over %d cases (%@): fast mean %.3g max %.3g; greedy start alone mean %.3g",
                        gap.cases, gap.shapes, gap.fastMeanRelativeGap, gap.fastMaxRelativeGap,
                        gap.greedyStartMeanRelativeGap))
            }
        }
    }
}
