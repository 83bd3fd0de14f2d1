public import Tensor

/// FAMAE's tied output head and loss: a masked field `k` scores each of its values `v`
/// by `sqrt(d) · cos(h_T, Emb_k[v])`, where `Emb_k` is the field's own input table, and is
/// trained by softmax cross-entropy on the true value; the losses of the masked fields are summed
/// (weight 1 each) and averaged over samples.
///
/// - Multi-valued fields: the target distribution is uniform over the item's values (the loss is
///   the mean of the values' cross-entropies), matching the mean-of-embeddings input policy.
/// - A masked field whose true value is unknown (code 0) contributes nothing.
/// - Fields with more than ``FAMAEConfiguration/sampledSoftmaxThreshold`` values use a sampled
///   softmax: the true value plus ``FAMAEConfiguration/sampledNegatives`` distinct values drawn
///   uniformly per batch (shared by its samples), scored with the same logits. A negative that
///   equals a row's true value is excluded from that row. Uniform sampling needs no log-q
///   correction (it shifts every logit of a row equally).
public struct FAMAEHead {
    /// The model whose tables the head is tied to.
    public let model: FAMAEModel

    /// A head tied to `model`'s tables.
    public init(model: FAMAEModel) { self.model = model }

    private var scale: Float { Float(model.configuration.dimension).squareRoot() }

    /// The value rows of field `field`'s table (codes `1 ..< vocabularySize`), `[V - 1, d]`.
    public func valueTable(field: Int) -> Variable {
        model.embeddings[field].slice(axis: 0, range: 1..<model.configuration.fields[field].vocabularySize)
    }

    /// Full logits of field `field` for hidden states `[n, d]`: `[n, V - 1]`, column `c` scoring code `c + 1`.
    public func fullLogits(_ hidden: Variable, field: Int) -> Variable {
        Variable.scaledCosineLogits(hidden, valueTable(field: field), scale: scale)
    }

    /// Sampled logits of field `field`: column 0 scores each row's true code, columns
    /// `1 ... negatives.count` the shared negative codes (`-1e9` where a negative equals the row's
    /// true code). Every finite entry equals the matching entry of ``fullLogits(_:field:)``.
    public func sampledLogits(_ hidden: Variable, field: Int, trueCodes: [Int32], negatives: [Int32]) -> Variable {
        let table = model.embeddings[field]
        let n = trueCodes.count
        let positive = (Variable.cosineSimilarity(hidden, table.gather(rows: trueCodes.map(Int.init))) * scale)
            .reshaped([n, 1])
        let negative = Variable.scaledCosineLogits(hidden, table.gather(rows: negatives.map(Int.init)), scale: scale)
        let logits = Variable.concat([positive, negative], axis: 1)
        var hits = [Bool](repeating: false, count: n * (negatives.count + 1))
        var anyHit = false
        for (row, code) in trueCodes.enumerated() {
            for (column, negativeCode) in negatives.enumerated() where negativeCode == code {
                hits[row * (negatives.count + 1) + column + 1] = true
                anyHit = true
            }
        }
        return anyHit ? logits.maskedFill(hits, with: -1e9) : logits
    }

    /// Draws `count` distinct codes of field `field` uniformly from `1 ..< vocabularySize`.
    public func drawNegatives(field: Int, count: Int, using random: inout SeededRandom) -> [Int32] {
        let values = model.configuration.fields[field].vocabularySize - 1
        let wanted = min(count, values)
        var chosen = Set<Int32>()
        var order: [Int32] = []
        while order.count < wanted {
            let code = Int32(1 + random.int(below: values))
            if chosen.insert(code).inserted { order.append(code) }
        }
        return order
    }

    /// The training loss of a batch: the sum over masked fields of their cross-entropy, averaged
    /// over the batch's samples. Returns the scalar loss and each field's part (for logging).
    public func loss(
        hidden: Variable, batch: FAMAEBatch, random: inout SeededRandom
    ) -> (loss: Variable, perField: [Float]) {
        let j = model.configuration.fieldCount
        var total: Variable?
        var perField = [Float](repeating: 0, count: j)
        for field in 0..<j {
            var rows: [Int] = []
            var codes: [Int32] = []
            var weights: [Float] = []
            for sample in 0..<batch.size where batch.masked[sample * j + field] {
                let values = batch.targets.codes(field: field, item: sample)
                for code in values {
                    rows.append(sample)
                    codes.append(code)
                    weights.append(1 / Float(values.count))
                }
            }
            guard !rows.isEmpty else { continue }
            let states = hidden.gather(rows: rows)
            let crossEntropy: Variable
            if model.configuration.usesSampledSoftmax(field: field) {
                let negatives = drawNegatives(field: field, count: model.configuration.sampledNegatives, using: &random)
                crossEntropy = sampledLogits(states, field: field, trueCodes: codes, negatives: negatives)
                    .crossEntropy(targets: [Int](repeating: 0, count: codes.count), weights: weights)
            } else {
                crossEntropy = fullLogits(states, field: field).crossEntropy(
                    targets: codes.map { Int($0) - 1 }, weights: weights)
            }
            // crossEntropy is a weighted mean over rows; rescale to a sum over samples / batch size.
            let part = crossEntropy * (weights.reduce(0, +) / Float(batch.size))
            perField[field] = part.value.scalar
            total = total.map { $0 + part } ?? part
        }
        return (total ?? Variable(Tensor(scalar: 0)), perField)
    }
}
