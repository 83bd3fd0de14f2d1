import Tensor

/// What `resid bench gemm` measures: our matmul path (`Tensor.matmul`, which allocates its
/// aligned output) against a raw `cblas_sgemm` into a preallocated buffer, interleaved in the
/// same run so that machine noise hits both alike, for the shapes the models use. Each figure
/// is the best of several trials.
public struct GemmBenchmark: Sendable {
    /// Trials per shape; the best trial of each path is reported.
    public var trials = 7
    /// Minimum seconds per trial.
    public var trialSeconds = 0.05

    /// The defaults of `resid bench gemm`.
    public init() {}

    public struct Shape: Codable, Sendable {
        public var m: Int, k: Int, n: Int
        public var note: String
    }

    public struct Row: Codable, Sendable {
        public var shape: String
        public var note: String
        public var rawSgemmGflops: Double
        public var oursGflops: Double
        public var ratio: Double
        public var rawMicroseconds: Double
        public var oursMicroseconds: Double
    }

    public struct Report: Codable, Sendable {
        public var benchmark = "gemm"
        public var threads: Int
        public var trials: Int
        public var shapes: [Row]
        public var peakRawSgemmGflops: Double
        public var encoderBlock: EncoderBlockBench.Result

        /// The report of `rows` measured on `threads` OpenBLAS threads and the encoder block.
        public init(
            threads: Int, trials: Int, shapes: [Row], peakRawSgemmGflops: Double, encoderBlock: EncoderBlockBench.Result
        ) {
            self.threads = threads
            self.trials = trials
            self.shapes = shapes
            self.peakRawSgemmGflops = peakRawSgemmGflops
            self.encoderBlock = encoderBlock
        }
    }

    public static let shapes: [Shape] = [
        Shape(m: 2048, k: 128, n: 512, note: "FFN up-projection, batch of 2048 tokens"),
        Shape(m: 2048, k: 512, n: 128, note: "FFN down-projection"),
        Shape(m: 2112, k: 128, n: 384, note: "fused QKV, 64 sequences x 33 positions"),
        Shape(m: 256, k: 128, n: 128, note: "attention output, 256 rows"),
        Shape(m: 64, k: 128, n: 512, note: "64 rows"),
        Shape(m: 50, k: 128, n: 300, note: "beam of 50 x SID vocabulary"),
        Shape(m: 1, k: 128, n: 512, note: "single row"),
    ]

    /// Best-of-``trials`` GFLOP/s of both paths on one shape.
    public func measure(_ shape: Shape) -> Row {
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
        let reps = trialRepetitions(lasting: trialSeconds, limit: 1 << 20, raw)
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
