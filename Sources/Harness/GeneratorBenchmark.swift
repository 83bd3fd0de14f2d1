import Data
import Foundation
import Inference
import Models
import Tensor
import Tokenizer
public import Training

/// What `resid bench generator` measures: the T5 generator's training throughput (tokens/s, and
/// achieved GFLOP/s as a share of raw sgemm peak measured in the same run) and its top-10 inference
/// with beam 50 at batch 1 and batch 64 users, on a seeded synthetic catalogue (labelled
/// synthetic); then both generators' data-parallel training steps (tokens/s and targets/s, items
/// learned per second) at each `--parallel-threads` count, with the speed-up over one thread, and
/// the causal generator's inference at the same batch sizes.
public struct GeneratorBenchmark {
    /// OpenBLAS threads in force (reported; the caller sets them).
    public var threads = 1

    /// Where progress lines go.
    public var log: (String) -> Void = { _ in }

    /// Synthetic catalogue size (SIDs drawn uniformly without repeats).
    public var items = 3_416

    /// SID level sizes b1,b2,g3.
    public var levels = "15,15,16"

    /// Training batch size (samples).
    public var trainBatch = 256

    /// Timed training steps after one warm-up step (0 skips the training measurement).
    public var trainSteps = 3

    /// Beam width.
    public var beam = 50

    /// Timed repetitions per inference batch size.
    public var repetitions = 5

    /// Shortest inference history in items; lengths are drawn uniformly up to the 32-item limit
    /// (32: every history full).
    public var minHistory = 32

    /// Comma-separated inference batch sizes (users decoded together).
    public var users = "1,64"

    /// Comma-separated data-parallel worker counts for the two generators' training steps.
    public var parallelThreads = "1,2"

    /// Timed data-parallel training steps per generator and worker count (0 skips them).
    public var parallelSteps = 4

    /// The defaults of `resid bench generator`.
    public init() {}

    public struct Training: Codable {
        public var batch: Int
        public var steps: Int
        public var tokensPerStep: Int
        public var secondsPerStep: Double
        public var tokensPerSecond: Double
        public var samplesPerSecond: Double
        public var modelGflopPerStep: Double
        public var achievedGflops: Double
        public var shareOfSgemmPeak: Double
    }

    public struct Inference: Codable {
        public var users: Int
        public var beam: Int
        public var topK: Int
        public var medianSeconds: Double
        public var p90Seconds: Double
        public var usersPerSecond: Double
        public var invalidBeams: Int
        /// Decoder rows actually run per call, summed over the steps (the first step has one
        /// row per user, later ones at most `users × beam`).
        public var decodedRows: Int
        /// Matrix-multiply GFLOP of one call (forward only), as counted by ``forwardFlop``.
        public var gflopPerCall: Double
        public var achievedGflops: Double
        public var shareOfSgemmPeak: Double
        /// What one call would take if every counted FLOP ran at the raw sgemm rate measured in
        /// this run: the floor for this model, history length and beam on this core.
        public var secondsAtSgemmPeak: Double
        /// The encoder pass (history layout, encoder, memory keys/values) and the beam search
        /// (decoder steps, selection, top-10), each with its own median and share of peak.
        public var encoderMedianSeconds: Double
        public var encoderShareOfSgemmPeak: Double
        public var searchMedianSeconds: Double
        public var searchShareOfSgemmPeak: Double
    }

    /// One generator's data-parallel training steps at one worker count.
    public struct ParallelTraining: Codable {
        public var architecture: String
        public var measurement: TrainingThroughput.Measurement
        /// Targets per second over the same generator's one-worker figure in this run.
        public var speedupOverOneThread: Double?
    }

    /// The causal generator's top-10 decoding at one batch size.
    public struct CausalInference: Codable {
        public var users: Int
        public var beam: Int
        public var medianSeconds: Double
        public var usersPerSecond: Double
        public var invalidBeams: Int
    }

    public struct Report: Codable {
        public var benchmark = "generator"
        public var data =
            "synthetic: uniform random items over a random SID table; inference histories of minHistory...32 items"
        public var minHistory: Int
        public var threads: Int
        public var items: Int
        public var levelSizes: [Int]
        public var parameters: Int
        public var sgemmPeakGflops: Double
        public var sgemmShape = "2048x128x512"
        public var training: Training?
        public var inference: [Inference]
        public var parallelTraining: [ParallelTraining] = []
        public var causalInference: [CausalInference] = []
        public var parallelData =
            "synthetic: generated interactions over `items` items (5-core, leave-one-out), random SIDs; windows for the T5 generator, tiles for the causal one"
    }

