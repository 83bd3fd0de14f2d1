/// One categorical item field as FAMAE sees it.
public struct FAMAEField: Sendable, Codable, Equatable {
    /// The field's name (`item_id`, `genre`, `genre_set`...).
    public var name: String
    /// Number of codes including the reserved 0 (padding/unknown): codes are `0 ..< vocabularySize`.
    public var vocabularySize: Int
    /// Whether an item may hold several values; such a field embeds as the mean of its values'
    /// embeddings (the Data module's policy), and an empty set embeds as the zero vector.
    public var isMultiValued: Bool

    /// Creates a field description.
    public init(name: String, vocabularySize: Int, isMultiValued: Bool = false) {
        self.name = name
        self.vocabularySize = vocabularySize
        self.isMultiValued = isMultiValued
    }

    /// Row of the field's embedding table that holds its learned mask vector (one past the last code).
    public var maskRow: Int { vocabularySize }
}

/// The hyperparameters of a FAMAE encoder; the defaults are the paper's.
public struct FAMAEConfiguration: Sendable, Codable, Equatable {
    /// The item fields, `item_id` first.
    public var fields: [FAMAEField]
    /// Embedding and model width.
    public var dimension: Int = 128
    /// Transformer encoder layers.
    public var layers: Int = 2
    /// Attention heads.
    public var heads: Int = 4
    /// Feed-forward width (ReLU).
    public var feedForward: Int = 512
    /// Dropout rate during training.
    public var dropout: Float = 0.1
    /// History positions before the target (the sequence has `historyLength + 1` positions).
    public var historyLength: Int = 32
    /// Fields with more values than this (excluding 0) are trained with a sampled softmax.
    public var sampledSoftmaxThreshold: Int = 4096
    /// Negatives per batch for a sampled-softmax field.
    public var sampledNegatives: Int = 128

    /// A configuration with the paper's defaults for `fields`.
    public init(fields: [FAMAEField]) {
        self.fields = fields
    }

    /// Number of fields J.
    public var fieldCount: Int { fields.count }

    /// Positions per sample: history plus the target, which is always last.
    public var sequenceLength: Int { historyLength + 1 }

    /// Width of an exported item vector: the J field embeddings concatenated.
    public var itemVectorWidth: Int { fields.count * dimension }

    /// Whether field `field` uses the sampled softmax.
    public func usesSampledSoftmax(field: Int) -> Bool {
        fields[field].vocabularySize - 1 > sampledSoftmaxThreshold
    }

    /// Checks the settings.
    /// - Throws: ``FAMAEError/Code/invalidConfiguration`` naming the first bad setting.
    public func validate() throws {
        guard !fields.isEmpty else { throw FAMAEError(.invalidConfiguration, "fields: at least one field is needed") }
        for field in fields where field.vocabularySize < 2 {
            throw FAMAEError(
                .invalidConfiguration, "fields.\(field.name): vocabulary needs at least one value besides 0")
        }
        guard Set(fields.map(\.name)).count == fields.count else {
            throw FAMAEError(.invalidConfiguration, "fields: names must be unique")
        }
        guard dimension > 0, heads > 0, dimension % heads == 0 else {
            throw FAMAEError(
                .invalidConfiguration, "dimension \(dimension) must be a positive multiple of heads \(heads)")
        }
        guard layers >= 1, feedForward >= 1, historyLength >= 1 else {
            throw FAMAEError(.invalidConfiguration, "layers, feedForward and historyLength must be at least 1")
        }
        guard dropout >= 0, dropout < 1 else { throw FAMAEError(.invalidConfiguration, "dropout must be in [0, 1)") }
        guard sampledNegatives >= 1, sampledSoftmaxThreshold >= 1 else {
            throw FAMAEError(.invalidConfiguration, "sampledNegatives and sampledSoftmaxThreshold must be at least 1")
        }
    }
}
