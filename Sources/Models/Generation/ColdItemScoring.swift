/// How the beam search scores the last code of a cold item: one that took its SID after the
/// generator was trained (``SIDTrie/firstColdItem``), on a level-3 code the generator never saw
/// after that item's (c1, c2) prefix.
///
/// The prefix is the part the model can judge (the item's fields chose it). A cold item's own
/// code is a token the generator trained on in other groups, and GAOQ's level-3 anchors are
/// shared, so the code means the same direction away from the group centre everywhere; but
/// after this prefix the model has learned to give it almost no probability.
public enum ColdItemScoring: Sendable, Hashable {
    /// The mean probability of the group's trained items: every cold item of a group ties, as
    /// an average member of its group.
    case groupMean
    /// The generator's own probability of the token after the prefix, unchanged.
    case generator
    /// The group's cold items share, in total, what as many average trained members would get
    /// (`cold count × group mean`), split in proportion to `p^exponent` of their own token
    /// probabilities. The prefix decides how much a group's new items get together (as with
    /// ``groupMean``), the generator's view of each level-3 token decides the order within the
    /// group. Exponent 0 is ``groupMean``.
    case groupMeanSplitByGenerator(exponent: Float)

    /// A short name for reports.
    public var name: String {
        switch self {
        case .groupMean: "group-mean"
        case .generator: "generator"
        case .groupMeanSplitByGenerator(let exponent): "group-mean-split-by-generator-\(exponent)"
        }
    }
}
