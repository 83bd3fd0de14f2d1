import Foundation
public import Tensor

/// The T5 v1.0-style encoder-decoder that reads the SIDs of a user's history and writes the SID
/// of the next item, one token per level.
///
/// T5 details kept: RMSNorm before every sub-layer and after each stack, no biases, unscaled
/// attention scores (T5's initialisation carries the `1/sqrt(d_k)` in the query weights), one
/// relative-position bias table per stack (bidirectional buckets in the encoder, causal in the
/// decoder) shared by all of the stack's layers, a ReLU feed-forward, dropout on embeddings,
/// sub-layer outputs and the feed-forward hidden layer, and one token embedding shared by the
/// encoder input, the decoder input and the output layer (whose input is scaled by `1/sqrt(d)`).
public final class SIDGenerator: Layer, @unchecked Sendable {
    /// Sizes.
    public let configuration: SIDGeneratorConfiguration
    /// Token layout.
    public let vocabulary: GeneratorVocabulary
    let encoderBuckets: RelativePositionBuckets
    let decoderBuckets: RelativePositionBuckets

    let shared: Embedding
    /// `[buckets, heads]` relative-position biases, one per stack.
    let encoderBias: Embedding
    let decoderBias: Embedding
    let encoder: [EncoderLayer]
    let decoder: [DecoderLayer]
    let encoderNorm: RMSNorm
    let decoderNorm: RMSNorm

    final class EncoderLayer: Layer {
        let attentionNorm: RMSNorm, attention: MultiHeadAttention
        let feedForward: FeedForward

        init(_ c: SIDGeneratorConfiguration, rng: inout SeededRandom) {
            attentionNorm = RMSNorm(width: c.modelWidth)
            attention = SIDGenerator.attention(c, rng: &rng)
            feedForward = FeedForward(c, rng: &rng)
        }

        func namedParameters() -> [(name: String, parameter: Parameter)] {
            prefixed("self.norm", attentionNorm) + prefixed("self.attention", attention) + prefixed("ffn", feedForward)
        }
    }

    final class DecoderLayer: Layer {
        let selfNorm: RMSNorm, selfAttention: MultiHeadAttention
        let crossNorm: RMSNorm, crossAttention: MultiHeadAttention
        let feedForward: FeedForward

        init(_ c: SIDGeneratorConfiguration, rng: inout SeededRandom) {
            selfNorm = RMSNorm(width: c.modelWidth)
            selfAttention = SIDGenerator.attention(c, rng: &rng)
            crossNorm = RMSNorm(width: c.modelWidth)
            crossAttention = SIDGenerator.attention(c, rng: &rng)
            feedForward = FeedForward(c, rng: &rng)
        }

        func namedParameters() -> [(name: String, parameter: Parameter)] {
            prefixed("self.norm", selfNorm) + prefixed("self.attention", selfAttention)
                + prefixed("cross.norm", crossNorm) + prefixed("cross.attention", crossAttention)
                + prefixed("ffn", feedForward)
        }
    }

    /// T5's feed-forward sub-layer: RMSNorm, ReLU, dropout on the hidden layer, no biases.
    final class FeedForward: Layer {
        let norm: RMSNorm, up: Linear, down: Linear
        let dropout: Float

        init(_ c: SIDGeneratorConfiguration, rng: inout SeededRandom) {
            norm = RMSNorm(width: c.modelWidth)
            up = Linear(c.modelWidth, c.feedForwardWidth, bias: false, rng: &rng)
            down = Linear(c.feedForwardWidth, c.modelWidth, bias: false, rng: &rng)
            dropout = c.dropout
            SIDGenerator.normalInit(up.weight, std: 1 / Float(c.modelWidth).squareRoot(), rng: &rng)
            SIDGenerator.normalInit(down.weight, std: 1 / Float(c.feedForwardWidth).squareRoot(), rng: &rng)
        }

        func callAsFunction(_ x: Variable, mode: inout ForwardMode) -> Variable {
            down(mode.dropout(up(norm(x)).relu(), rate: dropout))
        }

        func namedParameters() -> [(name: String, parameter: Parameter)] {
            prefixed("norm", norm) + prefixed("up", up) + prefixed("down", down)
        }
    }

    /// A freshly initialised generator (T5's initialisation, seeded).
    /// - Throws: ``SequenceModelError`` for sizes that do not fit together.
    public init(configuration: SIDGeneratorConfiguration, vocabulary: GeneratorVocabulary, seed: UInt64) throws {
        try configuration.validate()
        self.configuration = configuration
        self.vocabulary = vocabulary
        let (d, buckets) = (configuration.modelWidth, configuration.relativeBuckets)
        encoderBuckets = RelativePositionBuckets(
            count: buckets, maxDistance: configuration.relativeMaxDistance, bidirectional: true)
        decoderBuckets = RelativePositionBuckets(
            count: buckets, maxDistance: configuration.relativeMaxDistance, bidirectional: false)
        var rng = SeededRandom(seed: seed)
        shared = Embedding(vocabulary: vocabulary.count, width: d, standardDeviation: 1, rng: &rng)
        let biasStd = 1 / Float(d).squareRoot()
        encoderBias = Embedding(vocabulary: buckets, width: configuration.heads, standardDeviation: biasStd, rng: &rng)
        decoderBias = Embedding(vocabulary: buckets, width: configuration.heads, standardDeviation: biasStd, rng: &rng)
        encoder = (0..<configuration.encoderLayers).map { _ in EncoderLayer(configuration, rng: &rng) }
        decoder = (0..<configuration.decoderLayers).map { _ in DecoderLayer(configuration, rng: &rng) }
        encoderNorm = RMSNorm(width: d)
        decoderNorm = RMSNorm(width: d)
    }

