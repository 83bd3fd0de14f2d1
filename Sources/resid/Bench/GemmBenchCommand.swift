import ArgumentParser
import Harness
import Tensor

/// `resid bench gemm`: our matmul path (`Tensor.matmul`, which allocates its aligned output)
/// against a raw `cblas_sgemm` into a preallocated buffer, interleaved in the same run so that
/// machine noise hits both alike. Each figure is the best of several trials. Then the
/// forward + backward throughput of one FAMAE-sized encoder block, as a share of the best raw
/// sgemm rate of the same run.
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

    struct Shape: Codable {
        var m: Int, k: Int, n: Int
        var note: String
    }

    struct Row: Codable {
        var shape: String
        var note: String
        var rawSgemmGflops: Double
        var oursGflops: Double
        var ratio: Double
        var rawMicroseconds: Double
        var oursMicroseconds: Double
    }

    struct Report: Codable {
        var benchmark = "gemm"
        var threads: Int
        var trials: Int
        var shapes: [Row]
        var peakRawSgemmGflops: Double
        var encoderBlock: EncoderBlockBench.Result
    }

    static let shapes: [Shape] = [
        Shape(m: 2048, k: 128, n: 512, note: "FFN up-projection, batch of 2048 tokens"),
        Shape(m: 2048, k: 512, n: 128, note: "FFN down-projection"),
        Shape(m: 2112, k: 128, n: 384, note: "fused QKV, 64 sequences x 33 positions"),
        Shape(m: 256, k: 128, n: 128, note: "attention output, 256 rows"),
        Shape(m: 64, k: 128, n: 512, note: "64 rows"),
        Shape(m: 50, k: 128, n: 300, note: "beam of 50 x SID vocabulary"),
        Shape(m: 1, k: 128, n: 512, note: "single row"),
    ]

    func run() async throws {
        let threads = try blas.apply()
        var rows: [Row] = []
        for shape in Self.shapes {
            let row = measure(shape)
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
        let report = Report(threads: threads, trials: trials, shapes: rows, peakRawSgemmGflops: peak, encoderBlock: block)
        if output.json { try printJSON(report) }
    }

    private func measure(_ shape: Shape) -> Row {
        var rng = SeededRandom(seed: 7)
        let a = Tensor(shape: [shape.m, shape.k], elements: (0..<shape.m * shape.k).map { _ in rng.normal() })
        let b = Tensor(shape: [shape.k, shape.n], elements: (0..<shape.k * shape.n).map { _ in rng.normal() })
        var c = Tensor(zeros: [shape.m, shape.n])
        let flops = 2.0 * Double(shape.m * shape.k * shape.n)

        func raw() {
            a.withUnsafeBufferPointer { pa in
                b.withUnsafeBufferPointer { pb in
                    c.withUnsafeMutableBufferPointer { pc in
                        BLAS.sgemm(
                            transposeA: false, transposeB: false, m: shape.m, n: shape.n, k: shape.k,
                            a: pa.baseAddress!, lda: shape.k, b: pb.baseAddress!, ldb: shape.n,
                            c: pc.baseAddress!, ldc: shape.n
                        )
                    }
                }
            }
        }
        var sink: Float = 0
        func ours() {
            let out = Tensor.matmul(a, b)
            sink += out[flat: 0]
        }

        // Calibrate the repetition count so one trial lasts about `trialSeconds`.
        var reps = 1
        while true {
            let watch = Stopwatch()
            for _ in 0..<reps { raw() }
            if watch.elapsed >= trialSeconds || reps >= 1 << 20 { break }
            reps *= 2
        }
        var bestRaw = Double.infinity
        var bestOurs = Double.infinity
        for _ in 0..<trials {
            var watch = Stopwatch()
            for _ in 0..<reps { raw() }
            bestRaw = min(bestRaw, watch.elapsed / Double(reps))
            watch.restart()
            for _ in 0..<reps { ours() }
            bestOurs = min(bestOurs, watch.elapsed / Double(reps))
        }
        precondition(sink.isFinite || sink.isNaN == false)
        let rawGflops = flops / bestRaw / 1e9
        let oursGflops = flops / bestOurs / 1e9
        return Row(
            shape: "\(shape.m)x\(shape.k) * \(shape.k)x\(shape.n)",
            note: shape.note,
            rawSgemmGflops: rawGflops, oursGflops: oursGflops,
            ratio: oursGflops / rawGflops,
            rawMicroseconds: bestRaw * 1e6, oursMicroseconds: bestOurs * 1e6
        )
    }
}

func format(_ value: Double, digits: Int = 1) -> String {
    var text = String(value)
    if let dot = text.firstIndex(of: ".") {
        let end = text.index(dot, offsetBy: digits + 1, limitedBy: text.endIndex) ?? text.endIndex
        text = String(text[..<end])
    }
    return text
}
