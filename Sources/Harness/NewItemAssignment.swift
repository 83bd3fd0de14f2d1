import Data
import Inference
import Models
import Tokenizer

/// The cold-start evaluation's new items entering as the daemon takes them: FAMAE cold-start
/// vectors, GAOQ online placement and level-3 claims, in order of first appearance and in
/// micro-batches of 64 as the daemon's item path does.
struct NewItemAssignment {
    var split: ColdStartSplit
    var famae: FAMAEModel
    var codebook: GAOQCodebook

    /// The new items' SIDs, with how many spilled to a sibling group and how many landed on
    /// overflow codes.
    func assign() async throws -> (sids: [SemanticID], spilled: Int, overflow: Int) {
        let tokenizer = try ColdStartTokenizer(
            table: split.warmItems, encoder: FAMAEColdStartEncoder(model: famae), codebook: codebook)
        let claimer = try InMemoryLevel3Claimer(codebook: codebook, keys: split.warmItems.keys)
        var (sids, spilled, overflow): ([SemanticID], Int, Int) = ([], 0, 0)
        for start in stride(from: 0, to: split.newItems.count, by: 64) {
            let batch = split.newItems[start..<min(start + 64, split.newItems.count)]
            let vectors = try tokenizer.vectors(batch.map { ColdStartTokenizer.Item(key: $0.key, values: $0.values) })
            for (item, placement) in zip(batch, try tokenizer.assigner.place(vectors)) {
                let sid = try await claimer.claim(item: item.key, groups: placement.groups, capacity: codebook.g3)
                if sid.c1 != placement.c1 || sid.c2 != placement.c2 { spilled += 1 }
                if sid.c3 >= codebook.g3 { overflow += 1 }
                sids.append(sid)
            }
        }
        return (sids, spilled, overflow)
    }
}
