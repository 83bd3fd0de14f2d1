import Foundation
import Tensor

/// The T5 v1.0-style encoder-decoder that reads the SIDs of a user's history and writes the SID
/// of the next item, one token per level (SPEC §4).
///
/// T5 details kept: RMSNorm before every sub-layer and after each stack, no biases, unscaled
/// attention scores (the initialisation carries the scale), one relative-position bias table
/// per stack (bidirectional buckets in the encoder, causal in the decoder) shared by the stack's
/// layers, ReLU feed-forward, dropout on embeddings, sub-layer outputs and the feed-forward
/// hidden layer, and the token embedding shared by encoder input, decoder input and the output
/// layer (output scaled by `1/sqrt(d)`).
///
/// Q, K and V of self-attention come from one fused `[d, 3d]` projection and K, V of
/// cross-attention from one `[d, 2d]` projection, so each is a single GEMM.
public final class SIDGenerator: @unchecked Sendable {
    /// Sizes.
    public let configuration: SIDGeneratorConfiguration
    /// Token layout.
    public let vocabulary: GeneratorVocabulary
    let encoderBuckets: RelativePositionBuckets
    let decoderBuckets: RelativePositionBuckets

    let shared: Parameter
    let encoderBias: Parameter
    let decoderBias: Parameter
    let encoder: [EncoderLayer]
    let decoder: [DecoderLayer]
    let encoderNorm: Parameter
    let decoderNorm: Parameter

    struct EncoderLayer {
        let attentionNorm: Parameter, qkv: Parameter, output: Parameter
        let feedForwardNorm: Parameter, up: Parameter, down: Parameter
    }

    struct DecoderLayer {
        let selfNorm: Parameter, qkv: Parameter, selfOutput: Parameter
        let crossNorm: Parameter, crossQuery: Parameter, crossKeyValue: Parameter, crossOutput: Parameter
        let feedForwardNorm: Parameter, up: Parameter, down: Parameter
    }

    /// A freshly initialised generator (T5's initialisation, seeded).
    /// - Throws: ``SequenceModelError`` for sizes that do not fit together.
    public init(configuration: SIDGeneratorConfiguration, vocabulary: GeneratorVocabulary, seed: UInt64) throws {
        try configuration.validate()
        self.configuration = configuration
        self.vocabulary = vocabulary
        let (d, f, h) = (configuration.modelWidth, configuration.feedForwardWidth, configuration.heads)
        let dk = configuration.headWidth
        encoderBuckets = RelativePositionBuckets(count: configuration.relativeBuckets, maxDistance: configuration.relativeMaxDistance, bidirectional: true)
        decoderBuckets = RelativePositionBuckets(count: configuration.relativeBuckets, maxDistance: configuration.relativeMaxDistance, bidirectional: false)
        var random = SeededRandom(seed: seed)
        func normal(_ shape: [Int], std: Float) -> Parameter {
            .parameter(Tensor(shape: shape, elements: (0..<Tensor.elementCount(shape)).map { _ in std * random.normal() }))
        }
        func ones() -> Parameter { .parameter(Tensor(repeating: 1, shape: [d])) }
        /// Query columns get T5's extra 1/sqrt(d_k) because scores are not scaled.
        func fusedQKV() -> Parameter {
            var w = Tensor(shape: [d, 3 * d], elements: (0..<(d * 3 * d)).map { _ in random.normal() })
            let (qStd, kvStd) = (1 / Float(d * dk).squareRoot(), 1 / Float(d).squareRoot())
            w.withUnsafeMutableBufferPointer { p in
                for r in 0..<d { for c in 0..<(3 * d) { p[r * 3 * d + c] *= c < d ? qStd : kvStd } }
            }
            return .parameter(w)
        }
        let dStd = 1 / Float(d).squareRoot()
        shared = normal([vocabulary.count, d], std: 1)
        encoderBias = normal([configuration.relativeBuckets, h], std: dStd)
        decoderBias = normal([configuration.relativeBuckets, h], std: dStd)
        encoder = (0..<configuration.encoderLayers).map { _ in
            EncoderLayer(
                attentionNorm: ones(), qkv: fusedQKV(), output: normal([d, d], std: dStd),
                feedForwardNorm: ones(), up: normal([d, f], std: dStd), down: normal([f, d], std: 1 / Float(f).squareRoot()))
        }
        decoder = (0..<configuration.decoderLayers).map { _ in
            DecoderLayer(
                selfNorm: ones(), qkv: fusedQKV(), selfOutput: normal([d, d], std: dStd),
                crossNorm: ones(), crossQuery: normal([d, d], std: 1 / Float(d * dk).squareRoot()),
                crossKeyValue: normal([d, 2 * d], std: dStd), crossOutput: normal([d, d], std: dStd),
                feedForwardNorm: ones(), up: normal([d, f], std: dStd), down: normal([f, d], std: 1 / Float(f).squareRoot()))
        }
        encoderNorm = ones()
        decoderNorm = ones()
    }

