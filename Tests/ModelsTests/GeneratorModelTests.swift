import Foundation
import Tensor
import Testing
import Tokenizer

@testable import Models

@Suite("SID generator")
struct GeneratorModelTests {
    static func tinyConfiguration() -> SIDGeneratorConfiguration {
        var c = SIDGeneratorConfiguration()
        c.modelWidth = 16
        c.feedForwardWidth = 32
        c.heads = 2
        c.encoderLayers = 2
        c.decoderLayers = 2
        c.relativeBuckets = 8
        c.relativeMaxDistance = 16
        return c
    }

    /// A tiny generator whose RMSNorm gains are random (freshly initialised gains are all 1, which
    /// would hide a wrongly folded gain in the inference weights).
    static func tinyModel(seed: UInt64) throws -> SIDGenerator {
        let model = try SIDGenerator(
            configuration: tinyConfiguration(), vocabulary: GeneratorVocabulary(levelSizes: tinyTable().levelSizes),
            seed: seed)
        var rng = SeededRandom(seed: seed &+ 100)
        for (name, parameter) in model.namedParameters() where name.hasSuffix("gamma") {
            parameter.value = Tensor(
                shape: parameter.shape, elements: (0..<parameter.value.count).map { _ in rng.uniform(0.5, 1.5) })
        }
        return model
    }

    static func tinyTable() -> SIDTable {
        var codes: [[Int]] = []
        for a in 0..<3 { for b in 0..<3 { for c in 0..<2 where (a + b + c) % 3 != 0 { codes.append([a, b, c]) } } }
        return SIDTable(codes: codes, levelSizes: [3, 3, 2])
    }

    @Test func relativePositionBucketsMatchT5() {
        let encoder = RelativePositionBuckets(count: 32, maxDistance: 128, bidirectional: true)
        #expect([0, -1, -7, -8, -16, -127, -200].map(encoder.bucket) == [0, 1, 7, 8, 10, 15, 15])
        #expect([1, 7, 200].map(encoder.bucket) == [17, 23, 31])
        let decoder = RelativePositionBuckets(count: 32, maxDistance: 128, bidirectional: false)
        #expect([0, 1, 5, -15, -16, -32, -1000].map(decoder.bucket) == [0, 0, 0, 15, 16, 21, 31])
        #expect(decoder.table(queryPositions: 1..<3, keyLength: 3) == [1, 0, 0, 2, 1, 0])
    }

