import Tensor

/// Incremental decoding of a batch of users for beam search: the encoder runs once, each
/// layer's cross-attention keys and values are computed once per user, and each step feeds one
/// new position per row against a key/value cache of the earlier positions.
///
/// Beams of one user share that user's encoder output: at every step the `width` rows of a
/// user are that user's queries in one cross-attention call (`[users, width, d]` against
/// `[users, T, d]`), so the memory is never copied per beam. The self-attention cache is
/// reordered by the search's `parents` before each step.
public final class GeneratorDecoderSession: BeamScorer {
    let model: SIDGenerator
    let users: Int
    let padding: [Bool]
    /// Per decoder layer, `[users, T, 2d]` cross-attention keys (columns 0..<d) and values.
    let crossKeyValues: [Variable]
    /// Per decoder layer, `[rows, positions, 2d]` self-attention keys and values so far.
    var cache: [Tensor] = []
    var positions = 0

    public var vocabularySize: Int { model.vocabulary.count }

    /// Encodes the histories of `batch` (one sample per user; targets are ignored).
    public init(model: SIDGenerator, batch: SIDSequenceBatch) {
        self.model = model
        users = batch.size
        padding = batch.encoderPadding
        crossKeyValues = GradMode.withoutGrad {
            var none: SeededRandom? = nil
            let memory = model.encode(batch, dropout: &none)
            return model.decoder.map { Variable.matmul(memory, $0.crossKeyValue) }
        }
    }

    public func logProbabilities(
        step: Int, users: Int, width: Int, tokens: UnsafeBufferPointer<Int32>, parents: UnsafeBufferPointer<Int32>,
        into output: UnsafeMutablePointer<Float>
    ) {
        precondition(users == self.users, "GeneratorDecoderSession: encoded \(self.users) users, asked for \(users)")
        let inputs = step == 0 ? [Int](repeating: Int(GeneratorVocabulary.start), count: users) : tokens.map(Int.init)
        let logits = GradMode.withoutGrad { next(inputs: inputs, width: width, parents: step == 0 ? nil : parents) }
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
    func next(inputs: [Int], width: Int, parents: UnsafeBufferPointer<Int32>?) -> Tensor {
        let configuration = model.configuration
        let (d, rows, s) = (configuration.modelWidth, inputs.count, positions)
        var none: SeededRandom? = nil
        var x = model.shared.gather(rows: inputs, indexShape: [rows, 1])
        let bias = model.relativeBias(model.decoderBias, buckets: model.decoderBuckets, queries: s..<(s + 1), keys: s + 1)
        for (index, layer) in model.decoder.enumerated() {
            let qkv = Variable.matmul(x.rmsNorm(gamma: layer.selfNorm), layer.qkv)
            let keyValues = Variable(appendPosition(layer: index, qkv: qkv.value, parents: parents, rows: rows))
            let attended = Variable.scaledDotProductAttention(
                query: qkv, key: keyValues, value: keyValues, heads: configuration.heads,
                queryColumns: 0..<d, keyColumns: 0..<d, valueColumns: d..<(2 * d), bias: bias, scale: 1)
            x = x + Variable.matmul(attended, layer.selfOutput)
            let query = Variable.matmul(x.rmsNorm(gamma: layer.crossNorm), layer.crossQuery).reshaped([users, width, d])
            let crossed = Variable.scaledDotProductAttention(
                query: query, key: crossKeyValues[index], value: crossKeyValues[index], heads: configuration.heads,
                keyColumns: 0..<d, valueColumns: d..<(2 * d), keyPadding: padding, scale: 1)
            x = x + Variable.matmul(crossed.reshaped([rows, 1, d]), layer.crossOutput)
            x = x + model.feedForward(x, norm: layer.feedForwardNorm, up: layer.up, down: layer.down, &none)
        }
        positions += 1
        return model.outputLogits(x.rmsNorm(gamma: model.decoderNorm)).value.reshaped([rows, model.vocabulary.count])
    }

    /// The layer's cache reordered by `parents` with this step's keys and values appended:
    /// `[rows, positions + 1, 2d]`.
    private func appendPosition(layer: Int, qkv: Tensor, parents: UnsafeBufferPointer<Int32>?, rows: Int) -> Tensor {
        let d = model.configuration.modelWidth
        let s = positions
        var next = Tensor(zeros: [rows, s + 1, 2 * d])
        let stride = (s + 1) * 2 * d
        next.withUnsafeMutableBufferPointer { out in
            let base = out.baseAddress!
            if s > 0, let parents {
                cache[layer].withUnsafeBufferPointer { old in
                    for r in 0..<rows {
                        (base + r * stride).update(from: old.baseAddress! + Int(parents[r]) * s * 2 * d, count: s * 2 * d)
                    }
                }
            }
            qkv.withUnsafeBufferPointer { p in
                for r in 0..<rows {
                    (base + r * stride + s * 2 * d).update(from: p.baseAddress! + r * 3 * d + d, count: 2 * d)
                }
            }
        }
        if layer < cache.count { cache[layer] = next } else { cache.append(next) }
        return next
    }
}

#if canImport(Glibc)
import Glibc
#else
import Darwin
#endif
