public import Tensor

/// Multi-head attention with one fused input projection.
///
/// `inProjection` maps `width` to `3·width` columns holding Q, K and V, so self-attention costs
/// one GEMM for all three, and the fused attention op reads each head straight out of that
/// output. Cross-attention uses the same weight's column blocks: Q from the decoder state,
/// K and V from the encoder memory.
///
/// Two ways to call it: self-attention over a whole sequence,
/// ``callAsFunction(_:keyPadding:causal:bias:)``, and cross-attention to a memory,
/// ``callAsFunction(_:memory:memoryPadding:bias:)``. Incremental decoding does not go through
/// this layer: ``GeneratorDecoderSession`` runs it on raw buffers with a key/value cache.
///
/// Dropout on the attention probabilities is not applied (the fused kernel keeps them in
/// place); models apply dropout to this layer's output instead.
public final class MultiHeadAttention: Layer {
    public let width: Int
    public let heads: Int
    /// `[width, 3·width]`: columns `0..<w` give Q, `w..<2w` K, `2w..<3w` V.
    public let inProjection: Linear
    /// `[width, width]`, applied to the concatenated heads.
    public let outProjection: Linear
    /// Score scale; `nil` means `1/sqrt(width/heads)`. T5 sets 1.
    public let scale: Float?

    public init(width: Int, heads: Int, bias: Bool = true, scale: Float? = nil, rng: inout SeededRandom) {
        precondition(
            heads > 0 && width % heads == 0, "MultiHeadAttention: width \(width) does not split into \(heads) heads")
        self.width = width
        self.heads = heads
        self.scale = scale
        inProjection = Linear(width, 3 * width, bias: bias, rng: &rng)
        outProjection = Linear(width, width, bias: bias, rng: &rng)
    }

    /// Self-attention over `x` (`[batch, length, width]`).
    /// - Parameters:
    ///   - keyPadding: `batch · length` flags, `true` for padding positions.
    ///   - causal: each position attends only to itself and earlier ones.
    ///   - bias: additive score bias `[1 or batch, heads, length, length]`.
    public func callAsFunction(
        _ x: Variable, keyPadding: [Bool]? = nil, causal: Bool = false, bias: Variable? = nil
    ) -> Variable {
        let qkv = inProjection(x)
        let w = width
        let attended = Variable.scaledDotProductAttention(
            query: qkv, key: qkv, value: qkv, heads: heads,
            queryColumns: 0..<w, keyColumns: w..<(2 * w), valueColumns: (2 * w)..<(3 * w),
            keyPadding: keyPadding, causal: causal, bias: bias, scale: scale
        )
        return outProjection(attended)
    }

    /// Cross-attention from `x` (`[batch, queries, width]`) to `memory`
    /// (`[batch, keys, width]`), with gradients into both.
    public func callAsFunction(
        _ x: Variable, memory: Variable, memoryPadding: [Bool]? = nil, bias: Variable? = nil
    ) -> Variable {
        let query = project(x, columns: 0..<width)
        let keyValue = project(memory, columns: width..<(3 * width))
        let attended = Variable.scaledDotProductAttention(
            query: query, key: keyValue, value: keyValue, heads: heads,
            keyColumns: 0..<width, valueColumns: width..<(2 * width),
            keyPadding: memoryPadding, bias: bias, scale: scale
        )
        return outProjection(attended)
    }

    /// `x` times the weight's column block `columns` plus that block of the bias.
    private func project(_ x: Variable, columns: Range<Int>) -> Variable {
        let product = Variable.matmul(x, inProjection.weight.slice(axis: 1, range: columns))
        guard let bias = inProjection.bias else { return product }
        return product + bias.slice(axis: 0, range: columns)
    }

    public func namedParameters() -> [(name: String, parameter: Parameter)] {
        prefixed("inProjection", inProjection) + prefixed("outProjection", outProjection)
    }
}
