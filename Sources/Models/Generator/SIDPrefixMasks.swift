public import Tensor

/// For every SID prefix of a catalogue, the tokens that continue it to a real item: the classes
/// a trie-constrained softmax spreads probability over.
///
/// The generator is decoded under the trie constraint, so the only choice it ever makes after
/// a prefix is among that prefix's children. Training its softmax over the same children (and
/// scoring decoded beams with the same renormalised distribution) means no capacity or
/// gradient goes into keeping probability off tokens that can never follow: tokens of other
/// levels and level-3 codes a group does not hold. One mask per distinct prefix (the root, each
/// level-1 code, each level-1/2 pair), so the table has about `1 + b1 + b1·b2` rows.
public struct SIDPrefixMasks: Sendable {
    /// Output classes (the vocabulary's token count).
    public let classes: Int
    /// Tokens per item.
    public let levels: Int
    /// `[masks × classes]` flags: may the token follow the mask's prefix.
    public let allowed: [Bool]
    /// The same as additive masks for ``ClassMasks``.
    let additive: [Float]
    /// `[items × levels]`: the mask of the prefix before each item's token at each level.
    public let maskOfItemLevel: [Int32]

    /// - Parameters:
    ///   - vocabulary: the generator's token space.
    ///   - itemTokens: `[items × levels]` token ids of the catalogue (see
    ///     ``GeneratorVocabulary/itemTokens(_:)``).
    public init(vocabulary: GeneratorVocabulary, itemTokens: [Int32]) {
        let (levels, classes) = (vocabulary.levels, vocabulary.count)
        precondition(itemTokens.count % levels == 0, "SIDPrefixMasks: \(itemTokens.count) tokens for \(levels) levels")
        var index: [[Int32]: Int] = [:]
        var allowed: [Bool] = []
        var maskOfItemLevel: [Int32] = []
        maskOfItemLevel.reserveCapacity(itemTokens.count)
        for start in stride(from: 0, to: itemTokens.count, by: levels) {
            for l in 0..<levels {
                let prefix = Array(itemTokens[start..<(start + l)])
                let mask =
                    index[prefix]
                    ?? {
                        index[prefix] = index.count
                        allowed += repeatElement(false, count: classes)
                        return index.count - 1
                    }()
                allowed[mask * classes + Int(itemTokens[start + l])] = true
                maskOfItemLevel.append(Int32(mask))
            }
        }
        self.classes = classes
        self.levels = levels
        self.allowed = allowed
        self.additive = ClassMasks.additive(allowed: allowed)
        self.maskOfItemLevel = maskOfItemLevel
    }

    /// Number of distinct prefixes.
    public var count: Int { allowed.count / classes }

    /// Masks for targets given as `item · levels + level` (an index into ``maskOfItemLevel``).
    public func classMasks(itemLevels: [Int]) -> ClassMasks {
        ClassMasks(additive: additive, classes: classes, maskOfRow: itemLevels.map { Int(maskOfItemLevel[$0]) })
    }
}
