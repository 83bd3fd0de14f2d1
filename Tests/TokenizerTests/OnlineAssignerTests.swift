import Tensor
import Testing
@testable import Tokenizer

@Suite("Online assignment")
struct OnlineAssignerTests {
    /// A codebook fitted on synthetic `vectors` (items keyed `item-i`), a claimer seeded with
    /// its items and an assigner over it.
    static func fitted(_ vectors: Tensor, b1: Int, b2: Int, seed: UInt64) throws
        -> (vectors: Tensor, codebook: GAOQCodebook, keys: [String], claimer: InMemoryLevel3Claimer, assigner: OnlineAssigner)
    {
        let codebook = try GAOQ(.init(b1: b1, b2: b2, seed: seed)).fit(vectors).codebook
        let keys = (0..<vectors.shape[0]).map { "item-\($0)" }
        return (vectors, codebook, keys, try InMemoryLevel3Claimer(codebook: codebook, keys: keys), OnlineAssigner(codebook: codebook))
    }

    @Test func claimerFollowsTheContract() async throws {
        let claimer = try InMemoryLevel3Claimer(existing: [(item: "a", sid: SemanticID(0, 1, 1))])
        // Existing items keep their SID whatever is asked.
        #expect(try await claimer.claim(item: "a", c1: 5, c2: 5, capacity: 2, candidates: [0]) == SemanticID(0, 1, 1))
        // First free candidate, then the lowest free code, then overflow past g3.
        #expect(try await claimer.claim(item: "b", c1: 0, c2: 1, capacity: 2, candidates: [1, 0]) == SemanticID(0, 1, 0))
        #expect(try await claimer.claim(item: "c", c1: 0, c2: 1, capacity: 2, candidates: [1, 0]) == SemanticID(0, 1, 2))
        #expect(try await claimer.claim(item: "d", c1: 0, c2: 1, capacity: 2, candidates: [1, 0]) == SemanticID(0, 1, 3))
        #expect(try await claimer.claim(item: "e", c1: 0, c2: 2, capacity: 2, candidates: []) == SemanticID(0, 2, 0))
        #expect(claimer.count == 5)
        #expect(throws: TokenizerError.self) {
            try InMemoryLevel3Claimer(existing: [(item: "x", sid: SemanticID(0, 0, 0)), (item: "y", sid: SemanticID(0, 0, 0))])
        }
    }

    @Test func thousandNewItemsNeverCollideNorMoveExistingSIDs() async throws {
        let (_, codebook, keys, claimer, assigner) = try Self.fitted(
            SyntheticVectors.clustered(items: 800, dimension: 24, topics: 10, subtopics: 4, seed: 21), b1: 8, b2: 10, seed: 3)
        // Unseen items from the same synthetic distribution (another seed), one after another.
        let fresh = SyntheticVectors.clustered(items: 1_000, dimension: 24, topics: 10, subtopics: 4, seed: 22)
        var sids: [SemanticID] = []
        for i in 0..<1_000 {
            let row = RowMatrix.gather(fresh, rows: [i])
            sids += try await assigner.assign(items: ["new-\(i)"], vectors: row, claimer: claimer)
        }
        let all = codebook.itemSIDs + sids
        #expect(Set(all).count == 1_800)
        for (key, sid) in zip(keys, codebook.itemSIDs) { #expect(claimer.sid(of: key) == sid) }
        // 1,000 items on top of 800 must overflow some groups past g3, never collide.
        #expect(sids.contains { $0.c3 >= codebook.g3 })
        // Asking again changes nothing.
        let again = try await assigner.assign(items: ["new-0", "item-5"], vectors: RowMatrix.gather(fresh, rows: [0, 5]), claimer: claimer)
        #expect(again == [sids[0], codebook.itemSIDs[5]])
    }

    @Test func newItemsTakeTrainedCodesWhileTheirGroupHasRoom() async throws {
        let (vectors, codebook, _, claimer, assigner) = try Self.fitted(
            SyntheticVectors.clustered(items: 600, dimension: 32, topics: 6, subtopics: 3, seed: 4), b1: 6, b2: 5, seed: 9)
        // Copies of one fitted item's vector: every copy lands in the same (c1, c2) group.
        let copies = 40
        let row = RowMatrix.gather(vectors, rows: Array(repeating: 7, count: copies))
        let placement = try assigner.place(row)[0]
        let taken = codebook.itemSIDs.filter { $0.c1 == placement.c1 && $0.c2 == placement.c2 }.count
        let room = codebook.g3 - taken
        #expect(room >= codebook.g3 - codebook.largestGroup && room > 0 && room < copies)
        let sids = try await assigner.assign(items: (0..<copies).map { "new-\($0)" }, vectors: row, claimer: claimer)
        #expect(sids.allSatisfy { $0.c1 == placement.c1 && $0.c2 == placement.c2 })
        // The first `room` copies fill the group's free codes, each a token some fitted item
        // holds (trained); only then do overflow codes start, one past another.
        let trained = codebook.heldLevel3Codes
        #expect(sids.prefix(room).allSatisfy { $0.c3 < codebook.g3 && trained.contains($0.c3) })
        #expect(sids.dropFirst(room).map(\.c3) == Array(codebook.g3..<(codebook.g3 + copies - room)))
        // The first copy takes its best-ranked free code.
        let held = Set(codebook.itemSIDs.filter { $0.c1 == placement.c1 && $0.c2 == placement.c2 }.map(\.c3))
        #expect(sids[0].c3 == placement.candidates.first { !held.contains($0) })
        #expect(Set(codebook.itemSIDs + sids).count == 600 + copies)
    }

    @Test func placementMatchesTheFitForTrainingItems() throws {
        let vectors = SyntheticVectors.clustered(items: 600, dimension: 32, topics: 6, subtopics: 3, seed: 4)
        let codebook = try GAOQ(.init(b1: 6, b2: 5, seed: 9)).fit(vectors).codebook
        let placements = try OnlineAssigner(codebook: codebook).place(vectors)
        // Reference placement by plain loops: nearest level-1 centroid, nearest existing child of
        // that parent, mapped through the frozen permutation.
        func squaredDistance(_ t: Tensor, _ row: Int, _ item: Int) -> Float {
            (0..<32).reduce(0) { sum, j in
                let diff = t[flat: row * 32 + j] - vectors[flat: item * 32 + j]
                return sum + diff * diff
            }
        }
        var fitAgrees = 0
        for (item, placement) in placements.enumerated() {
            let c1 = (0..<6).min { squaredDistance(codebook.level1Centroids, $0, item) < squaredDistance(codebook.level1Centroids, $1, item) }!
            let child = (0..<5).min { squaredDistance(codebook.level2Centroids, c1 * 5 + $0, item) < squaredDistance(codebook.level2Centroids, c1 * 5 + $1, item) }!
            #expect(placement.c1 == c1)
            #expect(placement.c2 == codebook.anchor(parent: c1, child: child))
            if placement.c1 == codebook.itemSIDs[item].c1 && placement.c2 == codebook.itemSIDs[item].c2 { fitAgrees += 1 }
        }
        // The balanced fit moves some items off their nearest centroid, but most stay.
        #expect(fitAgrees > 300)
        for p in placements { #expect(Set(p.candidates) == Set(0..<codebook.g3)) }
        #expect(throws: TokenizerError.self) { try OnlineAssigner(codebook: codebook).place(Tensor(zeros: [2, 3])) }
    }
}
