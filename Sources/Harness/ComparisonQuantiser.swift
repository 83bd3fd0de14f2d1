import Tensor
import Tokenizer

/// The quantiser behind one SID model of a comparison, so the models differ only in how item
/// vectors become SIDs: GAOQ (`resid`, `resid-t5`), RQ-k-means, GAOQ's tree with items shuffled
/// over it (`random-sids`), or GAOQ with local level-2 indices (`hkmeans`).
struct ComparisonQuantiser {
    /// A name from ``ComparisonRun/sidModels``.
    var name: String
    var branching: GAOQBranching
    var seed: UInt64

    /// The SID table of this quantiser over `vectors`.
    func table(_ vectors: Tensor, log: @escaping (String) -> Void) throws -> SIDTable {
        let (b1, b2) = (branching.b1, branching.b2)
        switch name {
        case "resid", "resid-t5":
            return try GAOQ(.init(b1: b1, b2: b2, seed: seed)).fit(vectors, progress: log).codebook.table
        case "rq-kmeans":
            return try RQKMeans(.init(levelSizes: [b1, b2, b2], seed: seed)).fit(vectors, progress: log).table
        case "random-sids":
            // Same tree (balanced groups, same level sizes) as GAOQ, items shuffled over it.
            let tree = try GAOQ(.init(b1: b1, b2: b2, seed: seed)).fit(vectors, progress: log).codebook.table
            var codes = tree.codes
            var random = SeededRandom(seed: UInt64(seed) &+ 17)
            random.shuffle(&codes)
            return SIDTable(codes: codes, levelSizes: tree.levelSizes)
        default:
            // The paper's Q2 ablation: GAOQ with local child indices at level 2.
            var local = GAOQ.Configuration(b1: b1, b2: b2, seed: seed)
            local.alignLevel2 = false
            return try GAOQ(local).fit(vectors, progress: log).codebook.table
        }
    }
}