    /// An attention layer as T5 has it: no biases, unscaled scores, and T5's initialisation
    /// (query columns `N(0, 1/(d·d_k))`, keys and values `N(0, 1/d)`, output `N(0, 1/d)`).
    static func attention(_ c: SIDGeneratorConfiguration, rng: inout SeededRandom) -> MultiHeadAttention {
        let layer = MultiHeadAttention(width: c.modelWidth, heads: c.heads, bias: false, scale: 1, rng: &rng)
        let d = c.modelWidth
        let (queryStd, keyValueStd) = (1 / Float(d * c.headWidth).squareRoot(), 1 / Float(d).squareRoot())
        var w = layer.inProjection.weight.value
        w.withUnsafeMutableBufferPointer { p in
            for r in 0..<d {
                for col in 0..<(3 * d) { p[r * 3 * d + col] = rng.normal() * (col < d ? queryStd : keyValueStd) }
            }
        }
        layer.inProjection.weight.value = w
        normalInit(layer.outProjection.weight, std: keyValueStd, rng: &rng)
        return layer
    }

    static func normalInit(_ p: Parameter, std: Float, rng: inout SeededRandom) {
        p.value = Tensor(shape: p.shape, elements: (0..<p.value.count).map { _ in std * rng.normal() })
    }

    // MARK: Parameters

    /// Every parameter with its stable safetensors name.
    public func namedParameters() -> [(name: String, parameter: Parameter)] {
        var out =
            prefixed("shared", shared) + prefixed("encoder.relative_bias", encoderBias)
            + prefixed("decoder.relative_bias", decoderBias)
        for (i, layer) in encoder.enumerated() { out += prefixed("encoder.\(i)", layer) }
        for (i, layer) in decoder.enumerated() { out += prefixed("decoder.\(i)", layer) }
        return out + prefixed("encoder.final_norm", encoderNorm) + prefixed("decoder.final_norm", decoderNorm)
    }

    /// A copy of every parameter's value (to keep the best model during training).
    public func snapshot() -> [Tensor] { parameters.map(\.value) }

    /// Puts back values from ``snapshot()``.
    public func restore(_ values: [Tensor]) {
        for (p, v) in zip(parameters, values) { p.value = v }
    }

    // MARK: Forward passes

    /// The encoder's output for a batch: `[size, encoderLength, d]`.
    func encode(_ batch: SIDSequenceBatch, mode: inout ForwardMode) -> Variable {
        let (n, t) = (batch.size, batch.encoderLength)
        let rate = configuration.dropout
        var x = mode.dropout(shared(batch.encoderTokens.map(Int.init), shape: [n, t]), rate: rate)
        let bias = relativeBias(encoderBias, buckets: encoderBuckets, queries: 0..<t, keys: t)
        for layer in encoder {
            x =
                x
                + mode.dropout(
                    layer.attention(layer.attentionNorm(x), keyPadding: batch.encoderPadding, bias: bias), rate: rate)
            x = x + mode.dropout(layer.feedForward(x, mode: &mode), rate: rate)
        }
        return mode.dropout(encoderNorm(x), rate: rate)
    }

    /// Teacher-forced decoder output logits, `[size, levels, vocabulary]`.
    func decode(_ batch: SIDSequenceBatch, memory: Variable, mode: inout ForwardMode) -> Variable {
        let (n, l) = (batch.size, batch.levels)
        let rate = configuration.dropout
        var x = mode.dropout(shared(batch.decoderInputs.map(Int.init), shape: [n, l]), rate: rate)
        let bias = relativeBias(decoderBias, buckets: decoderBuckets, queries: 0..<l, keys: l)
        for layer in decoder {
            x = x + mode.dropout(layer.selfAttention(layer.selfNorm(x), causal: true, bias: bias), rate: rate)
            x =
                x
                + mode.dropout(
                    layer.crossAttention(layer.crossNorm(x), memory: memory, memoryPadding: batch.encoderPadding),
                    rate: rate)
            x = x + mode.dropout(layer.feedForward(x, mode: &mode), rate: rate)
        }
        return outputLogits(mode.dropout(decoderNorm(x), rate: rate))
    }

    /// Mean token cross-entropy of the teacher-forced decoder (dropout as `mode` says).
    public func loss(_ batch: SIDSequenceBatch, mode: inout ForwardMode) -> Variable {
        precondition(batch.targets.count == batch.size * batch.levels, "SIDGenerator.loss: the batch has no targets")
        let memory = encode(batch, mode: &mode)
        let logits = decode(batch, memory: memory, mode: &mode)
        return logits.reshaped([batch.size * batch.levels, vocabulary.count]).crossEntropy(
            targets: batch.targets.map(Int.init))
    }

    /// Teacher-forced logits without dropout or gradients, `[size, levels, vocabulary]`.
    public func logits(_ batch: SIDSequenceBatch) -> Tensor {
        GradMode.withoutGrad {
            var mode = ForwardMode.inference
            return decode(batch, memory: encode(batch, mode: &mode), mode: &mode).value
        }
    }

    // MARK: Building blocks shared with the incremental decoder

    /// Tied output layer: `x / sqrt(d) · Embᵀ`.
    func outputLogits(_ x: Variable) -> Variable {
        Variable.matmul(x * (1 / Float(configuration.modelWidth).squareRoot()), shared.table, transposeB: true)
    }

    /// The `[1, heads, queries, keys]` score bias of a stack for the given query positions.
    func relativeBias(_ table: Embedding, buckets: RelativePositionBuckets, queries: Range<Int>, keys: Int) -> Variable
    {
        table(buckets.table(queryPositions: queries, keyLength: keys), shape: [queries.count, keys])
            .permuted([2, 0, 1]).reshaped([1, configuration.heads, queries.count, keys])
    }
}
