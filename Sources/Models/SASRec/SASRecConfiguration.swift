/// Sizes of SASRec / SASRec* (the paper's baselines: d 128, 2 layers, 4 heads, causal).
public struct SASRecConfiguration: Sendable, Codable, Equatable {
    public var width = 128
    public var layers = 2
    public var heads = 4
    public var feedForwardWidth = 512
    public var dropout: Float = 0.1
    /// Most history items read (32, as for every model in the comparison).
    public var historyLimit = 32

    public init() {}

    /// - Throws: ``SequenceModelError/Code/invalidConfiguration`` naming the setting.
    public func validate() throws {
        guard width > 0, heads > 0, width % heads == 0, layers >= 1, feedForwardWidth > 0, historyLimit >= 1 else {
            throw SequenceModelError(
                .invalidConfiguration,
                "SASRec: width must be a positive multiple of heads; layers, feed-forward width and history limit must be positive"
            )
        }
        guard dropout >= 0, dropout < 1 else {
            throw SequenceModelError(.invalidConfiguration, "SASRec: dropout \(dropout) must be in [0, 1)")
        }
    }
}

/// One categorical item field that SASRec* adds to the item ID embedding.
public struct SASRecField: Sendable, Codable, Equatable {
    public var name: String
    /// Codes `0 ..< vocabularySize`; 0 means "no value" and embeds to zero.
    public var vocabularySize: Int
    /// Each item's codes (one for a single-valued field, any number for a multi-valued one, whose
    /// embedding is the mean of its values').
    public var codes: [[Int32]]

    public init(name: String, vocabularySize: Int, codes: [[Int32]]) {
        (self.name, self.vocabularySize, self.codes) = (name, vocabularySize, codes)
    }
}
