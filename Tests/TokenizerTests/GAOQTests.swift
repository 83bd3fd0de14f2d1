import Foundation
import Tensor
import Testing

@testable import Tokenizer

@Suite("GAOQ fit")
struct GAOQTests {
    static let vectors = SyntheticVectors.clustered(items: 1_200, dimension: 32, topics: 12, subtopics: 4, seed: 11)

    static func fit(seed: UInt64 = 42, workers: Int = 2) throws -> GAOQ.Fit {
        try GAOQ(.init(b1: 8, b2: 10, seed: seed, workers: workers)).fit(vectors)
    }

    @Test func everyItemGetsAUniqueSID() throws {
        let codebook = try Self.fit().codebook
        #expect(codebook.itemSIDs.count == 1_200)
        #expect(Set(codebook.itemSIDs).count == 1_200)
        for sid in codebook.itemSIDs {
            #expect(sid.c1 >= 0 && sid.c1 < 8)
            #expect(sid.c2 >= 0 && sid.c2 < 10)
            #expect(sid.c3 >= 0 && sid.c3 < codebook.g3)
        }
        #expect(codebook.vocabulary.count == 8 + 10 + codebook.g3)
        #expect(codebook.vocabulary.offsets == [0, 8, 18])
    }

    @Test func levelsAreBalancedAndAnchorsOrthonormal() throws {
        let codebook = try Self.fit().codebook
        var level1 = [Int](repeating: 0, count: 8)
        for sid in codebook.itemSIDs { level1[sid.c1] += 1 }
        #expect(level1.allSatisfy { $0 == 150 })
        // Each parent's 150 items split into 10 children of 15: the (c1, c2) groups.
        var groups: [Int: Int] = [:]
        for sid in codebook.itemSIDs { groups[sid.c1 * 10 + sid.c2, default: 0] += 1 }
        #expect(groups.count == 80 && groups.values.allSatisfy { $0 == 15 })
        // Groups of 15 plus half of that (rounded up) as room for new items.
        #expect(codebook.largestGroup == 15)
        #expect(codebook.g3 == 23)
        for anchors in [codebook.level2Anchors, codebook.level3Anchors] {
            let m = anchors.shape[0]
            let gram = Tensor.matmul(anchors, anchors, transposeB: true)
            for i in 0..<m { for j in 0..<m { #expect(abs(gram[flat: i * m + j] - (i == j ? 1 : 0)) < 1e-5) } }
        }
        // Every parent's children use distinct anchors.
        for p in 0..<8 {
            let codes = (0..<10).compactMap { codebook.anchor(parent: p, child: $0) }
            #expect(Set(codes).count == 10)
        }
    }

    @Test func sameSeedIsBitIdenticalWhateverTheWorkerCount() throws {
        let a = try Self.fit(workers: 1).codebook
        let b = try Self.fit(workers: 2).codebook
        let c = try Self.fit(workers: 3).codebook
        for other in [b, c] {
            #expect(a.itemSIDs == other.itemSIDs)
            #expect(a.level1Centroids == other.level1Centroids)
            #expect(a.level2Centroids == other.level2Centroids)
            #expect(a.childToAnchor == other.childToAnchor)
            #expect(a.level3Anchors == other.level3Anchors)
        }
        let d = try Self.fit(seed: 43).codebook
        #expect(d.itemSIDs != a.itemSIDs)
    }

    @Test func codebookRoundTripsThroughNamedTensors() throws {
        let codebook = try Self.fit().codebook
        let back = try GAOQCodebook(namedTensors: codebook.namedTensors())
        #expect(back.itemSIDs == codebook.itemSIDs)
        #expect(back.level2Centroids == codebook.level2Centroids)
        #expect(back.childToAnchor == codebook.childToAnchor)
        var broken = codebook.namedTensors()
        broken[GAOQCodebook.TensorName.level3Anchors] = nil
        #expect(throws: TokenizerError.self) { try GAOQCodebook(namedTensors: broken) }
    }

    @Test func codebookRoundTripsThroughSafetensors() throws {
        let codebook = try Self.fit().codebook
        let url = FileManager.default.temporaryDirectory.appendingPathComponent(
            "gaoq-\(UInt64.random(in: 0...UInt64.max)).safetensors")
        defer { try? FileManager.default.removeItem(at: url) }
        try codebook.save(to: url)
        let back = try GAOQCodebook(contentsOf: url)
        #expect(back.itemSIDs == codebook.itemSIDs)
        #expect(back.level1Centroids == codebook.level1Centroids)
        #expect(back.level3Anchors == codebook.level3Anchors)
        #expect(back.g3 == codebook.g3)
    }

    @Test func level3LeavesRoomAndEveryCodeIsHeldSomewhere() throws {
        let codebook = try Self.fit().codebook
        // 80 groups of 15 items on 23 codes: each group has 8 free codes, and every code is
        // held by some item, so each free code is a token the generator trains on elsewhere.
        #expect(codebook.g3 > codebook.largestGroup)
        #expect(codebook.heldLevel3Codes == Set(0..<codebook.g3))
        #expect(Set(codebook.itemSIDs).count == 1_200)
        // Without slack the paper's level 3 comes back: as many codes as the largest group.
        var paper = GAOQ.Configuration(b1: 8, b2: 10, seed: 42)
        paper.level3Slack = 0
        let exact = try GAOQ(paper).fit(Self.vectors).codebook
        #expect(exact.g3 == 15 && exact.largestGroup == 15)
        #expect(exact.itemSIDs.map(\.c1) == codebook.itemSIDs.map(\.c1))
        #expect(exact.itemSIDs.map(\.c2) == codebook.itemSIDs.map(\.c2))
    }

    @Test func capacityRuleIsHandComputable() {
        #expect(GAOQ.level3Capacity(largestGroup: 17, slack: 0.5, dimension: 1536) == 26)
        #expect(GAOQ.level3Capacity(largestGroup: 17, slack: 0, dimension: 1536) == 17)
        // At least one free code for any positive slack; never past the anchors' dimension,
        // never below the largest group.
        #expect(GAOQ.level3Capacity(largestGroup: 1, slack: 0.01, dimension: 8) == 2)
        #expect(GAOQ.level3Capacity(largestGroup: 6, slack: 1, dimension: 8) == 8)
        #expect(GAOQ.level3Capacity(largestGroup: 9, slack: 1, dimension: 8) == 9)
    }

    @Test func coveringMovesTheCheapestItemOffACodeHeldTwice() {
        // Two groups of two items on 4 codes: codes 0 and 1 are held in both groups, 2 and 3
        // in none. Row-major cosines [member, code].
        var groups = [
            GAOQ.Level3Match(codes: [0, 1], cosines: [0.9, 0.1, 0.8, 0.0, 0.1, 0.9, 0.0, 0.2]),
            GAOQ.Level3Match(codes: [0, 1], cosines: [0.9, 0.0, 0.3, 0.85, 0.0, 0.75, 0.0, 0.0]),
        ]
        let moved = GAOQ.coverLevel3Codes(&groups, codes: 4)
        // Code 2: group 0 member 0 loses 0.9 - 0.8 = 0.1, the cheapest. Code 3: code 0 is now
        // held once, so only code-1 holders may move: group 0 member 1 loses 0.9 - 0.2 = 0.7,
        // group 1 member 1 loses 0.75 (group 1 member 0 would lose less, 0.9 - 0.85, but it
        // holds code 0's last copy).
        #expect(moved == 2)
        #expect(groups[0].codes == [2, 3])
        #expect(groups[1].codes == [0, 1])
        // Every code held, none twice within a group.
        #expect(Set(groups.flatMap(\.codes)) == Set(0..<4))
        #expect(groups.allSatisfy { Set($0.codes).count == $0.codes.count })
    }

    @Test func badInputIsAClearError() {
        var x = Tensor(zeros: [10, 4])
        x[flat: 5] = .nan
        #expect(throws: TokenizerError.self) { try GAOQ(.init(b1: 2, b2: 2)).fit(x) }
        #expect(throws: TokenizerError.self) { try GAOQ(.init(b1: 20, b2: 2)).fit(Tensor(zeros: [10, 4])) }
    }
}