    @Test func batchesLayOutHistoriesAndShiftedTargets() throws {
        let vocabulary = GeneratorVocabulary(levelSizes: [3, 3, 2])
        let itemTokens = try vocabulary.itemTokens(
            SIDTable(codes: [[0, 1, 1], [2, 0, 0], [1, 2, 1]], levelSizes: [3, 3, 2]))
        #expect(itemTokens == [3, 7, 10, 5, 6, 9, 4, 8, 10])
        let histories: [[Int32]] = [[0, 1], [2]]
        let batch = SIDSequenceBatch(
            histories: histories, targets: [2, 0], itemTokens: itemTokens, levels: 3, historyLimit: 32)
        #expect(batch.encoderLength == 7)
        #expect(batch.encoderTokens == [3, 7, 10, 5, 6, 9, 1, 4, 8, 10, 1, 0, 0, 0])
        #expect(
            batch.encoderPadding == [
                false, false, false, false, false, false, false, false, false, false, false, true, true, true,
            ])
        #expect(batch.decoderInputs == [2, 4, 8, 2, 3, 7])
        #expect(batch.targets == [4, 8, 10, 3, 7, 10])
        let cut = SIDSequenceBatch(
            histories: histories, targets: nil, itemTokens: itemTokens, levels: 3, historyLimit: 1)
        #expect(cut.encoderTokens.prefix(4) == [5, 6, 9, 1])
        #expect(throws: SequenceModelError.self) {
            try vocabulary.itemTokens(SIDTable(codes: [[0, 3, 0]], levelSizes: [3, 3, 2]))
        }
    }

    @Test func decoderCacheMatchesRecomputingTheSequence() throws {
        let table = Self.tinyTable()
        let vocabulary = GeneratorVocabulary(levelSizes: table.levelSizes)
        let model = try Self.tinyModel(seed: 3)
        let itemTokens = try vocabulary.itemTokens(table)
        let histories: [[Int32]] = [[0, 4, 7], [2], [9, 1, 3, 5]]
        let targets: [Int32] = [5, 8, 0]
        let full = model.logits(
            SIDSequenceBatch(histories: histories, targets: targets, itemTokens: itemTokens, levels: 3)
        ).elements
        // Two beams per user: row 2u follows the target, row 2u+1 a different prefix, and the
        // rows are swapped by `parents` at step 2 so the cache must be reordered.
        let session = GeneratorDecoderSession(
            model: model, batch: SIDSequenceBatch(histories: histories, targets: nil, itemTokens: itemTokens, levels: 3)
        )
        let v = vocabulary.count
        var output = [Float](repeating: 0, count: 6 * v)
        output.withUnsafeMutableBufferPointer { o in
            session.logProbabilities(
                step: 0, users: 3, width: 1, tokens: .init(start: nil, count: 0), parents: .init(start: nil, count: 0),
                into: o.baseAddress!)
        }
        func expectMatches(row: Int, user: Int, position: Int, width: Int, _ output: [Float]) {
            let logits = Array(full[((user * 3 + position) * v)..<((user * 3 + position + 1) * v)])
            let peak = logits.max()!
            let lse = peak + Foundation.log(logits.reduce(Float(0)) { $0 + Foundation.exp($1 - peak) })
            for j in 0..<v { #expect(abs(output[row * v + j] - (logits[j] - lse)) < 1e-4) }
        }
        for u in 0..<3 { expectMatches(row: u, user: u, position: 0, width: 1, output) }
        var tokens = [Int32](), parents = [Int32]()
        for u in 0..<3 {
            tokens += [itemTokens[Int(targets[u]) * 3], Int32(vocabulary.levelOffsets[0] + 2)]
            parents += [Int32(u), Int32(u)]
        }
        output = [Float](repeating: 0, count: 6 * v)
        output.withUnsafeMutableBufferPointer { o in
            tokens.withUnsafeBufferPointer { t in
                parents.withUnsafeBufferPointer { p in
                    session.logProbabilities(step: 1, users: 3, width: 2, tokens: t, parents: p, into: o.baseAddress!)
                }
            }
        }
        for u in 0..<3 { expectMatches(row: 2 * u, user: u, position: 1, width: 2, output) }
        // Step 2: the target row moves to slot 2u+1 (its parent is row 2u).
        tokens = []
        parents = []
        for u in 0..<3 {
            tokens += [Int32(vocabulary.levelOffsets[1]), itemTokens[Int(targets[u]) * 3 + 1]]
            parents += [Int32(2 * u + 1), Int32(2 * u)]
        }
        output.withUnsafeMutableBufferPointer { o in
            tokens.withUnsafeBufferPointer { t in
                parents.withUnsafeBufferPointer { p in
                    session.logProbabilities(step: 2, users: 3, width: 2, tokens: t, parents: p, into: o.baseAddress!)
                }
            }
        }
        for u in 0..<3 { expectMatches(row: 2 * u + 1, user: u, position: 2, width: 2, output) }
    }

    @Test func beamOverAllItemsAgreesWithExhaustiveScoring() throws {
        let table = Self.tinyTable()
        let vocabulary = GeneratorVocabulary(levelSizes: table.levelSizes)
        let model = try Self.tinyModel(seed: 9)
        let itemTokens = try vocabulary.itemTokens(table)
        let trie = try SIDTrie(table: table)
        let histories: [[Int32]] = [[0, 4, 7], [2], [9, 1, 3, 5, 11]]
        let search = ConstrainedBeamSearch(
            beamWidth: table.count, tokenOffsets: vocabulary.levelOffsets, unconstrainedTokens: vocabulary.sidTokens)
        var session = GeneratorDecoderSession(
            model: model, batch: SIDSequenceBatch(histories: histories, targets: nil, itemTokens: itemTokens, levels: 3)
        )
        let result = search.search(&session, users: histories.count, trie: trie)
        #expect(result.invalidBeams == 0)
        let v = vocabulary.count
        for (u, history) in histories.enumerated() {
            // Score every item as the target with the teacher-forced decoder.
            let items = (0..<table.count).map(Int32.init)
            let logits = model.logits(
                SIDSequenceBatch(
                    histories: Array(repeating: history, count: items.count), targets: items, itemTokens: itemTokens,
                    levels: 3)
            ).elements
            let scores = items.map { item -> Float in
                (0..<3).reduce(Float(0)) { total, l in
                    let row = Array(logits[((Int(item) * 3 + l) * v)..<((Int(item) * 3 + l + 1) * v)])
                    let peak = row.max()!
                    let lse = peak + Foundation.log(row.reduce(Float(0)) { $0 + Foundation.exp($1 - peak) })
                    return total + row[Int(itemTokens[Int(item) * 3 + l])] - lse
                }
            }
            let exhaustive = items.sorted { scores[Int($0)] > scores[Int($1)] }
            #expect(result.ranking(user: u, k: table.count) == exhaustive)
            for (j, item) in exhaustive.enumerated() {
                #expect(abs(result.scores[u * result.width + j] - scores[Int(item)]) < 1e-3)
            }
        }
    }

    @Test func aReusedSessionDecodesLikeAFreshOne() throws {
        let table = Self.tinyTable()
        let model = try Self.tinyModel(seed: 5)
        let itemTokens = try model.vocabulary.itemTokens(table)
        let trie = try SIDTrie(table: table)
        let search = ConstrainedBeamSearch(
            beamWidth: 4, tokenOffsets: model.vocabulary.levelOffsets, unconstrainedTokens: model.vocabulary.sidTokens)
        let reused = GeneratorDecoderSession(model: model)
        // Batch sizes and history lengths go up and down, so the workspace grows mid-sequence
        // and later batches run in buffers larger than they need.
        let batches: [[[Int32]]] = [
            [[1]], [[0, 4, 7], [2], [9, 1, 3, 5, 11], [6, 6]], [[3, 8]], [[10, 2, 4, 1, 0, 5, 7]],
        ]
        for histories in batches {
            let batch = SIDSequenceBatch(histories: histories, targets: nil, itemTokens: itemTokens, levels: 3)
            reused.start(batch)
            var scorer = reused
            let again = search.search(&scorer, users: histories.count, trie: trie)
            var fresh = GeneratorDecoderSession(model: model, batch: batch)
            let expected = search.search(&fresh, users: histories.count, trie: trie)
            #expect(again.items == expected.items)
            #expect(again.scores == expected.scores)
            #expect(again.decodedRows == 1 * histories.count + min(4, 3) * histories.count + 4 * histories.count)
        }
    }

    @Test func checkpointRoundTripsAndRejectsBadFiles() throws {
        let vocabulary = GeneratorVocabulary(levelSizes: [3, 3, 2])
        let model = try SIDGenerator(configuration: Self.tinyConfiguration(), vocabulary: vocabulary, seed: 4)
        let url = FileManager.default.temporaryDirectory.appendingPathComponent(
            "generator-\(UUID().uuidString).safetensors")
        defer { try? FileManager.default.removeItem(at: url) }
        try model.save(to: url)
        let loaded = try SIDGenerator(contentsOf: url)
        #expect(loaded.configuration == model.configuration && loaded.vocabulary == vocabulary)
        let itemTokens = try vocabulary.itemTokens(Self.tinyTable())
        let batch = SIDSequenceBatch(histories: [[0, 1], [3]], targets: [2, 4], itemTokens: itemTokens, levels: 3)
        #expect(loaded.logits(batch) == model.logits(batch))
        var tensors = model.namedTensors()
        tensors["decoder.0.ffn.up.weight"] = Tensor(zeros: [2, 2])
        #expect(throws: SequenceModelError.self) {
            try SIDGenerator(contents: .init(tensors: tensors, metadata: try model.metadata()))
        }
        #expect(throws: SequenceModelError.self) {
            try SIDGenerator(contents: .init(tensors: model.namedTensors(), metadata: [:]))
        }
    }

    @Test func trainingStepsReduceTheLoss() throws {
        let table = Self.tinyTable()
        let vocabulary = GeneratorVocabulary(levelSizes: table.levelSizes)
        var configuration = Self.tinyConfiguration()
        configuration.dropout = 0
        let model = try SIDGenerator(configuration: configuration, vocabulary: vocabulary, seed: 5)
        let itemTokens = try vocabulary.itemTokens(table)
        // Next item = (last item + 1) mod n: learnable from the history's last SID.
        var random = SeededRandom(seed: 1)
        let histories = (0..<32).map { _ in (0..<3).map { _ in Int32(random.int(below: table.count)) } }
        let batch = SIDSequenceBatch(
            histories: histories, targets: histories.map { ($0.last! + 1) % Int32(table.count) },
            itemTokens: itemTokens, levels: 3)
        let optimizer = AdamW(parameters: model.parameters, configuration: .init(learningRate: 5e-3, weightDecay: 1e-5))
        var mode = ForwardMode.inference
        let first = model.loss(batch, mode: &mode).value.scalar
        for _ in 0..<40 {
            let loss = model.loss(batch, mode: &mode)
            loss.backward()
            optimizer.step()
            optimizer.zeroGrad()
        }
        let last = model.loss(batch, mode: &mode).value.scalar
        #expect(last < first * 0.5, "loss \(first) -> \(last)")
    }
}

