import Tensor

/// Multi-head attention with one fused input projection.
///
/// `inProjection` maps `width` to `3·width` columns holding Q, K and V, so self-attention costs
/// one GEMM for all three, and the fused attention op reads each head straight out of that
/// output. Cross-attention uses the same weight's column blocks: Q from the decoder state,
/// K and V from the encoder memory.
///
/// Three ways to call it:
/// - self-attention over a whole sequence (training, encoders):
///   ``callAsFunction(_:keyPadding:causal:bias:)``;
/// - cross-attention to a memory: ``callAsFunction(_:memory:memoryPadding:bias:)``, or with the
///   memory's keys/values computed once, ``callAsFunction(_:cachedMemory:memoryPadding:bias:)``;
/// - incremental causal self-attention for decoding, one or a few new positions per step:
///   ``decodeStep(_:cache:keyPadding:bias:)``.
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
        precondition(heads > 0 && width % heads == 0, "MultiHeadAttention: width \(width) does not split into \(heads) heads")
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
    public func callAsFunction(_ x: Variable, keyPadding: [Bool]? = nil, causal: Bool = false, bias: Variable? = nil) -> Variable {
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
    public func callAsFunction(_ x: Variable, memory: Variable, memoryPadding: [Bool]? = nil, bias: Variable? = nil) -> Variable {
        let query = project(x, columns: 0..<width)
        let keyValue = project(memory, columns: width..<(3 * width))
        let attended = Variable.scaledDotProductAttention(
            query: query, key: keyValue, value: keyValue, heads: heads,
            keyColumns: 0..<width, valueColumns: width..<(2 * width),
            keyPadding: memoryPadding, bias: bias, scale: scale
        )
        return outProjection(attended)
    }

    /// The keys and values of an encoder memory, for repeated cross-attention while decoding.
    public func memoryCache(_ memory: Variable) -> KeyValueCache {
        let keyValue = GradMode.withoutGrad { project(memory, columns: width..<(3 * width)).value }
        return KeyValueCache(
            keys: keyValue.slice(axis: 2, range: 0..<width),
            values: keyValue.slice(axis: 2, range: width..<(2 * width))
        )
    }

    /// Cross-attention from `x` to a memory whose keys/values were computed by
    /// ``memoryCache(_:)`` (inference: no gradient reaches the memory).
    public func callAsFunction(_ x: Variable, cachedMemory: KeyValueCache, memoryPadding: [Bool]? = nil, bias: Variable? = nil) -> Variable {
        let query = project(x, columns: 0..<width)
        let attended = Variable.scaledDotProductAttention(
            query: query, key: Variable(cachedMemory.keys), value: Variable(cachedMemory.values), heads: heads,
            keyPadding: memoryPadding, bias: bias, scale: scale
        )
        return outProjection(attended)
    }

    /// One incremental step of causal self-attention: projects the new positions `x`
    /// (`[batch, n, width]`, usually `n = 1`), appends their keys and values to `cache`, and
    /// lets each new position attend to every cached position and to the new ones up to itself.
    ///
    /// Feeding a sequence one position at a time gives the same outputs as
    /// ``callAsFunction(_:keyPadding:causal:bias:)`` with `causal: true` on the whole sequence.
    /// - Parameters:
    ///   - keyPadding: `batch · (cache.length + n)` flags over all keys after the append.
    ///   - bias: `[1 or batch, heads, n, cache.length + n]`.
    public func decodeStep(_ x: Variable, cache: inout KeyValueCache, keyPadding: [Bool]? = nil, bias: Variable? = nil) -> Variable {
        let qkv = inProjection(x)
        let w = width
        cache.append(
            keys: qkv.value.slice(axis: 2, range: w..<(2 * w)),
            values: qkv.value.slice(axis: 2, range: (2 * w)..<(3 * w))
        )
        let attended = Variable.scaledDotProductAttention(
            query: qkv, key: Variable(cache.keys), value: Variable(cache.values), heads: heads,
            queryColumns: 0..<w, keyPadding: keyPadding, causal: true, bias: bias, scale: scale
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
