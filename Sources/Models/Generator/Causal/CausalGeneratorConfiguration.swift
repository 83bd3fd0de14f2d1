/// Sizes of the causal (decoder-only) SID generator: 4 layers, d_model 128, d_ff 512, 4 heads of
/// 32, dropout 0.1, histories of up to 32 items (97 tokens with the start token).
public struct CausalGeneratorConfiguration: Sendable, Codable, Equatable {
    public var modelWidth = 128
    public var feedForwardWidth = 512
    public var heads = 4
    public var layers = 4
    public var dropout: Float = 0.1
    /// Most history items read (each contributes one token per SID level).
    public var historyLimit = 32

    public init() {}

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
