import Tensor

/// Keys and values an attention layer has already computed, so that incremental decoding
/// projects only the new positions at each step.
///
/// Self-attention appends one (or a few) positions per decoding step; cross-attention fills the
/// cache once from the encoder output. Beam search reorders the batch rows with
/// ``selecting(batchRows:)`` when beams are pruned or duplicated. The cache holds plain tensors:
/// incremental decoding is an inference path and no gradient flows into cached entries.
public struct KeyValueCache: Sendable {
    /// `[batch, length, width]`.
    public private(set) var keys: Tensor
    /// `[batch, length, width]`.
    public private(set) var values: Tensor

    /// An empty cache for `batch` sequences of `width` features.
    public init(batch: Int, width: Int) {
        keys = Tensor(zeros: [batch, 0, width])
        values = Tensor(zeros: [batch, 0, width])
    }

    /// A cache holding `keys` and `values` (`[batch, length, width]` each).
    public init(keys: Tensor, values: Tensor) {
        precondition(keys.shape == values.shape && keys.rank == 3, "KeyValueCache: keys \(keys.shape) and values \(values.shape) must be equal [batch, length, width]")
        self.keys = keys
        self.values = values
    }

    /// Number of sequences.
    public var batch: Int { keys.shape[0] }
    /// Number of cached positions.
    public var length: Int { keys.shape[1] }

    /// Appends positions (`[batch, n, width]` each) after the cached ones.
    public mutating func append(keys newKeys: Tensor, values newValues: Tensor) {
        precondition(newKeys.shape == newValues.shape && newKeys.shape[0] == batch && newKeys.shape[2] == keys.shape[2], "KeyValueCache.append: \(newKeys.shape)/\(newValues.shape) for a cache of \(keys.shape)")
        keys = Tensor.concat([keys, newKeys], axis: 1)
        values = Tensor.concat([values, newValues], axis: 1)
    }

    /// A cache whose row `i` is row `batchRows[i]` of this one (rows may repeat): how beam
    /// search carries each surviving beam's history forward.
    public func selecting(batchRows: [Int]) -> KeyValueCache {
        KeyValueCache(keys: Self.rows(keys, batchRows), values: Self.rows(values, batchRows))
    }

    private static func rows(_ tensor: Tensor, _ rows: [Int]) -> Tensor {
        let block = tensor.shape[1] * tensor.shape[2]
        let flat = tensor.reshaped([tensor.shape[0], block])
        let gathered = GradMode.withoutGrad { Variable(flat).gather(rows: rows).value }
        return gathered.reshaped([rows.count, tensor.shape[1], tensor.shape[2]])
    }
}
