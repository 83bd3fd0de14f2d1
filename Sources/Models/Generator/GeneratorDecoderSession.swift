import Tensor

/// Incremental decoding of a batch of users for beam search: the encoder runs once, each
/// layer's cross-attention keys and values are computed once per user, and each step feeds one
/// new position per row against a key/value cache of the earlier positions.
///
/// Beams of one user share that user's encoder output: at every step the `width` rows of a
/// user are that user's queries in one cross-attention call (`[users, width, d]` against
/// `[users, T, d]`), so the memory is never copied per beam. The self-attention caches are
/// reordered by the search's `parents` before each step.
public final class GeneratorDecoderSession: BeamScorer {
    let model: SIDGenerator
    let users: Int
    let padding: [Bool]
    /// Per decoder layer, the encoder memory's cross-attention keys and values (`users` rows).
    let memory: [KeyValueCache]
    /// Per decoder layer, the self-attention keys and values of the positions decoded so far.
    var cache: [KeyValueCache]
    var positions = 0

    public var vocabularySize: Int { model.vocabulary.count }

    /// Encodes the histories of `batch` (one sample per user; targets are ignored).
    public init(model: SIDGenerator, batch: SIDSequenceBatch) {
        self.model = model
        users = batch.size
        padding = batch.encoderPadding
        memory = GradMode.withoutGrad {
            var mode = ForwardMode.inference
            let encoded = model.encode(batch, mode: &mode)
            return model.decoder.map { $0.crossAttention.memoryCache(encoded) }
        }
        cache = model.decoder.map { _ in KeyValueCache(batch: batch.size, width: model.configuration.modelWidth) }
    }

    public func logProbabilities(
        step: Int, users: Int, width: Int, tokens: UnsafeBufferPointer<Int32>, parents: UnsafeBufferPointer<Int32>,
        into output: UnsafeMutablePointer<Float>
    ) {
        precondition(users == self.users, "GeneratorDecoderSession: encoded \(self.users) users, asked for \(users)")
        if step > 0 {
            let rows = parents.map(Int.init)
            cache = cache.map { $0.selecting(batchRows: rows) }
        }
        let inputs = step == 0 ? [Int](repeating: Int(GeneratorVocabulary.start), count: users) : tokens.map(Int.init)
        let logits = GradMode.withoutGrad { next(inputs: inputs, width: width) }
        // Log-softmax of each row straight into the search's buffer.
        let v = vocabularySize
        logits.withUnsafeBufferPointer { p in
            for r in 0..<(users * width) {
                let (row, out) = (p.baseAddress! + r * v, output + r * v)
                var peak = -Float.infinity
                for j in 0..<v { peak = max(peak, row[j]) }
                var total: Float = 0
                for j in 0..<v { total += exp(row[j] - peak) }
                let shift = peak + log(total)
                for j in 0..<v { out[j] = row[j] - shift }
            }
        }
    }

    /// Runs one position for `inputs.count` rows and returns `[rows, vocabulary]` logits.
    func next(inputs: [Int], width: Int) -> Tensor {
        let d = model.configuration.modelWidth
        let (rows, s) = (inputs.count, positions)
        var mode = ForwardMode.inference
        var x = model.shared(inputs, shape: [rows, 1])
        let bias = model.relativeBias(model.decoderBias, buckets: model.decoderBuckets, queries: s..<(s + 1), keys: s + 1)
        for (index, layer) in model.decoder.enumerated() {
            x = x + layer.selfAttention.decodeStep(layer.selfNorm(x), cache: &cache[index], bias: bias)
            let query = layer.crossNorm(x).reshaped([users, width, d])
            x = x + layer.crossAttention(query, cachedMemory: memory[index], memoryPadding: padding).reshaped([rows, 1, d])
            x = x + layer.feedForward(x, mode: &mode)
        }
        positions += 1
        return model.outputLogits(model.decoderNorm(x)).value.reshaped([rows, model.vocabulary.count])
    }
}

#if canImport(Glibc)
import Glibc
#else
import Darwin
#endif
