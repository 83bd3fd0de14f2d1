/// Sizes of the causal (decoder-only) SID generator: 4 layers, d_model 128, d_ff 512, 4 heads of
/// 32, dropout 0.1, histories of up to 32 items (97 tokens with the start token), softmax over
/// the trie's children.
public struct CausalGeneratorConfiguration: Sendable, Codable, Equatable {
    public var modelWidth = 128
    public var feedForwardWidth = 512
    public var heads = 4
    public var layers = 4
    public var dropout: Float = 0.1
    /// Most history items read (each contributes one token per SID level).
    public var historyLimit = 32
    /// Whether each next-token softmax runs over the tokens that continue the prefix to a real
    /// item (the trie's children, see ``SIDPrefixMasks``) in training and decoding, instead of
    /// over the whole vocabulary. Weights written before the setting existed decode as `false`.
    public var softmaxOverTrie = true

    public init() {}

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        modelWidth = try c.decode(Int.self, forKey: .modelWidth)
        feedForwardWidth = try c.decode(Int.self, forKey: .feedForwardWidth)
        heads = try c.decode(Int.self, forKey: .heads)
        layers = try c.decode(Int.self, forKey: .layers)
        dropout = try c.decode(Float.self, forKey: .dropout)
        historyLimit = try c.decode(Int.self, forKey: .historyLimit)
        softmaxOverTrie = try c.decodeIfPresent(Bool.self, forKey: .softmaxOverTrie) ?? false
    }

    /// Width of one head.
    public var headWidth: Int { modelWidth / heads }

    /// Checks that the sizes fit together.
    /// - Throws: ``SequenceModelError/Code/invalidConfiguration`` naming the setting to change.
    public func validate() throws {
        guard modelWidth > 0, feedForwardWidth > 0, heads > 0, modelWidth % heads == 0 else {
            throw SequenceModelError(
                .invalidConfiguration,
                "model width \(modelWidth) must be a positive multiple of heads \(heads); feed-forward width must be positive"
            )
        }
        guard layers >= 1, historyLimit >= 1 else {
            throw SequenceModelError(
                .invalidConfiguration,
                "the causal generator needs at least one layer and a history limit of at least 1 (got \(layers), \(historyLimit))"
            )
        }
        guard dropout >= 0, dropout < 1 else {
            throw SequenceModelError(.invalidConfiguration, "dropout \(dropout) must be in [0, 1)")
        }
    }
}