    /// Runs every measurement; progress lines go to ``log``.
    public func run() async throws -> Report {
        let sizes = levels.split(separator: ",").compactMap { Int($0) }
        guard sizes.count >= 1, sizes.allSatisfy({ $0 > 0 }), sizes.count == levels.split(separator: ",").count else {
            throw InvalidSettings("--levels must be comma-separated positive integers, e.g. 15,15,16")
        }
        let capacity = sizes.reduce(1, *)
        guard items >= 1, items <= capacity else {
            throw InvalidSettings("--items must be in 1...\(capacity) for levels \(levels)")
        }
        guard (1...SIDGeneratorConfiguration().historyLimit).contains(minHistory) else {
            throw InvalidSettings("--min-history must be in 1...\(SIDGeneratorConfiguration().historyLimit)")
        }
        guard trainBatch >= 1, trainSteps >= 0, beam >= 1, repetitions >= 1 else {
            throw InvalidSettings(
                "--train-batch, --beam and --repetitions must be at least 1 and --train-steps at least 0")
        }
        let batchSizes = users.split(separator: ",").compactMap { Int($0) }
        guard !batchSizes.isEmpty, batchSizes.count == users.split(separator: ",").count,
            batchSizes.allSatisfy({ $0 >= 1 })
        else {
            throw InvalidSettings("--users must be comma-separated positive batch sizes, e.g. 1,64")
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
        let model = try SIDGenerator(
            configuration: configuration, vocabulary: GeneratorVocabulary(levelSizes: sizes), seed: 1)
        let itemTokens = try model.vocabulary.itemTokens(table)
        func histories(_ n: Int, shortest: Int) -> [[Int32]] {
            (0..<n).map { _ in
                let length = shortest + random.int(below: configuration.historyLimit - shortest + 1)
                return (0..<length).map { _ in Int32(random.int(below: items)) }
            }
        }
        let peak = measureSgemmPeak()
        progress("sgemm peak \(String(format: "%.1f", peak)) GFLOP/s (\(threads) thread(s))")

        let training =
            trainSteps == 0
            ? nil
            : measureTraining(
                model: model, histories: histories(trainBatch, shortest: configuration.historyLimit),
                targets: (0..<trainBatch).map { _ in Int32(random.int(below: items)) }, itemTokens: itemTokens,
                levels: sizes.count, peak: peak)

        // Inference: top-10 with the trie at each batch size.
        let trie = try SIDTrie(table: table)
        let decoder = GeneratorDecoder(model: .t5(model), beamWidth: beam)
        let inference = batchSizes.map { users in
            measureInference(
                decoder: decoder, configuration: model.configuration, trie: trie,
                histories: histories(users, shortest: minHistory), itemTokens: itemTokens, peak: peak)
        }
        var report = Report(
            minHistory: minHistory, threads: threads, items: items, levelSizes: sizes, parameters: model.parameterCount,
            sgemmPeakGflops: peak,
            training: training, inference: inference)
        let workerCounts = parallelThreads.split(separator: ",").compactMap { Int($0) }
        guard workerCounts.count == parallelThreads.split(separator: ",").count, workerCounts.allSatisfy({ $0 >= 1 })
        else {
            throw InvalidSettings("--parallel-threads must be comma-separated positive counts, e.g. 1,2")
        }
        if parallelSteps > 0 {
            report.parallelTraining = try measureParallelTraining(table: table, workerCounts: workerCounts)
        }
        let causal = try CausalSIDGenerator(
            configuration: CausalGeneratorConfiguration(), vocabulary: GeneratorVocabulary(levelSizes: sizes), seed: 1)
        let causalDecoder = GeneratorDecoder(model: .causal(causal), beamWidth: beam)
        report.causalInference = batchSizes.map { users in
            measureCausalInference(
                decoder: causalDecoder, trie: trie, histories: histories(users, shortest: minHistory),
                itemTokens: itemTokens)
        }
        return report
    }

    /// One warm-up call, then `repetitions` timed top-10 calls for one batch of histories, each
    /// split into the encoder pass (batch layout included) and the beam search.
    private func measureInference(
        decoder: GeneratorDecoder, configuration: SIDGeneratorConfiguration, trie: SIDTrie, histories: [[Int32]],
        itemTokens: [Int32], peak: Double
    ) -> Inference {
        let (users, levels) = (histories.count, trie.levels)
        let slices = histories.map { $0[...] }
        func call() -> (encoder: Double, search: Double, result: BeamSearchResult) {
            let clock = Stopwatch()
            decoder.start(histories: slices, itemTokens: itemTokens)
            let encoded = clock.elapsed
            let result = decoder.search(users: users, trie: trie)
            for u in 0..<users { _ = result.ranking(user: u, k: 10) }
            return (encoded, clock.elapsed - encoded, result)
        }
        var last = call()  // warm-up: sizes the workspaces
        var (encoderTimes, searchTimes, totals): ([Double], [Double], [Double]) = ([], [], [])
        var invalid = 0
        for _ in 0..<repetitions {
            last = call()
            encoderTimes.append(last.encoder)
            searchTimes.append(last.search)
            totals.append(last.encoder + last.search)
            invalid += last.result.invalidBeams
        }
        func median(_ values: [Double]) -> Double { values.sorted()[values.count / 2] }
        // The session packs each user's real positions, so only those are counted, and attention
        // spans are counted at the mean length (a lower bound on Σ length², so the share of peak
        // stays a lower bound).
        let layout = SIDSequenceBatch(histories: histories, targets: nil, itemTokens: itemTokens, levels: levels)
        let encoderRows = layout.encoderPadding.filter { !$0 }.count
        let encoderLength = encoderRows / users
        let vocabulary = decoder.model.vocabulary.count
        let encoderFlop = Self.forwardFlop(
            configuration: configuration, encoderRows: encoderRows, decoderRows: 0, encoderLength: encoderLength,
            levels: levels, vocabulary: vocabulary)
        let flop = Self.forwardFlop(
            configuration: configuration, encoderRows: encoderRows, decoderRows: last.result.decodedRows,
            encoderLength: encoderLength, levels: levels, vocabulary: vocabulary)
        let (total, encoder, decoding) = (median(totals), median(encoderTimes), median(searchTimes))
        let row = Inference(
            users: users, beam: decoder.beamWidth, topK: 10, medianSeconds: total,
            p90Seconds: totals.sorted()[min(totals.count - 1, Int(Double(totals.count) * 0.9))],
            usersPerSecond: Double(users) / total, invalidBeams: invalid, decodedRows: last.result.decodedRows,
            gflopPerCall: flop / 1e9, achievedGflops: flop / total / 1e9, shareOfSgemmPeak: flop / total / 1e9 / peak,
            secondsAtSgemmPeak: flop / 1e9 / peak,
            encoderMedianSeconds: encoder, encoderShareOfSgemmPeak: encoderFlop / encoder / 1e9 / peak,
            searchMedianSeconds: decoding, searchShareOfSgemmPeak: (flop - encoderFlop) / decoding / 1e9 / peak)
        progress(
            "inference batch \(users): median \(String(format: "%.1f", total * 1000)) ms (encoder \(String(format: "%.1f", encoder * 1000)) ms, search \(String(format: "%.1f", decoding * 1000)) ms), \(String(format: "%.1f", row.usersPerSecond)) users/s, \(String(format: "%.1f", 100 * row.shareOfSgemmPeak))% of sgemm peak (\(String(format: "%.1f", row.secondsAtSgemmPeak * 1000)) ms at peak)"
        )
        return row
    }

    /// Both generators' trainer steps (data-parallel gradients, clipping, AdamW) at each worker
    /// count, on a synthetic interaction log over the first catalogue items.
    private func measureParallelTraining(table: SIDTable, workerCounts: [Int]) throws -> [ParallelTraining] {
        var synthetic = SyntheticConfiguration(itemCount: min(items, 2_000), seed: 11)
        synthetic.userCount = 1_000
        let prepared = try Preprocessor().prepare(SyntheticDatasetGenerator(synthetic).generate())
        let sids = SIDTable(codes: Array(table.codes.prefix(prepared.items.count)), levelSizes: table.levelSizes)
        var rows: [ParallelTraining] = []
        for architecture in GeneratorArchitecture.allCases {
            var oneThread: Double?
            for workers in workerCounts {
                let trainable = try GeneratorTraining.trainable(
                    architecture, t5: SIDGeneratorConfiguration(), causal: CausalGeneratorConfiguration(),
                    vocabulary: GeneratorVocabulary(levelSizes: sids.levelSizes), table: sids,
                    name: architecture.rawValue, beamWidth: beam, seed: 1)
                let measurement = try TrainingThroughput.measure(
                    trainable, split: prepared.split, batch: trainBatch, steps: parallelSteps, threads: workers)
                if workers == 1 { oneThread = measurement.targetsPerSecond }
                let row = ParallelTraining(
                    architecture: architecture.rawValue, measurement: measurement,
                    speedupOverOneThread: oneThread.map { measurement.targetsPerSecond / $0 })
                rows.append(row)
                progress(
                    "\(architecture.rawValue) training, \(workers) worker(s): \(Int(measurement.tokensPerSecond)) tokens/s, \(Int(measurement.targetsPerSecond)) targets/s, \(String(format: "%.2f", measurement.secondsPerStep)) s/step\(row.speedupOverOneThread.map { String(format: ", %.2fx one worker", $0) } ?? "")"
                )
            }
        }
        return rows
    }

    /// One warm-up call, then `repetitions` timed top-10 calls of the causal generator.
    private func measureCausalInference(
        decoder: GeneratorDecoder, trie: SIDTrie, histories: [[Int32]], itemTokens: [Int32]
    ) -> CausalInference {
        let slices = histories.map { $0[...] }
        func call() -> BeamSearchResult {
            let result = decoder.decode(histories: slices, itemTokens: itemTokens, trie: trie)
            for u in 0..<histories.count { _ = result.ranking(user: u, k: 10) }
            return result
        }
        _ = call()
        var times: [Double] = []
        var invalid = 0
        for _ in 0..<repetitions {
            let clock = Stopwatch()
            invalid += call().invalidBeams
            times.append(clock.elapsed)
        }
        let median = times.sorted()[times.count / 2]
        progress(
            "causal inference batch \(histories.count): median \(String(format: "%.1f", median * 1000)) ms, \(String(format: "%.1f", Double(histories.count) / median)) users/s"
        )
        return CausalInference(
            users: histories.count, beam: decoder.beamWidth, medianSeconds: median,
            usersPerSecond: Double(histories.count) / median, invalidBeams: invalid)
    }

    /// One warm-up step, then `trainSteps` timed AdamW steps on one fixed batch.
    private func measureTraining(
        model: SIDGenerator, histories: [[Int32]], targets: [Int32], itemTokens: [Int32], levels: Int, peak: Double
    ) -> Training {
        let optimizer = AdamW(parameters: model.parameters, configuration: .init(learningRate: 5e-3, weightDecay: 1e-5))
        var mode = ForwardMode.training(seed: 3)
        let batch = SIDSequenceBatch(histories: histories, targets: targets, itemTokens: itemTokens, levels: levels)
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
        let flop = Self.trainingFlop(
            configuration: model.configuration, batch: trainBatch, encoderLength: batch.encoderLength, levels: levels,
            vocabulary: model.vocabulary.count)
        let training = Training(
            batch: trainBatch, steps: trainSteps, tokensPerStep: tokens, secondsPerStep: perStep,
            tokensPerSecond: Double(tokens) / perStep, samplesPerSecond: Double(trainBatch) / perStep,
            modelGflopPerStep: flop / 1e9, achievedGflops: flop / perStep / 1e9,
            shareOfSgemmPeak: flop / perStep / 1e9 / peak)
        progress(
            "training: \(Int(training.tokensPerSecond)) tokens/s, \(String(format: "%.1f", training.achievedGflops)) GFLOP/s = \(String(format: "%.1f", 100 * training.shareOfSgemmPeak))% of sgemm peak"
        )
        return training
    }

    private func progress(_ line: String) { log(line) }

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
                            BLAS.sgemm(
                                transposeA: false, transposeB: false, m: m, n: n, k: k, a: pa.baseAddress!, lda: k,
                                b: pb.baseAddress!, ldb: n, c: pc.baseAddress!, ldc: n)
                        }
                    }
                }
            }
            best = min(best, clock.elapsed / 5)
        }
        return 2.0 * Double(m * k * n) / best / 1e9
    }

    /// Matrix-multiply FLOPs of one training step: forward + backward ≈ 3× forward.
    static func trainingFlop(
        configuration c: SIDGeneratorConfiguration, batch: Int, encoderLength t: Int, levels l: Int, vocabulary v: Int
    ) -> Double {
        3
            * forwardFlop(
                configuration: c, encoderRows: batch * t, decoderRows: batch * l, encoderLength: t, levels: l,
                vocabulary: v)
    }

    /// Matrix-multiply FLOPs of one forward pass with `encoderRows` encoder positions and
    /// `decoderRows` decoder positions (users × beams × levels when decoding), counting
    /// projections, attention scores/values, the memory's key/value projections and the tied
    /// output layer; norms, softmax and element-wise work are left out, so the share of peak is
    /// a lower bound.
    static func forwardFlop(
        configuration c: SIDGeneratorConfiguration, encoderRows: Int, decoderRows: Int, encoderLength t: Int,
        levels l: Int, vocabulary v: Int
    ) -> Double {
        let (d, f) = (Double(c.modelWidth), Double(c.feedForwardWidth))
        let (bt, bl, T, L) = (Double(encoderRows), Double(decoderRows), Double(t), Double(l))
        let encoder = Double(c.encoderLayers) * bt * (2 * d * 3 * d + 2 * d * d + 4 * d * f + 4 * T * d)
        let decoder =
            Double(c.decoderLayers)
            * (bl * (2 * d * 3 * d + 2 * d * d + 4 * L * d + 2 * d * d + 2 * d * d + 4 * T * d + 4 * d * f) + bt * 4 * d
                * d)
        let output = bl * 2 * d * Double(v)
        return encoder + decoder + output
    }
}
