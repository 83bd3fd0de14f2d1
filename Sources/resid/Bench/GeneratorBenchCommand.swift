import ArgumentParser
import Models
import Tensor
import Tokenizer
import Training

/// `resid bench generator`: the SID generator's training throughput (tokens/s, and achieved
/// GFLOP/s as a share of raw sgemm peak measured in the same run) and its top-10 inference with
/// beam 50 at batch 1 and batch 64 users, on a seeded synthetic catalogue (labelled synthetic).
struct GeneratorBenchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "generator",
        abstract: "Generator training tokens/s vs sgemm peak, and beam-search latency/throughput."
    )

    @Flag(help: "Print the report as JSON.")
    var json = false

    @Option(help: "OpenBLAS threads.")
    var threads = 1

    @Option(help: "Synthetic catalogue size (SIDs drawn uniformly without repeats).")
    var items = 3_416

    @Option(help: "SID level sizes b1,b2,g3.")
    var levels = "15,15,16"

    @Option(help: "Training batch size (samples).")
    var trainBatch = 256

    @Option(help: "Timed training steps (after one warm-up step).")
    var trainSteps = 3

    @Option(help: "Beam width.")
    var beam = 50

    @Option(help: "Timed repetitions per inference batch size.")
    var repetitions = 5

    struct Training: Codable {
        var batch: Int
        var steps: Int
        var tokensPerStep: Int
        var secondsPerStep: Double
        var tokensPerSecond: Double
        var samplesPerSecond: Double
        var modelGflopPerStep: Double
        var achievedGflops: Double
        var shareOfSgemmPeak: Double
    }

    struct Inference: Codable {
        var users: Int
        var beam: Int
        var topK: Int
        var medianSeconds: Double
        var p90Seconds: Double
        var usersPerSecond: Double
        var invalidBeams: Int
        /// Matrix-multiply GFLOP of one call (forward only), as counted by ``forwardFlop``.
        var gflopPerCall: Double
        var achievedGflops: Double
        var shareOfSgemmPeak: Double
    }

    struct Report: Codable {
        var benchmark = "generator"
        var data = "synthetic: uniform random histories of 32 items over a random SID table"
        var threads: Int
        var items: Int
        var levelSizes: [Int]
        var parameters: Int
        var sgemmPeakGflops: Double
        var sgemmShape = "2048x128x512"
        var training: Training
        var inference: [Inference]
    }

    func run() async throws {
        BLAS.setThreads(threads)
        let sizes = levels.split(separator: ",").compactMap { Int($0) }
        guard sizes.count >= 1, sizes.allSatisfy({ $0 > 0 }), sizes.count == levels.split(separator: ",").count else {
            throw ValidationError("--levels must be comma-separated positive integers, e.g. 15,15,16")
        }
        let capacity = sizes.reduce(1, *)
        guard items >= 1, items <= capacity else { throw ValidationError("--items must be in 1...\(capacity) for levels \(levels)") }
        guard trainBatch >= 1, trainSteps >= 1, beam >= 1, repetitions >= 1 else {
            throw ValidationError("--train-batch, --train-steps, --beam and --repetitions must be at least 1")
        }
        var random = SeededRandom(seed: 7)
        var codes: [[Int]] = []
        var seen = Set<[Int]>()
        while codes.count < items {
            let sid = sizes.map { random.int(below: $0) }
            if seen.insert(sid).inserted { codes.append(sid) }
        }
        let table = SIDTable(codes: codes, levelSizes: sizes)
        let configuration = SIDGeneratorConfiguration()
        let model = try SIDGenerator(configuration: configuration, vocabulary: GeneratorVocabulary(levelSizes: sizes), seed: 1)
        let itemTokens = try model.vocabulary.itemTokens(table)
        func histories(_ n: Int) -> [[Int32]] {
            (0..<n).map { _ in (0..<configuration.historyLimit).map { _ in Int32(random.int(below: items)) } }
        }
        let peak = measureSgemmPeak()
        progress("sgemm peak \(String(format: "%.1f", peak)) GFLOP/s (\(threads) thread(s))")

        // Training: one warm-up step, then timed steps.
        let optimizer = AdamW(parameters: model.parameters, configuration: .init(learningRate: 5e-3, weightDecay: 1e-5))
        var mode = ForwardMode.training(seed: 3)
        let trainHistories = histories(trainBatch)
        let batch = SIDSequenceBatch(
            histories: trainHistories, targets: (0..<trainBatch).map { _ in Int32(random.int(below: items)) },
            itemTokens: itemTokens, levels: sizes.count)
        func step() {
            let loss = model.loss(batch, mode: &mode)
            loss.backward()
            optimizer.step()
            optimizer.zeroGrad()
        }
        step()
        let watch = Stopwatch()
        for _ in 0..<trainSteps { step() }
        let perStep = watch.elapsed / Double(trainSteps)
        let tokens = batch.encoderPadding.filter { !$0 }.count + batch.targets.count
        let flop = Self.trainingFlop(configuration: configuration, batch: trainBatch, encoderLength: batch.encoderLength, levels: sizes.count, vocabulary: model.vocabulary.count)
        let training = Training(
            batch: trainBatch, steps: trainSteps, tokensPerStep: tokens, secondsPerStep: perStep,
            tokensPerSecond: Double(tokens) / perStep, samplesPerSecond: Double(trainBatch) / perStep,
            modelGflopPerStep: flop / 1e9, achievedGflops: flop / perStep / 1e9, shareOfSgemmPeak: flop / perStep / 1e9 / peak)
        progress("training: \(Int(training.tokensPerSecond)) tokens/s, \(String(format: "%.1f", training.achievedGflops)) GFLOP/s = \(String(format: "%.1f", 100 * training.shareOfSgemmPeak))% of sgemm peak")

        // Inference: top-10 with the trie, batch 1 and 64.
        let recommender = try GeneratorRecommender(model: model, table: table, beamWidth: beam)
        var inference: [Inference] = []
        for users in [1, 64] {
            let batchHistories = histories(users).map { $0[...] }
            _ = try recommender.recommend(histories: batchHistories, k: 10)  // warm-up
            recommender.resetCounters()
            var times: [Double] = []
            for _ in 0..<repetitions {
                let clock = Stopwatch()
                _ = try recommender.recommend(histories: batchHistories, k: 10)
                times.append(clock.elapsed)
            }
            times.sort()
            let median = times[times.count / 2]
            let encoderLength = SIDSequenceBatch(
                histories: batchHistories, targets: nil, itemTokens: itemTokens, levels: sizes.count).encoderLength
            let flop = Self.forwardFlop(
                configuration: configuration, encoderRows: users * encoderLength, decoderRows: users * beam * sizes.count,
                encoderLength: encoderLength, levels: sizes.count, vocabulary: model.vocabulary.count)
            let row = Inference(
                users: users, beam: beam, topK: 10, medianSeconds: median, p90Seconds: times[min(times.count - 1, Int(Double(times.count) * 0.9))],
                usersPerSecond: Double(users) / median, invalidBeams: recommender.invalidBeams,
                gflopPerCall: flop / 1e9, achievedGflops: flop / median / 1e9, shareOfSgemmPeak: flop / median / 1e9 / peak)
            inference.append(row)
            progress("inference batch \(users): median \(String(format: "%.1f", median * 1000)) ms, \(String(format: "%.1f", row.usersPerSecond)) users/s, \(String(format: "%.1f", 100 * row.shareOfSgemmPeak))% of sgemm peak")
        }
        let report = Report(
            threads: threads, items: items, levelSizes: sizes, parameters: model.parameterCount, sgemmPeakGflops: peak,
            training: training, inference: inference)
        if json { try printJSON(report) }
    }

    private func progress(_ line: String) { if !json { print(line) } }

    /// Best-of-trials raw sgemm GFLOP/s at the feed-forward shape, in this process.
    private func measureSgemmPeak() -> Double {
        let (m, k, n) = (2048, 128, 512)
        var random = SeededRandom(seed: 9)
        let a = Tensor(shape: [m, k], elements: (0..<(m * k)).map { _ in random.normal() })
        let b = Tensor(shape: [k, n], elements: (0..<(k * n)).map { _ in random.normal() })
        var c = Tensor(zeros: [m, n])
        var best = Double.infinity
        for _ in 0..<7 {
            let clock = Stopwatch()
            for _ in 0..<5 {
                a.withUnsafeBufferPointer { pa in
                    b.withUnsafeBufferPointer { pb in
                        c.withUnsafeMutableBufferPointer { pc in
                            BLAS.sgemm(transposeA: false, transposeB: false, m: m, n: n, k: k, a: pa.baseAddress!, lda: k, b: pb.baseAddress!, ldb: n, c: pc.baseAddress!, ldc: n)
                        }
                    }
                }
            }
            best = min(best, clock.elapsed / 5)
        }
        return 2.0 * Double(m * k * n) / best / 1e9
    }

    /// Matrix-multiply FLOPs of one training step: forward + backward ≈ 3× forward.
    static func trainingFlop(configuration c: SIDGeneratorConfiguration, batch: Int, encoderLength t: Int, levels l: Int, vocabulary v: Int) -> Double {
        3 * forwardFlop(configuration: c, encoderRows: batch * t, decoderRows: batch * l, encoderLength: t, levels: l, vocabulary: v)
    }

    /// Matrix-multiply FLOPs of one forward pass with `encoderRows` encoder positions and
    /// `decoderRows` decoder positions (users × beams × levels when decoding), counting
    /// projections, attention scores/values, the memory's key/value projections and the tied
    /// output layer; norms, softmax and element-wise work are left out, so the share of peak is
    /// a lower bound.
    static func forwardFlop(configuration c: SIDGeneratorConfiguration, encoderRows: Int, decoderRows: Int, encoderLength t: Int, levels l: Int, vocabulary v: Int) -> Double {
        let (d, f) = (Double(c.modelWidth), Double(c.feedForwardWidth))
        let (bt, bl, T, L) = (Double(encoderRows), Double(decoderRows), Double(t), Double(l))
        let encoder = Double(c.encoderLayers) * bt * (2 * d * 3 * d + 2 * d * d + 4 * d * f + 4 * T * d)
        let decoder = Double(c.decoderLayers) * (bl * (2 * d * 3 * d + 2 * d * d + 4 * L * d + 2 * d * d + 2 * d * d + 4 * T * d + 4 * d * f) + bt * 4 * d * d)
        let output = bl * 2 * d * Double(v)
        return encoder + decoder + output
    }
}
