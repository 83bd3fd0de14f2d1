import Tensor

/// A ``SIDGenerator``'s weights laid out for the inference path of ``GeneratorDecoderSession``:
/// plain aligned matrices that BLAS reads directly, with every RMSNorm gain folded into the
/// projection that follows it.
///
/// Folding: a pre-norm sub-layer computes `(x̂ ⊙ g) W` where `x̂` is the normalised input; that
/// equals `x̂ (diag(g) W)`, so each `W` is stored with row `k` scaled by `g[k]` and the session
/// only normalises. The encoder's final norm folds into every decoder layer's cross-attention
/// key/value weights, which are stacked into one `[d, layers · 2d]` matrix so the memory's keys
/// and values for all layers come from a single GEMM. The decoder's final norm and the tied
/// output layer's `1/sqrt(d)` fold into a `[d, vocabulary]` copy of the transposed embedding.
///
/// Built once per model (a copy of its parameters, about the model's size) and immutable
/// afterwards, so sessions on several threads may share it.
public final class GeneratorInferenceWeights: @unchecked Sendable {
    struct EncoderLayer {
        /// `[d, 3d]` Q, K, V.
        let attention: AlignedStorage
        /// `[d, d]`.
        let attentionOut: AlignedStorage
        let attentionScale: Float
        /// `[d, ff]` and `[ff, d]`.
        let up: AlignedStorage, down: AlignedStorage
    }

    struct DecoderLayer {
        /// `[d, 3d]` Q, K, V of self-attention.
        let selfAttention: AlignedStorage
        let selfOut: AlignedStorage
        let selfScale: Float
        /// `[d, d]`: the cross-attention query (its keys and values are in ``memory``).
        let crossQuery: AlignedStorage
        let crossOut: AlignedStorage
        let crossScale: Float
        let up: AlignedStorage, down: AlignedStorage
    }

    public let configuration: SIDGeneratorConfiguration
    public let vocabulary: GeneratorVocabulary
    let epsilon: Float
    /// `[vocabulary, d]` token embeddings (encoder and decoder inputs).
    let embedding: AlignedStorage
    let encoder: [EncoderLayer]
    let decoder: [DecoderLayer]
    /// `[d, decoderLayers · 2d]`: layer `l`'s cross-attention keys in columns `l·2d ..< l·2d+d`,
    /// values in the next `d`.
    let memory: AlignedStorage
    /// `[d, vocabulary]` output layer.
    let output: AlignedStorage
    let encoderBuckets: RelativePositionBuckets, decoderBuckets: RelativePositionBuckets
    /// `[buckets, heads]` relative-position biases.
    let encoderBias: AlignedStorage, decoderBias: AlignedStorage

    /// A snapshot of `model`'s current parameters.
    public init(_ model: SIDGenerator) {
        let c = model.configuration
        let d = c.modelWidth
        configuration = c
        vocabulary = model.vocabulary
        let norms =
            [model.encoderNorm, model.decoderNorm] + model.encoder.flatMap { [$0.attentionNorm, $0.feedForward.norm] }
            + model.decoder.flatMap { [$0.selfNorm, $0.crossNorm, $0.feedForward.norm] }
        let epsilon = model.encoderNorm.epsilon
        self.epsilon = epsilon
        precondition(
            norms.allSatisfy { $0.epsilon == epsilon },
            "GeneratorInferenceWeights: every RMSNorm must share one epsilon")
        let attentions =
            model.encoder.map(\.attention) + model.decoder.flatMap { [$0.selfAttention, $0.crossAttention] }
        precondition(
            attentions.allSatisfy { $0.inProjection.bias == nil && $0.outProjection.bias == nil },
            "GeneratorInferenceWeights: T5 attention has no biases")

        embedding = Self.copy(model.shared.table.value)
        encoder = model.encoder.map { layer in
            EncoderLayer(
                attention: Self.scaledRows(
                    layer.attention.inProjection.weight.value, by: layer.attentionNorm.gamma.value),
                attentionOut: Self.copy(layer.attention.outProjection.weight.value),
                attentionScale: Self.scale(layer.attention),
                up: Self.scaledRows(layer.feedForward.up.weight.value, by: layer.feedForward.norm.gamma.value),
                down: Self.copy(layer.feedForward.down.weight.value))
        }
        decoder = model.decoder.map { layer in
            DecoderLayer(
                selfAttention: Self.scaledRows(
                    layer.selfAttention.inProjection.weight.value, by: layer.selfNorm.gamma.value),
                selfOut: Self.copy(layer.selfAttention.outProjection.weight.value),
                selfScale: Self.scale(layer.selfAttention),
                crossQuery: Self.scaledRows(
                    layer.crossAttention.inProjection.weight.value.slice(axis: 1, range: 0..<d),
                    by: layer.crossNorm.gamma.value),
                crossOut: Self.copy(layer.crossAttention.outProjection.weight.value),
                crossScale: Self.scale(layer.crossAttention),
                up: Self.scaledRows(layer.feedForward.up.weight.value, by: layer.feedForward.norm.gamma.value),
                down: Self.copy(layer.feedForward.down.weight.value))
        }
        let keyValues = model.decoder.map {
            $0.crossAttention.inProjection.weight.value.slice(axis: 1, range: d..<(3 * d))
        }
        memory = Self.scaledRows(Tensor.concat(keyValues, axis: 1), by: model.encoderNorm.gamma.value)
        let outputScale = model.decoderNorm.gamma.value.elements.map { $0 / Float(d).squareRoot() }
        output = Self.scaledRows(
            model.shared.table.value.permuted([1, 0]), by: Tensor(shape: [d], elements: outputScale))
        encoderBuckets = model.encoderBuckets
        decoderBuckets = model.decoderBuckets
        encoderBias = Self.copy(model.encoderBias.table.value)
        decoderBias = Self.copy(model.decoderBias.table.value)
    }

    var width: Int { configuration.modelWidth }
    var heads: Int { configuration.heads }

    static func scale(_ attention: MultiHeadAttention) -> Float {
        attention.scale ?? 1 / Float(attention.width / attention.heads).squareRoot()
    }

    static func copy(_ tensor: Tensor) -> AlignedStorage {
        tensor.withUnsafeBufferPointer { AlignedStorage(copying: $0) }
    }

    /// `matrix` (`[rows, columns]`) with row `k` multiplied by `gain[k]`.
    static func scaledRows(_ matrix: Tensor, by gain: Tensor) -> AlignedStorage {
        precondition(
            matrix.rank == 2 && gain.shape == [matrix.shape[0]],
            "GeneratorInferenceWeights: gain \(gain.shape) for matrix \(matrix.shape)")
        let storage = copy(matrix)
        let (columns, g) = (matrix.shape[1], gain.elements)
        for k in 0..<matrix.shape[0] {
            let row = storage.address + k * columns
            for j in 0..<columns { row[j] *= g[k] }
        }
        return storage
    }
}
