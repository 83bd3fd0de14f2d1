import Tensor

/// Incremental decoding of a batch of users for beam search, on raw buffers: the encoder runs
/// once per batch, the memory's cross-attention keys and values for every decoder layer come
/// from one GEMM, and each step feeds one new position per row against a key/value cache of the
/// earlier positions.
///
/// The encoder packs the users' real positions back to back (a history's tokens and end token
/// are a prefix of its padded row), so no FLOP is spent on padding and no mask is needed: in a
/// micro-batch of a new user with 2 items and a regular with 32, the padded layout would run
/// 2 × 97 positions where the packed one runs 7 + 97.
///
/// Beams of one user share that user's encoder output: at every step the `width` rows of a user
/// are that user's queries in one cross-attention GEMM against the user's memory, so the memory
/// is never copied per beam. The self-attention caches are reordered by the search's `parents`
/// into a second buffer before each step (the two are swapped, never reallocated).
///
/// A session is reusable: ``start(_:)`` encodes the next batch into the same workspace, which
/// only grows, so a long-lived session (one per serving thread or recommender) allocates nothing
/// once it has seen its largest batch. It is not thread-safe; ``weights`` may be shared.
public final class GeneratorDecoderSession: BeamScorer {
    /// The model, laid out for inference.
    public let weights: GeneratorInferenceWeights
    /// Users of the current batch.
    public private(set) var users = 0
    /// Per user, the first packed encoder position and the number of positions.
    private var offsets: [Int] = []
    private var lengths: [Int] = []
    private var longest = 0
    /// Decoder positions already in the cache, and the rows the cache holds.
    private var positions = 0
    private var cacheRows = 0

    private let residual = GrowingBuffer(), normalised = GrowingBuffer(), projected = GrowingBuffer()
    private let attended = GrowingBuffer(), hidden = GrowingBuffer(), scores = GrowingBuffer()
    /// `[packed positions, decoderLayers · 2d]` cross-attention keys and values.
    private let memory = GrowingBuffer()
    /// `[decoderLayers, cacheRows, levels, 2d]` self-attention keys and values (and the buffer the
    /// next step reorders them into).
    private var cache = GrowingBuffer(), reordered = GrowingBuffer()
    private let encoderBias = GrowingBuffer(), decoderBias = GrowingBuffer()
    private var encoderBiasLength = -1

    public var vocabularySize: Int { weights.vocabulary.count }

    /// A session over shared `weights`.
    public init(weights: GeneratorInferenceWeights) {
        self.weights = weights
    }

    /// A session over a snapshot of `model`'s parameters.
    public convenience init(model: SIDGenerator) {
        self.init(weights: GeneratorInferenceWeights(model))
    }

    /// A session that has already encoded `batch`.
    public convenience init(model: SIDGenerator, batch: SIDSequenceBatch) {
        self.init(model: model)
        start(batch)
    }

