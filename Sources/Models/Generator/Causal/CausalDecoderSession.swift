import Tensor

/// Beam-search decoding with the causal generator on raw buffers.
///
/// ``start(histories:itemTokens:)`` runs each user's history prefix (start token and the SID
/// tokens of up to `historyLimit` items) through every layer once, packed back to back with no
/// padding, and keeps every layer's keys and values of the prefix. The beams of a user share
/// that prefix cache: each decoding step feeds one new token per beam, whose query attends to
/// the user's prefix keys (one GEMM per user and head, `width` queries at once) and to the
/// beam's own earlier decoded tokens (at most `levels − 1`, kept in a small per-row cache that
/// is reordered by the search's `parents`). Step 0 needs no new position at all: its
/// distribution is the output at the prefix's last token.
///
/// Reusable and allocation-free once its buffers have grown to the largest batch; not
/// thread-safe (``weights`` may be shared between sessions).
public final class CausalDecoderSession: BeamScorer {
    public let weights: CausalInferenceWeights
    public private(set) var users = 0
    /// Per user: first packed prefix row, prefix length, and the item slot of the next item.
    private var offsets: [Int] = []
    private var lengths: [Int] = []
    private var nextSlot: [Int] = []
    private var longest = 0
    private var positions = 0
    private var cacheRows = 0

    private let residual = GrowingBuffer(), normalised = GrowingBuffer(), projected = GrowingBuffer()
    private let attended = GrowingBuffer(), hidden = GrowingBuffer(), scores = GrowingBuffer()
    /// `[layers, prefix rows, 2d]` keys and values of every user's prefix.
    private let prefix = GrowingBuffer()
    /// `[users, d]` residual stream at each user's last prefix token.
    private let last = GrowingBuffer()
    /// `[layers, cacheRows, levels, 2d]` keys and values of each beam's decoded tokens, and the
    /// buffer the next step reorders them into.
    private var cache = GrowingBuffer(), reordered = GrowingBuffer()

    public var vocabularySize: Int { weights.vocabulary.count }

    public init(weights: CausalInferenceWeights) {
        self.weights = weights
    }

    /// A session over a snapshot of `model`'s parameters.
    public convenience init(model: CausalSIDGenerator) {
        self.init(weights: CausalInferenceWeights(model))
    }

    /// Runs the prefixes of `histories` (item indices, oldest first; only the last
    /// `historyLimit` are read) and resets decoding to its first step.
    /// - Parameter itemTokens: `[items × levels]` token ids of the catalogue.
    public func start(histories: [ArraySlice<Int32>], itemTokens: [Int32]) {
        let w = weights
        let (d, levelCount, limit) = (w.width, w.vocabulary.levels, w.configuration.historyLimit)
        users = histories.count
        positions = 0
        cacheRows = 0
        offsets.removeAll(keepingCapacity: true)
        lengths.removeAll(keepingCapacity: true)
        nextSlot.removeAll(keepingCapacity: true)
        var rows = 0
        for history in histories {
            let kept = min(history.count, limit)
            offsets.append(rows)
            lengths.append(1 + kept * levelCount)
            nextSlot.append(kept)
            rows += 1 + kept * levelCount
        }
        longest = lengths.max() ?? 0
        guard rows > 0 else { return }
        let x = residual.reserve(rows * d)
        for (u, history) in histories.enumerated() {
            var row = x + offsets[u] * d
            embed(token: Int(GeneratorVocabulary.start), level: levelCount, slot: 0, into: row)
            for (j, item) in history.suffix(limit).enumerated() {
                for l in 0..<levelCount {
                    row += d
                    embed(token: Int(itemTokens[Int(item) * levelCount + l]), level: l, slot: j, into: row)
                }
            }
        }
        let normal = normalised.reserve(rows * d)
        let qkv = projected.reserve(rows * 3 * d)
        let a = attended.reserve(rows * d)
        let f = hidden.reserve(rows * w.configuration.feedForwardWidth)
        let s = scores.reserve(longest * longest)
        let keyValues = prefix.reserve(w.blocks.count * rows * 2 * d)
        for (l, block) in w.blocks.enumerated() {
            InferenceKernels.normalise(x, into: normal, rows: rows, width: d, epsilon: w.epsilon)
            InferenceKernels.multiply(normal, block.attention.address, into: qkv, m: rows, k: d, n: 3 * d)
            let layerKeyValues = keyValues + l * rows * 2 * d
            for r in 0..<rows { (layerKeyValues + r * 2 * d).update(from: qkv + r * 3 * d + d, count: 2 * d) }
            for u in 0..<users {
                causalAttention(
                    qkv + offsets[u] * 3 * d, length: lengths[u], scale: block.scale, scores: s,
                    into: a + offsets[u] * d)
            }
            InferenceKernels.multiply(a, block.attentionOut.address, into: x, m: rows, k: d, n: d, accumulate: true)
            feedForward(x, normal, f, rows: rows, block: block)
        }
        let ends = last.reserve(users * d)
        for u in 0..<users { (ends + u * d).update(from: x + (offsets[u] + lengths[u] - 1) * d, count: d) }
    }

