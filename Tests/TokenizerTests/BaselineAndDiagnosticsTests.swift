import Tensor
import Testing

@testable import Tokenizer

@Suite("Baselines and diagnostics")
struct BaselineAndDiagnosticsTests {
    @Test func diagnosticsMatchHandComputedFigures() {
        let table = SIDTable(codes: [[0, 0], [0, 1], [1, 0], [1, 0]], levelSizes: [2, 2])
        let d = QuantizerDiagnostics(table)
        #expect(d.distinctSIDs == 3 && d.collisions == 1)
        #expect(abs(d.levels[0].conditionalEntropyBits - 1) < 1e-12)
        // H(c1, c2) = 1.5 bits (prefix counts 1, 1, 2), so H(c2 | c1) = 0.5.
        #expect(abs(d.levels[1].conditionalEntropyBits - 0.5) < 1e-12)
        #expect(d.levels[0].clusterSizeCV == 0 && d.levels[0].clusterSizeMax == 2)
        #expect(d.levels[1].clusters == 3 && d.levels[1].clusterSizeMin == 1 && d.levels[1].codesUsed == 2)
    }

    @Test func historyOverlapCountsSameCodes() {
        let table = SIDTable(codes: [[0, 0], [1, 0], [1, 1], [0, 1]], levelSizes: [2, 2])
        // Target 2 = (1,1) after history (0,0), (1,0): level 1 shares code 1 once; level 2 none.
        let overlap = HistoryOverlap(table, sequences: [[0, 1, 2], [3], [0, 9]])
        #expect(overlap.samples == 1)
        #expect(overlap.levels[0].sameCodeHitRate == 1 && overlap.levels[0].sameCodeShare == 0.5)
        #expect(overlap.levels[1].sameCodeHitRate == 0 && overlap.levels[1].samePrefixHitRate == 0)
    }

    @Test func rqKMeansSuffixMakesSIDsUnique() throws {
        let vectors = SyntheticVectors.clustered(items: 500, dimension: 16, topics: 5, subtopics: 2, seed: 2)
        let fit = try RQKMeans(.init(levelSizes: [4, 4, 4], seed: 1)).fit(vectors)
        #expect(fit.table.levels == 4)
        #expect(QuantizerDiagnostics(fit.table).collisions == 0)
        // 500 items in at most 64 three-code cells: the suffix must be in use.
        #expect(fit.table.levelSizes[3] >= 8)
        let again = try RQKMeans(.init(levelSizes: [4, 4, 4], seed: 1)).fit(vectors)
        #expect(again.table.codes == fit.table.codes)
    }

    @Test func hierarchicalKMeansUsesLocalChildIndices() throws {
        let vectors = SyntheticVectors.clustered(items: 400, dimension: 32, topics: 5, subtopics: 2, seed: 6)
        var config = GAOQ.Configuration(b1: 4, b2: 5, seed: 8)
        config.alignLevel2 = false
        let codebook = try GAOQ(config).fit(vectors).codebook
        #expect(codebook.childToAnchor == Array(repeating: Array(0..<5), count: 4).flatMap { $0 })
        #expect(QuantizerDiagnostics(codebook.table).collisions == 0)
    }
}