    /// Encodes the histories of `batch` (one sample per user; targets are ignored) and resets the
    /// decoder to its first step.
    public func start(_ batch: SIDSequenceBatch) {
        let w = weights
        let (d, ff, heads) = (w.width, w.configuration.feedForwardWidth, w.heads)
        let t = batch.encoderLength
        users = batch.size
        positions = 0
        cacheRows = 0
        offsets.removeAll(keepingCapacity: true)
        lengths.removeAll(keepingCapacity: true)
        var rows = 0
        for u in 0..<users {
            let padded = batch.encoderPadding[(u * t)..<((u + 1) * t)]
            let length = padded.firstIndex(of: true).map { $0 - u * t } ?? t
            precondition(
                !padded[(u * t + length)...].contains(false),
                "GeneratorDecoderSession: padding must follow a user's positions")
            offsets.append(rows)
            lengths.append(length)
            rows += length
        }
        longest = lengths.max() ?? 0
        guard rows > 0 else { return }
        if t > encoderBiasLength {
            InferenceKernels.relativeBias(
                w.encoderBias.address, buckets: w.encoderBuckets, heads: heads, queries: 0..<t, keys: t,
                into: encoderBias.reserve(heads * t * t))
            encoderBiasLength = t
        }
        let bias = InferenceKernels.Operand(
            base: encoderBias.address, rowStride: encoderBiasLength, headStride: encoderBiasLength * encoderBiasLength)
        let x = residual.reserve(rows * d)
        let normal = normalised.reserve(rows * d)
        let qkv = projected.reserve(rows * 3 * d)
        let a = attended.reserve(rows * d)
        let f = hidden.reserve(rows * ff)
        let s = scores.reserve(t * t)
        for u in 0..<users {
            InferenceKernels.gather(
                w.embedding.address, rows: batch.encoderTokens[(u * t)..<(u * t + lengths[u])], width: d,
                into: x + offsets[u] * d)
        }
        for layer in w.encoder {
            InferenceKernels.normalise(x, into: normal, rows: rows, width: d, epsilon: w.epsilon)
            InferenceKernels.multiply(normal, layer.attention.address, into: qkv, m: rows, k: d, n: 3 * d)
            for u in 0..<users {
                let user = qkv + offsets[u] * 3 * d
                InferenceKernels.attend(
                    .init(base: user, rowStride: 3 * d), .init(base: user + d, rowStride: 3 * d),
                    .init(base: user + 2 * d, rowStride: 3 * d),
                    queries: lengths[u], keys: lengths[u], heads: heads, headWidth: d / heads,
                    bias: bias, scale: layer.attentionScale, scores: s, into: a + offsets[u] * d)
            }
            InferenceKernels.multiply(a, layer.attentionOut.address, into: x, m: rows, k: d, n: d, accumulate: true)
            feedForward(x, normal, f, rows: rows, up: layer.up, down: layer.down)
        }
        InferenceKernels.normalise(x, into: normal, rows: rows, width: d, epsilon: w.epsilon)
        let memoryWidth = w.decoder.count * 2 * d
        InferenceKernels.multiply(
            normal, w.memory.address, into: memory.reserve(rows * memoryWidth), m: rows, k: d, n: memoryWidth)
    }

    public func logProbabilities(
        step: Int, users: Int, width: Int, tokens: UnsafeBufferPointer<Int32>, parents: UnsafeBufferPointer<Int32>,
        into output: UnsafeMutablePointer<Float>
    ) {
        precondition(users == self.users, "GeneratorDecoderSession: encoded \(self.users) users, asked for \(users)")
        precondition(
            step == positions && step < weights.vocabulary.levels,
            "GeneratorDecoderSession: step \(step) after \(positions) decoded positions")
        let w = weights
        let (d, ff, heads, v) = (w.width, w.configuration.feedForwardWidth, w.heads, vocabularySize)
        let rows = users * width
        reorderCache(rows: rows, parents: step == 0 ? nil : parents)
        let y = residual.reserve(rows * d)
        if step == 0 {
            for r in 0..<rows {
                (y + r * d).update(from: w.embedding.address + Int(GeneratorVocabulary.start) * d, count: d)
            }
        } else {
            InferenceKernels.gather(w.embedding.address, rows: tokens, width: d, into: y)
        }
        InferenceKernels.relativeBias(
            w.decoderBias.address, buckets: w.decoderBuckets, heads: heads, queries: step..<(step + 1), keys: step + 1,
            into: decoderBias.reserve(heads * (step + 1)))
        let normal = normalised.reserve(rows * d)
        let qkv = projected.reserve(rows * 3 * d)
        let a = attended.reserve(rows * d)
        let f = hidden.reserve(rows * ff)
        let s = scores.reserve(max(width * longest, step + 1))
        let memoryWidth = w.decoder.count * 2 * d
        for (l, layer) in w.decoder.enumerated() {
            InferenceKernels.normalise(y, into: normal, rows: rows, width: d, epsilon: w.epsilon)
            InferenceKernels.multiply(normal, layer.selfAttention.address, into: qkv, m: rows, k: d, n: 3 * d)
            selfAttention(layer: l, step: step, rows: rows, qkv: qkv, scale: layer.selfScale, scores: s, into: a)
            InferenceKernels.multiply(a, layer.selfOut.address, into: y, m: rows, k: d, n: d, accumulate: true)

            InferenceKernels.normalise(y, into: normal, rows: rows, width: d, epsilon: w.epsilon)
            InferenceKernels.multiply(normal, layer.crossQuery.address, into: qkv, m: rows, k: d, n: d)
            for u in 0..<users {
                let keys = memory.address + offsets[u] * memoryWidth + l * 2 * d
                InferenceKernels.attend(
                    .init(base: qkv + u * width * d, rowStride: d), .init(base: keys, rowStride: memoryWidth),
                    .init(base: keys + d, rowStride: memoryWidth),
                    queries: width, keys: lengths[u], heads: heads, headWidth: d / heads,
                    bias: nil, scale: layer.crossScale, scores: s, into: a + u * width * d)
            }
            InferenceKernels.multiply(a, layer.crossOut.address, into: y, m: rows, k: d, n: d, accumulate: true)

            feedForward(y, normal, f, rows: rows, up: layer.up, down: layer.down)
        }
        positions += 1
        InferenceKernels.normalise(y, into: normal, rows: rows, width: d, epsilon: w.epsilon)
        InferenceKernels.multiply(normal, w.output.address, into: output, m: rows, k: d, n: v)
        InferenceKernels.logSoftmax(output, rows: rows, width: v)
    }