    public func logProbabilities(
        step: Int, users: Int, width: Int, tokens: UnsafeBufferPointer<Int32>, parents: UnsafeBufferPointer<Int32>,
        into output: UnsafeMutablePointer<Float>
    ) {
        precondition(users == self.users, "CausalDecoderSession: started \(self.users) users, asked for \(users)")
        precondition(
            step == positions && step < weights.vocabulary.levels,
            "CausalDecoderSession: step \(step) after \(positions) decoded positions")
        let w = weights
        let (d, v) = (w.width, vocabularySize)
        let rows = users * width
        positions += 1
        let normal = normalised.reserve(rows * d)
        if step == 0 {
            InferenceKernels.normalise(last.address, into: normal, rows: rows, width: d, epsilon: w.epsilon)
        } else {
            reorderCache(rows: rows, step: step, parents: parents)
            let y = residual.reserve(rows * d)
            for r in 0..<rows {
                embed(token: Int(tokens[r]), level: step - 1, slot: nextSlot[r / width], into: y + r * d)
            }
            let qkv = projected.reserve(rows * 3 * d)
            let a = attended.reserve(rows * d)
            let f = hidden.reserve(rows * w.configuration.feedForwardWidth)
            let s = scores.reserve(width * (longest + step))
            for (l, block) in w.blocks.enumerated() {
                InferenceKernels.normalise(y, into: normal, rows: rows, width: d, epsilon: w.epsilon)
                InferenceKernels.multiply(normal, block.attention.address, into: qkv, m: rows, k: d, n: 3 * d)
                decodingAttention(layer: l, step: step, width: width, qkv: qkv, scale: block.scale, scores: s, into: a)
                InferenceKernels.multiply(a, block.attentionOut.address, into: y, m: rows, k: d, n: d, accumulate: true)
                feedForward(y, normal, f, rows: rows, block: block)
            }
            InferenceKernels.normalise(y, into: normal, rows: rows, width: d, epsilon: w.epsilon)
        }
        InferenceKernels.multiply(normal, w.output.address, into: output, m: rows, k: d, n: v)
        InferenceKernels.logSoftmax(output, rows: rows, width: v)
    }

    /// Writes the input embedding of one position: token + level + item slot.
    @inline(__always)
    private func embed(token: Int, level: Int, slot: Int, into row: UnsafeMutablePointer<Float>) {
        let (w, d) = (weights, weights.width)
        let (t, l, s) = (w.tokens.address + token * d, w.levels.address + level * d, w.slots.address + slot * d)
        for i in 0..<d { row[i] = t[i] + l[i] + s[i] }
    }

    /// `x += W_down · relu(W_up · rms(x))` for `rows` rows.
    private func feedForward(
        _ x: UnsafeMutablePointer<Float>, _ normal: UnsafeMutablePointer<Float>, _ f: UnsafeMutablePointer<Float>,
        rows: Int, block: CausalInferenceWeights.Block
    ) {
        let (d, ff) = (weights.width, weights.configuration.feedForwardWidth)
        InferenceKernels.normalise(x, into: normal, rows: rows, width: d, epsilon: weights.epsilon)
        InferenceKernels.multiply(normal, block.up.address, into: f, m: rows, k: d, n: ff)
        InferenceKernels.relu(f, count: rows * ff)
        InferenceKernels.multiply(f, block.down.address, into: x, m: rows, k: ff, n: d, accumulate: true)
    }

