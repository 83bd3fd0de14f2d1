import ArgumentParser
import Foundation
import Harness

/// `resid bench gemm`: ``GemmBenchmark`` on each shape, then the forward + backward throughput
/// of one FAMAE-sized encoder block (``EncoderBlockBench``), as a share of the best raw sgemm
/// rate of the same run.
struct GemmBenchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "gemm",
        abstract: "Our matmul path vs raw sgemm for the shapes the models use."
    )

    @OptionGroup var output: JSONOutputOptions

    @OptionGroup var blas: BLASThreadOptions

    @Option(help: "Trials per shape; the best trial of each path is reported.")
    var trials = 7

    @Option(help: "Minimum seconds per trial.")
    var trialSeconds = 0.05

    func run() async throws {
        let threads = try blas.apply()
        var benchmark = GemmBenchmark()
        benchmark.trials = trials
        benchmark.trialSeconds = trialSeconds
        var rows: [GemmBenchmark.Row] = []
        for shape in GemmBenchmark.shapes {
            let row = benchmark.measure(shape)
            rows.append(row)
            if !output.json {
                print(
                    "\(row.shape.padding(toLength: 16, withPad: " ", startingAt: 0))"
                        + " raw \(format(row.rawSgemmGflops)) GFLOP/s  ours \(format(row.oursGflops)) GFLOP/s"
                        + "  ratio \(format(row.ratio, digits: 3))  (\(row.note))"
                )
            }
        }
        let peak = rows.map(\.rawSgemmGflops).max() ?? 0
        let block = EncoderBlockBench().measure(trials: trials, trialSeconds: max(trialSeconds, 0.2), peakGflops: peak)
        if !output.json {
            print(
                "encoder block \(block.batch)x\(block.positions) d\(block.width) fwd+bwd: \(Int(block.tokensPerSecond)) tokens/s,"
                    + " \(format(block.achievedGflops)) GFLOP/s matmul, \(format(block.shareOfRawSgemmPeak * 100))% of raw sgemm peak"
                    + " (\(format(block.millisecondsPerStep, digits: 2)) ms/step)"
            )
        }
        let report = GemmBenchmark.Report(
            threads: threads, trials: trials, shapes: rows, peakRawSgemmGflops: peak, encoderBlock: block)
        if output.json { try printJSON(report) }
    }
}
