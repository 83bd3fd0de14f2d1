import Tensor

/// A ``CausalSIDGenerator``'s weights laid out for ``CausalDecoderSession``: aligned matrices
/// BLAS reads directly, each RMSNorm gain folded into the projection after it (as
/// ``GeneratorInferenceWeights`` does for the T5), the final norm folded into a `[d, vocabulary]`
/// copy of the transposed token embedding.
///
/// Built once per model snapshot and immutable, so sessions on several threads may share it.
public final class CausalInferenceWeights: @unchecked Sendable {
    struct Block {
        /// `[d, 3d]` Q, K, V; `[d, d]` output.
        let attention: AlignedStorage, attentionOut: AlignedStorage
        let scale: Float
        /// `[d, ff]` and `[ff, d]`.
        let up: AlignedStorage, down: AlignedStorage
    }

    public let configuration: CausalGeneratorConfiguration
    public let vocabulary: GeneratorVocabulary
    let epsilon: Float
    /// `[vocabulary, d]`, `[levels + 1, d]`, `[historyLimit + 1, d]` input embeddings.
    let tokens: AlignedStorage, levels: AlignedStorage, slots: AlignedStorage
    let blocks: [Block]
    /// `[d, vocabulary]`.
    let output: AlignedStorage

    /// A snapshot of `model`'s current parameters.
    public init(_ model: CausalSIDGenerator) {
        configuration = model.configuration
        vocabulary = model.vocabulary
        let epsilon = model.finalNorm.epsilon
        self.epsilon = epsilon
        precondition(
            model.blocks.allSatisfy { $0.attentionNorm.epsilon == epsilon && $0.feedForwardNorm.epsilon == epsilon },
            "CausalInferenceWeights: every RMSNorm must share one epsilon")
        tokens = GeneratorInferenceWeights.copy(model.tokens.table.value)
        levels = GeneratorInferenceWeights.copy(model.levels.table.value)
        slots = GeneratorInferenceWeights.copy(model.slots.table.value)
        blocks = model.blocks.map { block in
            Block(
                attention: GeneratorInferenceWeights.scaledRows(
                    block.attention.inProjection.weight.value, by: block.attentionNorm.gamma.value),
                attentionOut: GeneratorInferenceWeights.copy(block.attention.outProjection.weight.value),
                scale: GeneratorInferenceWeights.scale(block.attention),
                up: GeneratorInferenceWeights.scaledRows(block.up.weight.value, by: block.feedForwardNorm.gamma.value),
                down: GeneratorInferenceWeights.copy(block.down.weight.value))
        }
        output = GeneratorInferenceWeights.scaledRows(
            model.tokens.table.value.permuted([1, 0]), by: model.finalNorm.gamma.value)
    }

    var width: Int { configuration.modelWidth }
    var heads: Int { configuration.heads }
}