    /// Causal multi-head self-attention over one user's `length` packed prefix rows of `qkv`
    /// (`[length, 3d]`): position `i` attends to positions `0 ... i`.
    private func causalAttention(
        _ qkv: UnsafePointer<Float>, length: Int, scale: Float, scores s: UnsafeMutablePointer<Float>,
        into out: UnsafeMutablePointer<Float>
    ) {
        let (d, heads) = (weights.width, weights.heads)
        let headWidth = d / heads
        for h in 0..<heads {
            let offset = h * headWidth
            BLAS.sgemm(
                transposeA: false, transposeB: true, m: length, n: length, k: headWidth, alpha: scale,
                a: qkv + offset, lda: 3 * d, b: qkv + d + offset, ldb: 3 * d, c: s, ldc: length)
            for i in 0..<length {
                let row = s + i * length
                InferenceKernels.softmax(row, count: i + 1)
                (row + i + 1).update(repeating: 0, count: length - i - 1)
            }
            BLAS.sgemm(
                transposeA: false, transposeB: false, m: length, n: headWidth, k: length,
                a: s, lda: length, b: qkv + 2 * d + offset, ldb: 3 * d, c: out + offset, ldc: d)
        }
    }

    /// Stores each row's new key and value as its decoded position `step − 1` and writes every
    /// row's attention over its user's prefix and its own decoded positions to `out`.
    private func decodingAttention(
        layer l: Int, step: Int, width: Int, qkv: UnsafePointer<Float>, scale: Float,
        scores s: UnsafeMutablePointer<Float>, into out: UnsafeMutablePointer<Float>
    ) {
        let (d, heads) = (weights.width, weights.heads)
        let headWidth = d / heads
        let rows = users * width
        let block = weights.vocabulary.levels * 2 * d
        let layerCache = cache.address + l * rows * block
        let prefixRows = offsets.last.map { $0 + lengths[lengths.count - 1] } ?? 0
        let layerPrefix = prefix.address + l * prefixRows * 2 * d
        for r in 0..<rows {
            (layerCache + r * block + (step - 1) * 2 * d).update(from: qkv + r * 3 * d + d, count: 2 * d)
        }
        for u in 0..<users {
            let (length, keys) = (lengths[u], lengths[u] + step)
            let prefixKeys = layerPrefix + offsets[u] * 2 * d
            for h in 0..<heads {
                let offset = h * headWidth
                let queries = qkv + u * width * 3 * d + offset
                BLAS.sgemm(
                    transposeA: false, transposeB: true, m: width, n: length, k: headWidth, alpha: scale,
                    a: queries, lda: 3 * d, b: prefixKeys + offset, ldb: 2 * d, c: s, ldc: keys)
                for i in 0..<width {
                    let (row, query) = (s + i * keys, queries + i * 3 * d)
                    let own = layerCache + (u * width + i) * block
                    for j in 0..<step {
                        let key = own + j * 2 * d + offset
                        var dot: Float = 0
                        for e in 0..<headWidth { dot += query[e] * key[e] }
                        row[length + j] = scale * dot
                    }
                    InferenceKernels.softmax(row, count: keys)
                }
                BLAS.sgemm(
                    transposeA: false, transposeB: false, m: width, n: headWidth, k: length,
                    a: s, lda: keys, b: prefixKeys + d + offset, ldb: 2 * d, c: out + u * width * d + offset, ldc: d)
                for i in 0..<width {
                    let (row, target) = (s + i * keys, out + (u * width + i) * d + offset)
                    let own = layerCache + (u * width + i) * block
                    for j in 0..<step {
                        let (value, p) = (own + j * 2 * d + d + offset, row[length + j])
                        for e in 0..<headWidth { target[e] += p * value[e] }
                    }
                }
            }
        }
    }

    /// Makes the cache hold `rows` rows for decoding step `step`: row `r` continues row
    /// `parents[r]` of the previous step (whose `step − 1` decoded positions are copied).
    private func reorderCache(rows: Int, step: Int, parents: UnsafeBufferPointer<Int32>) {
        precondition(parents.count == rows, "CausalDecoderSession: \(parents.count) parents for \(rows) rows")
        let block = weights.vocabulary.levels * 2 * weights.width
        let layers = weights.blocks.count
        let kept = (step - 1) * 2 * weights.width
        let target = reordered.reserve(layers * rows * block)
        if kept > 0 {
            let source = cache.address
            for l in 0..<layers {
                for r in 0..<rows {
                    let parent = Int(parents[r])
                    precondition(
                        parent >= 0 && parent < cacheRows,
                        "CausalDecoderSession: parent row \(parent) outside 0..<\(cacheRows)")
                    (target + (l * rows + r) * block).update(
                        from: source + (l * cacheRows + parent) * block, count: kept)
                }
            }
        }
        swap(&cache, &reordered)
        cacheRows = rows
    }
}