    /// `x += W_down · relu(W_up · rms(x))` for `rows` rows.
    private func feedForward(
        _ x: UnsafeMutablePointer<Float>, _ normal: UnsafeMutablePointer<Float>, _ f: UnsafeMutablePointer<Float>,
        rows: Int, up: AlignedStorage, down: AlignedStorage
    ) {
        let (d, ff) = (weights.width, weights.configuration.feedForwardWidth)
        InferenceKernels.normalise(x, into: normal, rows: rows, width: d, epsilon: weights.epsilon)
        InferenceKernels.multiply(normal, up.address, into: f, m: rows, k: d, n: ff)
        InferenceKernels.relu(f, count: rows * ff)
        InferenceKernels.multiply(f, down.address, into: x, m: rows, k: ff, n: d, accumulate: true)
    }

    /// Appends each row's new key and value (columns `d ..< 3d` of `qkv`) at position `step` of
    /// layer `layer`'s cache and writes every row's attention over positions `0...step` to `out`.
    /// With at most `levels` keys per row a direct loop beats a GEMM call per row and head.
    private func selfAttention(
        layer l: Int, step: Int, rows: Int, qkv: UnsafePointer<Float>, scale: Float,
        scores s: UnsafeMutablePointer<Float>, into out: UnsafeMutablePointer<Float>
    ) {
        let (d, heads) = (weights.width, weights.heads)
        let headWidth = d / heads
        let block = weights.vocabulary.levels * 2 * d
        let layerCache = cache.address + l * rows * block
        let keys = step + 1
        let bias = decoderBias.address
        for r in 0..<rows {
            let rowCache = layerCache + r * block
            (rowCache + step * 2 * d).update(from: qkv + r * 3 * d + d, count: 2 * d)
            for h in 0..<heads {
                let query = qkv + r * 3 * d + h * headWidth
                for j in 0..<keys {
                    let key = rowCache + j * 2 * d + h * headWidth
                    var dot: Float = 0
                    for i in 0..<headWidth { dot += query[i] * key[i] }
                    s[j] = scale * dot + bias[h * keys + j]
                }
                InferenceKernels.softmax(s, count: keys)
                let target = out + r * d + h * headWidth
                target.update(repeating: 0, count: headWidth)
                for j in 0..<keys {
                    let value = rowCache + j * 2 * d + d + h * headWidth
                    let p = s[j]
                    for i in 0..<headWidth { target[i] += p * value[i] }
                }
            }
        }
    }

    /// Makes the cache hold `rows` rows: row `r` continues row `parents[r]` of the previous step
    /// (nothing to copy at the first step).
    private func reorderCache(rows: Int, parents: UnsafeBufferPointer<Int32>?) {
        let block = weights.vocabulary.levels * 2 * weights.width
        let layers = weights.decoder.count
        guard let parents else {
            _ = cache.reserve(layers * rows * block)
            cacheRows = rows
            return
        }
        precondition(parents.count == rows, "GeneratorDecoderSession: \(parents.count) parents for \(rows) rows")
        let (source, target) = (cache.address, reordered.reserve(layers * rows * block))
        let kept = positions * 2 * weights.width
        for l in 0..<layers {
            for r in 0..<rows {
                let parent = Int(parents[r])
                precondition(
                    parent >= 0 && parent < cacheRows,
                    "GeneratorDecoderSession: parent row \(parent) outside 0..<\(cacheRows)")
                (target + (l * rows + r) * block).update(from: source + (l * cacheRows + parent) * block, count: kept)
            }
        }
        swap(&cache, &reordered)
        cacheRows = rows
    }
}
