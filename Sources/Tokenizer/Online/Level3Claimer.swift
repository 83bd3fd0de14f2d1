/// Atomic, append-only allocation of level-3 codes for items tokenized online.
///
/// Semantics every implementation must keep (the in-process one and the Redis/Lua one alike):
/// 1. an item that already has an SID gets it back unchanged;
/// 2. otherwise it takes the first of `candidates` not yet taken in its `(c1, c2)` group;
/// 3. if every candidate is taken but a code below `g3` is still free, it takes the lowest free one;
/// 4. if all of `0 ..< g3` are taken, it gets the group's next overflow code `g3, g3 + 1, ...`
///    (a new token past the fitted vocabulary) rather than a colliding one;
/// 5. the choice is stored before it is returned, so no two items ever share an SID.
public protocol Level3Claimer: Sendable {
    /// Claims (or returns the existing) SID of `item`.
    ///
    /// - Parameters:
    ///   - item: the item key.
    ///   - c1, c2: the item's level-1 and level-2 codes.
    ///   - g3: the number of fitted level-3 codes.
    ///   - candidates: level-3 codes in order of preference (best cosine first).
    /// - Returns: the item's SID.
    func claim(item: String, c1: Int, c2: Int, capacity g3: Int, candidates: [Int]) async throws -> SemanticID
}