    // MARK: Parameters

    /// Every parameter with its stable safetensors name.
    public var namedParameters: [(String, Parameter)] {
        var out: [(String, Parameter)] = [
            ("shared.embedding", shared), ("encoder.relative_bias", encoderBias), ("decoder.relative_bias", decoderBias),
            ("encoder.final_norm", encoderNorm), ("decoder.final_norm", decoderNorm),
        ]
        for (i, l) in encoder.enumerated() {
            let p = "encoder.\(i)."
            out += [
                (p + "self.norm", l.attentionNorm), (p + "self.qkv", l.qkv), (p + "self.output", l.output),
                (p + "ffn.norm", l.feedForwardNorm), (p + "ffn.up", l.up), (p + "ffn.down", l.down),
            ]
        }
        for (i, l) in decoder.enumerated() {
            let p = "decoder.\(i)."
            out += [
                (p + "self.norm", l.selfNorm), (p + "self.qkv", l.qkv), (p + "self.output", l.selfOutput),
                (p + "cross.norm", l.crossNorm), (p + "cross.query", l.crossQuery), (p + "cross.key_value", l.crossKeyValue),
                (p + "cross.output", l.crossOutput), (p + "ffn.norm", l.feedForwardNorm), (p + "ffn.up", l.up), (p + "ffn.down", l.down),
            ]
        }
        return out
    }

    /// Every parameter, in ``namedParameters`` order.
    public var parameters: [Parameter] { namedParameters.map(\.1) }

    /// Parameters AdamW should not decay (norm gains and position biases).
    public var parametersWithoutDecay: [Parameter] {
        namedParameters.filter { $0.0.hasSuffix("norm") || $0.0.hasSuffix("relative_bias") }.map(\.1)
    }

    /// Number of trainable floats.
    public var parameterCount: Int { parameters.reduce(0) { $0 + $1.value.count } }

    /// A copy of every parameter's value (to keep the best model during training).
    public func snapshot() -> [Tensor] { parameters.map(\.value) }

    /// Puts back values from ``snapshot()``.
    public func restore(_ values: [Tensor]) {
        for (p, v) in zip(parameters, values) { p.value = v }
    }

    // MARK: Forward passes

    /// The encoder's output for a batch: `[size, encoderLength, d]`, with its padding flags.
    func encode(_ batch: SIDSequenceBatch, dropout: inout SeededRandom?) -> Variable {
        let (n, t, d) = (batch.size, batch.encoderLength, configuration.modelWidth)
        var x = drop(shared.gather(rows: batch.encoderTokens.map(Int.init), indexShape: [n, t]), &dropout)
        let bias = relativeBias(encoderBias, buckets: encoderBuckets, queries: 0..<t, keys: t)
        for layer in encoder {
            let qkv = Variable.matmul(x.rmsNorm(gamma: layer.attentionNorm), layer.qkv)
            let attended = Variable.scaledDotProductAttention(
                query: qkv, key: qkv, value: qkv, heads: configuration.heads,
                queryColumns: 0..<d, keyColumns: d..<(2 * d), valueColumns: (2 * d)..<(3 * d),
                keyPadding: batch.encoderPadding, bias: bias, scale: 1)
            x = x + drop(Variable.matmul(attended, layer.output), &dropout)
            x = x + drop(feedForward(x, norm: layer.feedForwardNorm, up: layer.up, down: layer.down, &dropout), &dropout)
        }
        return drop(x.rmsNorm(gamma: encoderNorm), &dropout)
    }

