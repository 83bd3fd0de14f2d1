/// Sizes of the T5-style SID generator (defaults: 4 + 4 layers, d_model 128, d_ff 512,
/// 4 heads of 32, dropout 0.1, 32 relative-position buckets up to distance 128).
public struct SIDGeneratorConfiguration: Sendable, Codable, Equatable {
    public var modelWidth = 128
    public var feedForwardWidth = 512
    public var heads = 4
    public var encoderLayers = 4
    public var decoderLayers = 4
    public var dropout: Float = 0.1
    public var relativeBuckets = 32
    public var relativeMaxDistance = 128
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
        guard encoderLayers >= 1, decoderLayers >= 1 else {
            throw SequenceModelError(
                .invalidConfiguration,
                "encoder and decoder need at least one layer each (got \(encoderLayers) + \(decoderLayers))")
        }
        guard dropout >= 0, dropout < 1 else {
            throw SequenceModelError(.invalidConfiguration, "dropout \(dropout) must be in [0, 1)")
        }
        guard relativeBuckets >= 4, relativeMaxDistance >= relativeBuckets, historyLimit >= 1 else {
            throw SequenceModelError(
                .invalidConfiguration,
                "need at least 4 relative buckets, max distance >= buckets and history limit >= 1")
        }
    }
}
