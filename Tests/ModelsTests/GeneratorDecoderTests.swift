import Inference
import Testing
import Tokenizer

@testable import Models

/// The decoding assembly every caller shares (the daemon's variants, the evaluation's
/// recommender, the generator benchmark): for either architecture it must decode exactly as a
/// fresh session of that architecture with a fresh search, also when reused across batches.
@Suite("Generator decoder")
struct GeneratorDecoderTests {
    static func models() throws -> [SIDGeneratorModel] {
        let table = GeneratorModelTests.tinyTable()
        var causal = CausalGeneratorConfiguration()
        (causal.modelWidth, causal.feedForwardWidth, causal.heads, causal.layers) = (16, 32, 2, 2)
        return [
            .t5(try GeneratorModelTests.tinyModel(seed: 3)),
            .causal(
                try CausalSIDGenerator(
                    configuration: causal, vocabulary: GeneratorVocabulary(levelSizes: table.levelSizes), seed: 4)),
        ]
    }

    @Test(arguments: [GeneratorArchitecture.t5, .causal])
    func decodesLikeAFreshSessionAndSearch(_ architecture: GeneratorArchitecture) throws {
        let table = GeneratorModelTests.tinyTable()
        let trie = try SIDTrie(table: table)
        let model = try #require(try Self.models().first { $0.architecture == architecture })
        let itemTokens = try model.vocabulary.itemTokens(table)
        let decoder = GeneratorDecoder(model: model, beamWidth: 4)
        #expect(decoder.beamWidth == 4)
        // Batch sizes go up and down, so the reused buffers grow mid-sequence and later batches
        // run in buffers larger than they need; one batch excludes the users' histories.
        let batches: [[[Int32]]] = [[[1]], [[0, 4, 7], [2], [9, 1, 3, 5, 11], [6, 6]], [[3, 8]]]
        for (index, histories) in batches.enumerated() {
            let slices = histories.map { $0[...] }
            let excluding = index == 1 ? slices : []
            let result = decoder.decode(histories: slices, itemTokens: itemTokens, trie: trie, excluding: excluding)
            let search = ConstrainedBeamSearch(
                beamWidth: 4, tokenOffsets: model.vocabulary.levelOffsets,
                unconstrainedTokens: model.vocabulary.sidTokens)
            search.normalizesOverChildren = model.softmaxOverTrie
            var fresh = model.makeSession()
            fresh.start(histories: slices, itemTokens: itemTokens)
            let expected = search.search(&fresh, users: histories.count, trie: trie, excluding: excluding)
            #expect(result.items == expected.items)
            #expect(result.scores == expected.scores)
            #expect(result.invalidBeams == 0)
        }
    }
}