    /// Teacher-forced decoder output logits, `[size, levels, vocabulary]`.
    func decode(_ batch: SIDSequenceBatch, memory: Variable, dropout: inout SeededRandom?) -> Variable {
        let (n, l, d) = (batch.size, batch.levels, configuration.modelWidth)
        var x = drop(shared.gather(rows: batch.decoderInputs.map(Int.init), indexShape: [n, l]), &dropout)
        let bias = relativeBias(decoderBias, buckets: decoderBuckets, queries: 0..<l, keys: l)
        for layer in decoder {
            let qkv = Variable.matmul(x.rmsNorm(gamma: layer.selfNorm), layer.qkv)
            let attended = Variable.scaledDotProductAttention(
                query: qkv, key: qkv, value: qkv, heads: configuration.heads,
                queryColumns: 0..<d, keyColumns: d..<(2 * d), valueColumns: (2 * d)..<(3 * d),
                causal: true, bias: bias, scale: 1)
            x = x + drop(Variable.matmul(attended, layer.selfOutput), &dropout)
            let query = Variable.matmul(x.rmsNorm(gamma: layer.crossNorm), layer.crossQuery)
            let keyValue = Variable.matmul(memory, layer.crossKeyValue)
            let crossed = Variable.scaledDotProductAttention(
                query: query, key: keyValue, value: keyValue, heads: configuration.heads,
                keyColumns: 0..<d, valueColumns: d..<(2 * d), keyPadding: batch.encoderPadding, scale: 1)
            x = x + drop(Variable.matmul(crossed, layer.crossOutput), &dropout)
            x = x + drop(feedForward(x, norm: layer.feedForwardNorm, up: layer.up, down: layer.down, &dropout), &dropout)
        }
        let out = drop(x.rmsNorm(gamma: decoderNorm), &dropout)
        return outputLogits(out)
    }

    /// Mean token cross-entropy of the teacher-forced decoder (dropout on when `dropout` is set).
    public func loss(_ batch: SIDSequenceBatch, dropout: inout SeededRandom?) -> Variable {
        precondition(batch.targets.count == batch.size * batch.levels, "SIDGenerator.loss: the batch has no targets")
        let memory = encode(batch, dropout: &dropout)
        let logits = decode(batch, memory: memory, dropout: &dropout)
        return logits.reshaped([batch.size * batch.levels, vocabulary.count]).crossEntropy(targets: batch.targets.map(Int.init))
    }

    /// Teacher-forced logits without dropout or gradients, `[size, levels, vocabulary]`.
    public func logits(_ batch: SIDSequenceBatch) -> Tensor {
        GradMode.withoutGrad {
            var none: SeededRandom? = nil
            return decode(batch, memory: encode(batch, dropout: &none), dropout: &none).value
        }
    }

    // MARK: Building blocks shared with the incremental decoder

    func feedForward(_ x: Variable, norm: Parameter, up: Parameter, down: Parameter, _ dropout: inout SeededRandom?) -> Variable {
        let hidden = drop(Variable.matmul(x.rmsNorm(gamma: norm), up).relu(), &dropout)
        return Variable.matmul(hidden, down)
    }

    /// Tied output layer: `x / sqrt(d) · Embᵀ`.
    func outputLogits(_ x: Variable) -> Variable {
        Variable.matmul(x * (1 / Float(configuration.modelWidth).squareRoot()), shared, transposeB: true)
    }

    /// The `[1, heads, queries, keys]` score bias of a stack for the given query positions.
    func relativeBias(_ table: Parameter, buckets: RelativePositionBuckets, queries: Range<Int>, keys: Int) -> Variable {
        let indices = buckets.table(queryPositions: queries, keyLength: keys)
        return table.gather(rows: indices, indexShape: [queries.count, keys])
            .permuted([2, 0, 1]).reshaped([1, configuration.heads, queries.count, keys])
    }

    func drop(_ x: Variable, _ random: inout SeededRandom?) -> Variable {
        guard configuration.dropout > 0, random != nil else { return x }
        return x.dropout(rate: configuration.dropout, rng: &random!)
    }
}
