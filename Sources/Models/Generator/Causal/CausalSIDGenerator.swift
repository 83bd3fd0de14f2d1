import Foundation
public import Tensor

/// The causal (decoder-only) SID generator: a user's history flattened into SID tokens, read by
/// causal self-attention, trained with next-token loss at every position.
///
/// Why beside the T5 generator: the T5 learns one target item (3 tokens) per encoder pass over
/// up to 97 tokens; this model learns every item of the window in one pass, so a 32-item
/// history teaches 32 next items for about the FLOPs of one T5 sample. Decoding is the same
/// trie-constrained beam search, started after the last history token (``CausalDecoderSession``).
///
/// Each position's input is the sum of a token embedding (the vocabulary of
/// ``GeneratorVocabulary``: per-level token ranges), a level embedding and an item-slot
/// embedding (see ``CausalSIDBatch``). Pre-RMSNorm blocks without biases (causal multi-head
/// attention, ReLU feed-forward), a final RMSNorm, and an output layer tied to the token
/// embedding; dropout on the embedding sum, on each sub-layer's output and on the feed-forward
/// hidden layer.
public final class CausalSIDGenerator: Layer, @unchecked Sendable {
    public let configuration: CausalGeneratorConfiguration
    public let vocabulary: GeneratorVocabulary

    let tokens: Embedding
    /// `levels + 1` rows: one per SID level and one for the start token.
    let levels: Embedding
    /// `historyLimit + 1` item slots.
    let slots: Embedding
    let blocks: [Block]
    let finalNorm: RMSNorm

    final class Block: Layer {
        let attentionNorm: RMSNorm, attention: MultiHeadAttention
        let feedForwardNorm: RMSNorm, up: Linear, down: Linear

        init(_ c: CausalGeneratorConfiguration, rng: inout SeededRandom) {
            attentionNorm = RMSNorm(width: c.modelWidth)
            attention = MultiHeadAttention(width: c.modelWidth, heads: c.heads, bias: false, rng: &rng)
            feedForwardNorm = RMSNorm(width: c.modelWidth)
            up = Linear(c.modelWidth, c.feedForwardWidth, bias: false, rng: &rng)
            down = Linear(c.feedForwardWidth, c.modelWidth, bias: false, rng: &rng)
        }

        func callAsFunction(_ x: Variable, dropout rate: Float, mode: inout ForwardMode) -> Variable {
            let h = x + mode.dropout(attention(attentionNorm(x), causal: true), rate: rate)
            let hidden = mode.dropout(up(feedForwardNorm(h)).relu(), rate: rate)
            return h + mode.dropout(down(hidden), rate: rate)
        }

        func namedParameters() -> [(name: String, parameter: Parameter)] {
            prefixed("attention.norm", attentionNorm) + prefixed("attention", attention)
                + prefixed("ffn.norm", feedForwardNorm) + prefixed("ffn.up", up) + prefixed("ffn.down", down)
        }
    }

    /// A freshly initialised generator (embeddings `N(0, 0.02²)`, projections uniform in
    /// `±1/sqrt(fan-in)`), fixed by `seed`.
    /// - Throws: ``SequenceModelError`` for sizes that do not fit together.
    public init(configuration: CausalGeneratorConfiguration, vocabulary: GeneratorVocabulary, seed: UInt64) throws {
        try configuration.validate()
        self.configuration = configuration
        self.vocabulary = vocabulary
        let d = configuration.modelWidth
        var rng = SeededRandom(seed: seed)
        tokens = Embedding(vocabulary: vocabulary.count, width: d, standardDeviation: 0.02, rng: &rng)
        levels = Embedding(vocabulary: vocabulary.levels + 1, width: d, standardDeviation: 0.02, rng: &rng)
        slots = Embedding(vocabulary: configuration.historyLimit + 1, width: d, standardDeviation: 0.02, rng: &rng)
        blocks = (0..<configuration.layers).map { _ in Block(configuration, rng: &rng) }
        finalNorm = RMSNorm(width: d)
    }

    /// Every parameter with its stable safetensors name.
    public func namedParameters() -> [(name: String, parameter: Parameter)] {
        var out = prefixed("tokens", tokens) + prefixed("levels", levels) + prefixed("slots", slots)
        for (i, block) in blocks.enumerated() { out += prefixed("block.\(i)", block) }
        return out + prefixed("final_norm", finalNorm)
    }

    /// The final hidden state of every input position, `[size · length, d]`.
    func hiddenStates(_ batch: CausalSIDBatch, mode: inout ForwardMode) -> Variable {
        let shape = [batch.size, batch.length]
        let rate = configuration.dropout
        var x =
            tokens(batch.tokens, shape: shape) + levels(batch.levels, shape: shape) + slots(batch.slots, shape: shape)
        x = mode.dropout(x, rate: rate)
        // Padding trails each window, so causal attention keeps real positions from seeing it.
        for block in blocks { x = block(x, dropout: rate, mode: &mode) }
        return finalNorm(x).reshaped([batch.size * batch.length, configuration.modelWidth])
    }

    /// Tied output layer: `x · Embᵀ`.
    func outputLogits(_ x: Variable) -> Variable {
        Variable.matmul(x, tokens.table, transposeB: true)
    }

    /// Mean next-token cross-entropy over every target position of `batch`.
    /// - Parameter prefixes: the catalogue's prefix masks, which a generator with
    ///   ``CausalGeneratorConfiguration/softmaxOverTrie`` needs and one without ignores.
    public func loss(_ batch: CausalSIDBatch, prefixes: SIDPrefixMasks?, mode: inout ForwardMode) -> Variable {
        precondition(
            !batch.targets.isEmpty,
            "CausalSIDGenerator.loss: the batch has no targets (windows need at least two items)")
        let states = hiddenStates(batch, mode: &mode).gather(rows: batch.targetRows)
        return outputLogits(states).crossEntropy(targets: batch.targets, masks: masks(batch, prefixes))
    }

    /// Teacher-forced log-probabilities of `batch`'s targets without dropout or gradients, one
    /// per entry of ``CausalSIDBatch/targets`` (for tests against the decoding path).
    public func targetLogProbabilities(_ batch: CausalSIDBatch, prefixes: SIDPrefixMasks?) -> [Float] {
        GradMode.withoutGrad {
            var mode = ForwardMode.inference
            let logits = outputLogits(hiddenStates(batch, mode: &mode).gather(rows: batch.targetRows)).value.elements
            let (v, masks) = (vocabulary.count, masks(batch, prefixes))
            return batch.targets.enumerated().map { row, target in
                var values = Array(logits[(row * v)..<((row + 1) * v)])
                if let masks {
                    let mask = masks.maskOfRow[row] * v
                    for j in 0..<v { values[j] += masks.additive[mask + j] }
                }
                let peak = values.max()!
                return values[target] - peak - log(values.reduce(0) { $0 + exp($1 - peak) })
            }
        }
    }

    private func masks(_ batch: CausalSIDBatch, _ prefixes: SIDPrefixMasks?) -> ClassMasks? {
        guard configuration.softmaxOverTrie else { return nil }
        guard let prefixes else {
            preconditionFailure(
                "CausalSIDGenerator: a generator with softmaxOverTrie needs the catalogue's prefix masks")
        }
        return prefixes.classMasks(itemLevels: batch.targetItemLevels)
    }
}