@Suite("Inference kernels")
struct InferenceKernelTests {
    @Test func vectorExpMatchesTheCLibrary() {
        var worst: Float = 0
        var x: Float = -87
        while x <= 10 {
            let lanes = SIMD8<Float>((0..<8).map { x + Float($0) * 0.001 })
            let fast = InferenceKernels.exp(lanes)
            for i in 0..<8 {
                let exact = Foundation.exp(lanes[i])
                worst = max(worst, abs(fast[i] - exact) / exact)
            }
            x += 0.0137
        }
        #expect(worst < 5e-7, "worst relative error \(worst)")
    }

    @Test func softmaxMatchesTheScalarOneOnEveryTailLength() {
        var rng = SeededRandom(seed: 21)
        for count in [1, 3, 8, 9, 97, 100] {
            var row = (0..<count).map { _ in rng.normal() * 6 }
            let peak = row.max()!
            let exps = row.map { Foundation.exp($0 - peak) }
            let expected = exps.map { $0 / exps.reduce(0, +) }
            row.withUnsafeMutableBufferPointer { InferenceKernels.softmax($0.baseAddress!, count: count) }
            for (a, b) in zip(row, expected) { #expect(abs(a - b) < 1e-6) }
            #expect(abs(row.reduce(0, +) - 1) < 1e-5)
        }
    }
}
