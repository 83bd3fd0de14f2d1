/// Atomic, append-only allocation of level-3 codes for items tokenized online.
///
/// Semantics every implementation must keep (the in-process one and the Redis/Lua one alike):
/// 1. an item that already has an SID gets it back unchanged;
/// 2. otherwise it takes, in the first of `groups` that has one, the first of that group's
///    candidates not yet taken there: its own group while it has room, else it *spills* to the
///    nearest sibling group with a free code;
/// 3. if no group has a free candidate, it gets its own group's (`groups[0]`) next overflow code
///    `g3, g3 + 1, ...` (a new token past the fitted vocabulary) rather than a colliding one;
/// 4. the choice is stored before it is returned, so no two items ever share an SID.
public protocol Level3Claimer: Sendable {
    /// Claims (or returns the existing) SID of `item`.
    ///
    /// - Parameters:
    ///   - item: the item key.
    ///   - groups: the groups the item may land in, its own first (non-empty).
    ///   - g3: the number of fitted level-3 codes.
    /// - Returns: the item's SID.
    func claim(item: String, groups: [Level3CandidateGroup], capacity g3: Int) async throws -> SemanticID
}
