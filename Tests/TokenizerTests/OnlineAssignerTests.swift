import Tensor
import Testing

@testable import Tokenizer

@Suite("Online assignment")
struct OnlineAssignerTests {
    /// A codebook fitted on synthetic `vectors` (items keyed `item-i`), a claimer seeded with
    /// its items and an assigner over it.
    static func fitted(
        _ vectors: Tensor, b1: Int, b2: Int, seed: UInt64
    ) throws
        -> (
            vectors: Tensor, codebook: GAOQCodebook, keys: [String], claimer: InMemoryLevel3Claimer,
            assigner: OnlineAssigner
        )
    {
        let codebook = try GAOQ(.init(b1: b1, b2: b2, seed: seed)).fit(vectors).codebook
        let keys = (0..<vectors.shape[0]).map { "item-\($0)" }
        return (
            vectors, codebook, keys, try InMemoryLevel3Claimer(codebook: codebook, keys: keys),
            OnlineAssigner(codebook: codebook)
        )
    }

    @Test func claimerFollowsTheContract() async throws {
        let claimer = try InMemoryLevel3Claimer(existing: [(item: "a", sid: SemanticID(0, 1, 1))])
        func group(_ c1: Int, _ c2: Int, _ candidates: [Int]) -> Level3CandidateGroup {
            Level3CandidateGroup(c1: c1, c2: c2, candidates: candidates)
        }
        // Existing items keep their SID whatever is asked.
        #expect(try await claimer.claim(item: "a", groups: [group(5, 5, [0])], capacity: 2) == SemanticID(0, 1, 1))
        // First free candidate of the own group; then the first spill group with a free
        // candidate; then overflow past g3 in the own group.
        let groups = [group(0, 1, [1, 0]), group(0, 2, []), group(0, 3, [1])]
        #expect(try await claimer.claim(item: "b", groups: groups, capacity: 2) == SemanticID(0, 1, 0))
        #expect(try await claimer.claim(item: "c", groups: groups, capacity: 2) == SemanticID(0, 3, 1))
        #expect(try await claimer.claim(item: "d", groups: groups, capacity: 2) == SemanticID(0, 1, 2))
        #expect(try await claimer.claim(item: "e", groups: groups, capacity: 2) == SemanticID(0, 1, 3))
        #expect(try await claimer.claim(item: "f", groups: [group(0, 2, [0])], capacity: 2) == SemanticID(0, 2, 0))
        #expect(claimer.count == 6)
        await #expect(throws: TokenizerError.self) { try await claimer.claim(item: "g", groups: [], capacity: 2) }
        #expect(throws: TokenizerError.self) {
            try InMemoryLevel3Claimer(existing: [
                (item: "x", sid: SemanticID(0, 0, 0)), (item: "y", sid: SemanticID(0, 0, 0)),
            ])
        }
    }

    @Test func batchClaimsReportRankAndFreshnessAndRefuseMalformedBatchesWhole() async throws {
        let claimer = try InMemoryLevel3Claimer(existing: [(item: "a", sid: SemanticID(0, 1, 0))])
        func group(_ c1: Int, _ c2: Int, _ candidates: [Int]) -> Level3CandidateGroup {
            Level3CandidateGroup(c1: c1, c2: c2, candidates: candidates)
        }
        let groups = [group(0, 1, [0, 1]), group(0, 2, [1])]
        let claims = try await claimer.claim(
            ["b", "c", "a", "b", "d"].map { Level3ClaimRequest(item: $0, groups: groups) }, capacity: 2)
        #expect(
            claims == [
                Level3Claim(sid: SemanticID(0, 1, 1), newlyAssigned: true, groupRank: 0),
                Level3Claim(sid: SemanticID(0, 2, 1), newlyAssigned: true, groupRank: 1),
                Level3Claim(sid: SemanticID(0, 1, 0), newlyAssigned: false, groupRank: 0),
                Level3Claim(sid: SemanticID(0, 1, 1), newlyAssigned: false, groupRank: 0),
                Level3Claim(sid: SemanticID(0, 1, 2), newlyAssigned: true, groupRank: 0),
            ])
        #expect(claims[1].spilled && claims[4].isOverflow(capacity: 2))
        // An existing SID outside the request's groups has rank -1.
        let moved = try await claimer.claim(Level3ClaimRequest(item: "a", groups: [group(3, 3, [0])]), capacity: 2)
        #expect(moved.groupRank == -1 && !moved.spilled)
        // A malformed request refuses the whole batch before anything is claimed.
        await #expect(throws: TokenizerError.self) {
            try await claimer.claim(
                [
                    Level3ClaimRequest(item: "e", groups: groups),
                    Level3ClaimRequest(item: "f", groups: [group(0, 3, [2])]),
                ], capacity: 2)
        }
        #expect(claimer.sid(of: "e") == nil && claimer.count == 4)
    }

    @Test func thousandNewItemsNeverCollideNorMoveExistingSIDs() async throws {
        let (_, codebook, keys, claimer, assigner) = try Self.fitted(
            SyntheticVectors.clustered(items: 800, dimension: 24, topics: 10, subtopics: 4, seed: 21), b1: 8, b2: 10,
            seed: 3)
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
        let again = try await assigner.assign(
            items: ["new-0", "item-5"], vectors: RowMatrix.gather(fresh, rows: [0, 5]), claimer: claimer)
        #expect(again == [sids[0], codebook.itemSIDs[5]])
    }

    @Test func newItemsTakeTrainedCodesWhileTheirGroupHasRoom() async throws {
        let (vectors, codebook, _, claimer, assigner) = try Self.fitted(
            SyntheticVectors.clustered(items: 600, dimension: 32, topics: 6, subtopics: 3, seed: 4), b1: 6, b2: 5,
            seed: 9)
        // Copies of one fitted item's vector: every copy has the same own (c1, c2) group.
        let copies = 40
        let row = RowMatrix.gather(vectors, rows: Array(repeating: 7, count: copies))
        let placement = try assigner.place(row)[0]
        let held = Set(codebook.itemSIDs.filter { $0.c1 == placement.c1 && $0.c2 == placement.c2 }.map(\.c3))
        let room = codebook.g3 - held.count
        #expect(room >= codebook.g3 - codebook.largestGroup && room > 0 && room < copies)
        let sids = try await assigner.assign(items: (0..<copies).map { "new-\($0)" }, vectors: row, claimer: claimer)
        // The first `room` copies fill the group's free codes, best-ranked first, each a token
        // some fitted item holds (trained).
        let trained = codebook.heldLevel3Codes
        #expect(sids.prefix(room).allSatisfy { $0.c1 == placement.c1 && $0.c2 == placement.c2 })
        #expect(sids.prefix(room).allSatisfy { $0.c3 < codebook.g3 && trained.contains($0.c3) })
        #expect(sids.prefix(room).map(\.c3) == placement.candidates.filter { !held.contains($0) })
        // Then the group is full and the copies spill to the nearest sibling: still on trained
        // codes, never on an overflow code while a listed group has room.
        #expect(sids.dropFirst(room).allSatisfy { !($0.c1 == placement.c1 && $0.c2 == placement.c2) })
        #expect(sids.dropFirst(room).allSatisfy { $0.c3 < codebook.g3 && trained.contains($0.c3) })
        let sibling = placement.groups[1]
        #expect(
            sids[room]
                == SemanticID(
                    sibling.c1, sibling.c2,
                    sibling.candidates.first { code in
                        !codebook.itemSIDs.contains(SemanticID(sibling.c1, sibling.c2, code))
                    }!))
        #expect(Set(codebook.itemSIDs + sids).count == 600 + copies)
    }

    @Test func spillFollowsThePlacementOrderThenOverflows() async throws {
        let (vectors, codebook, _, claimer, assigner) = try Self.fitted(
            SyntheticVectors.clustered(items: 300, dimension: 64, topics: 4, subtopics: 3, seed: 5), b1: 4, b2: 3,
            seed: 2)
        let copies = 400
        let row = RowMatrix.gather(vectors, rows: Array(repeating: 11, count: copies))
        let placement = try assigner.place(row)[0]
        // A reference allocator by plain loops: the first listed group with a free code, its
        // best free candidate; overflow codes in the own group once every listed group is full.
        var taken = Set(codebook.itemSIDs)
        var expected: [SemanticID] = []
        for _ in 0..<copies {
            var sid: SemanticID?
            for group in placement.groups where sid == nil {
                if let code = group.candidates.first(where: { !taken.contains(SemanticID(group.c1, group.c2, $0)) }) {
                    sid = SemanticID(group.c1, group.c2, code)
                }
            }
            let chosen =
                sid
                ?? SemanticID(
                    placement.c1, placement.c2,
                    (codebook.g3...).first { !taken.contains(SemanticID(placement.c1, placement.c2, $0)) }!)
            taken.insert(chosen)
            expected.append(chosen)
        }
        let sids = try await assigner.assign(items: (0..<copies).map { "copy-\($0)" }, vectors: row, claimer: claimer)
        #expect(sids == expected)
        // The listed groups: own first, the own parent's other children, then the next parent's.
        let parents = placement.groups.map(\.c1)
        #expect(
            parents.first == placement.c1
                && parents.prefix { $0 == placement.c1 }.count
                    == (0..<3).filter { codebook.anchor(parent: placement.c1, child: $0) != nil }.count
        )
        #expect(Set(placement.groups.map { [$0.c1, $0.c2] }).count == placement.groups.count)
        #expect(sids.contains { $0.c3 >= codebook.g3 }, "400 copies exceed the listed groups' room")
        // Without spill groups a full group overflows at once.
        let narrow = OnlineAssigner(codebook: codebook, spillGroups: 0)
        #expect(try narrow.place(row)[0].groups.count == 1)
    }

    @Test func spillCandidatesRankByCosineToTheirGroupsResidual() throws {
        let vectors = SyntheticVectors.clustered(items: 300, dimension: 64, topics: 4, subtopics: 3, seed: 5)
        let codebook = try GAOQ(.init(b1: 4, b2: 3, seed: 2)).fit(vectors).codebook
        let placements = try OnlineAssigner(codebook: codebook).place(RowMatrix.gather(vectors, rows: [0, 50, 100]))
        for (index, item) in [0, 50, 100].enumerated() {
            for group in placements[index].groups {
                let child = (0..<3).first { codebook.anchor(parent: group.c1, child: $0) == group.c2 }!
                var residual = RowMatrix.gather(vectors, rows: [item])
                for j in 0..<64 { residual[flat: j] -= codebook.level2Centroids[flat: (group.c1 * 3 + child) * 64 + j] }
                let cosines = RowMatrix.cosines(residual, codebook.level3Anchors)
                // Best first, up to rounding between near-equal cosines.
                for (a, b) in zip(group.candidates, group.candidates.dropFirst()) {
                    #expect(cosines[flat: a] >= cosines[flat: b] - 1e-5)
                }
            }
        }
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
            let c1 = (0..<6).min {
                squaredDistance(codebook.level1Centroids, $0, item)
                    < squaredDistance(codebook.level1Centroids, $1, item)
            }!
            let child = (0..<5).min {
                squaredDistance(codebook.level2Centroids, c1 * 5 + $0, item)
                    < squaredDistance(codebook.level2Centroids, c1 * 5 + $1, item)
            }!
            #expect(placement.c1 == c1)
            #expect(placement.c2 == codebook.anchor(parent: c1, child: child))
            if placement.c1 == codebook.itemSIDs[item].c1 && placement.c2 == codebook.itemSIDs[item].c2 {
                fitAgrees += 1
            }
        }
        // The balanced fit moves some items off their nearest centroid, but most stay.
        #expect(fitAgrees > 300)
        for p in placements { #expect(Set(p.candidates) == Set(0..<codebook.g3)) }
        #expect(throws: TokenizerError.self) { try OnlineAssigner(codebook: codebook).place(Tensor(zeros: [2, 3])) }
    }
}
