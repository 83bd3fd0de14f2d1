/// One (c1, c2) group an online item may take its level-3 code in, with the codes it would take
/// there in order of preference.
///
/// An item's placement lists several: its own group first, then the sibling groups it would
/// spill to when its own is full (see ``OnlineAssigner/Placement``). A spilled item keeps a
/// trained level-3 token in a group its vector is close to, which beam search can reach, where an
/// overflow code past the vocabulary could never be decoded well.
public struct Level3CandidateGroup: Sendable, Hashable {
    /// The level-1 code.
    public var c1: Int
    /// The level-2 code.
    public var c2: Int
    /// Level-3 codes, best first (by cosine of the item's residual from this group's centroid).
    public var candidates: [Int]

    /// Creates a candidate group.
    public init(c1: Int, c2: Int, candidates: [Int]) {
        self.c1 = c1
        self.c2 = c2
        self.candidates = candidates
    }
}
