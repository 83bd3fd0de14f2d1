import Foundation
public import Tensor

/// Encodes items FAMAE was not trained on into the same vector space as
/// ``FAMAEModel/itemVectors()``, deterministically.
///
/// The rule, for an item given by its field codes (code 0 / empty = unknown):
/// 1. Run FAMAE with the item as the target and the given history (empty by default: a new item
///    has no user context; left padding then leaves the target attending only to itself), no
///    dropout. Fields with a known value are visible; `item_id` (always, for an item outside the
///    catalogue) and every field with no known value are masked.
/// 2. A visible field's part of the vector is its trained embedding (the mean for several
///    values): exactly what ``FAMAEModel/itemVectors()`` gives a trained item with that value.
/// 3. A masked field's part is the model's own prediction: the field head's softmax over all
///    values (temperature ``temperature`` on the `sqrt(d)·cos` logits), restricted to the
///    ``topK`` most probable values (ties by lower code) and renormalised; the part is the
///    probability-weighted mean of those values' embeddings.
///
/// An item whose `item_id` code is known (a catalogue item) thus gets its trained vector back.
public struct FAMAEColdStartEncoder: Sendable {
    /// The trained model.
    public let model: FAMAEModel
    /// Values averaged for a predicted field (default 20).
    public var topK: Int
    /// Softmax temperature on the head's logits (default 1: the head's own probabilities).
    public var temperature: Float
    /// Per field, `sqrt(d) / ‖row‖` for the value rows (codes 1..<V): with it the head's
    /// scaled-cosine logits are one GEMM against the table in place, instead of copying and
    /// normalising the whole table on every call (most of a single item's encode time). V floats
    /// per field, so a large catalogue costs no second copy of its item table.
    private let valueScales: [[Float]]

    /// An encoder over `model`. It snapshots the model's value-row norms: create it after
    /// training (as the daemon and the offline tools do), not before.
    public init(model: FAMAEModel, topK: Int = 20, temperature: Float = 1) {
        self.model = model
        self.topK = topK
        self.temperature = temperature
        let d = model.configuration.dimension
        let scale = Float(d).squareRoot()
        valueScales = model.configuration.fields.indices.map { field in
            let values = model.configuration.fields[field].vocabularySize
            return model.embeddings[field].value.withUnsafeBufferPointer { table in
                (1..<max(values, 1)).map { row in
                    var squares: Float = 0
                    for c in 0..<d { squares += table[row * d + c] * table[row * d + c] }
                    // The same epsilon as Variable.l2Normalized, so logits match the head's.
                    return scale / max(squares.squareRoot(), 1e-8)
                }
            }
        }
    }

    /// Vectors for `items` (`[items.count, J · dimension]`, rows in input order).
    /// - Parameter histories: per item, catalogue indices of a context history (oldest first);
    ///   `nil` gives every item an empty history.
    /// - Throws: ``FAMAEError/Code/invalidInput`` for codes or history items the model does not know.
    public func encode(_ items: FAMAEItemCodes, histories: [[Int32]]? = nil) throws -> Tensor {
        let configuration = model.configuration
        let (n, j, d, h) = (items.count, configuration.fieldCount, configuration.dimension, configuration.historyLength)
        guard topK >= 1, temperature > 0 else {
            throw FAMAEError(.invalidInput, "cold start: topK must be >= 1 and temperature > 0")
        }
        if let histories, histories.count != n {
            throw FAMAEError(.invalidInput, "cold start: \(histories.count) histories for \(n) items")
        }
        guard n > 0 else { return Tensor(zeros: [0, j * d]) }
        try items.validate(against: configuration)
        var masked = [Bool](repeating: false, count: n * j)
        for item in 0..<n {
            for field in 0..<j where items.codes(field: field, item: item).isEmpty { masked[item * j + field] = true }
        }
        var history: [Int32] = []
        history.reserveCapacity(n * h)
        for item in 0..<n { history += FAMAEBatch.paddedHistory(histories?[item] ?? [], historyLength: h) }
        let batch = try FAMAEBatch(history: history, targets: items, masked: masked, historyLength: h)

        return try GradMode.withoutGrad {
            var inference = ForwardMode.inference
            let states = try model.targetStates(batch, mode: &inference)
            var vector = Tensor(zeros: [n, j * d])
            for field in 0..<j {
                let known = model.fieldEmbeddings(field: field, items: items).value
                let predictedRows = (0..<n).filter { masked[$0 * j + field] }
                var predicted: [Int: [Float]] = [:]
                if !predictedRows.isEmpty {
                    let queries = states.gather(rows: predictedRows).l2Normalized().value
                    let logits = valueLogits(queries, field: field)
                    let table = model.embeddings[field].value
                    for (row, item) in predictedRows.enumerated() {
                        predicted[item] = weightedMean(
                            logits: logits, row: row, values: valueScales[field].count, table: table)
                    }
                }
                vector.withUnsafeMutableBufferPointer { out in
                    known.withUnsafeBufferPointer { k in
                        for item in 0..<n {
                            let target = item * j * d + field * d
                            if let values = predicted[item] {
                                for c in 0..<d { out[target + c] = values[c] }
                            } else {
                                for c in 0..<d { out[target + c] = k[item * d + c] }
                            }
                        }
                    }
                }
            }
            return vector
        }
    }

    /// The probability-weighted mean of the top-k rows of `table` under row `row` of `logits`.
    /// The head's logits `sqrt(d) · cos(query, value)` of every value (codes 1..<V) for
    /// unit-norm `queries` `[m, d]`, row-major `[m, V - 1]`.
    func valueLogits(_ queries: Tensor, field: Int) -> [Float] {
        let (m, d) = (queries.shape[0], queries.shape[1])
        let scales = valueScales[field]
        let n = scales.count
        var out = [Float](repeating: 0, count: m * n)
        guard m > 0, n > 0 else { return out }
        queries.withUnsafeBufferPointer { q in
            model.embeddings[field].value.withUnsafeBufferPointer { table in
                out.withUnsafeMutableBufferPointer { o in
                    // Row 0 of the table is the unknown value; value rows start one row in.
                    BLAS.sgemm(
                        transposeA: false, transposeB: true, m: m, n: n, k: d, a: q.baseAddress!, lda: d,
                        b: table.baseAddress! + d, ldb: d, c: o.baseAddress!, ldc: n)
                    for r in 0..<m {
                        for j in 0..<n { o[r * n + j] *= scales[j] }
                    }
                }
            }
        }
        return out
    }

    /// The probability-weighted mean embedding of the `topK` best values of logit row `row`
    /// (`values` logits per row; logit `c` scores table row `c + 1`).
    private func weightedMean(logits: [Float], row: Int, values: Int, table: Tensor) -> [Float] {
        let d = table.shape[1]
        let scores = Array(logits[(row * values)..<((row + 1) * values)])
        let top = Self.topIndices(scores, count: topK)
        let best = scores[top[0]]
        var weights = top.map { exp((scores[$0] - best) / temperature) }
        let total = weights.reduce(0, +)
        for i in weights.indices { weights[i] /= total }
        var mean = [Float](repeating: 0, count: d)
        table.withUnsafeBufferPointer { t in
            for (weight, value) in zip(weights, top) {
                for c in 0..<d { mean[c] += weight * t[(value + 1) * d + c] }
            }
        }
        return mean
    }

    static func topIndices(_ scores: [Float], count: Int) -> [Int] {
        var top: [Int] = []
        top.reserveCapacity(count + 1)
        for index in scores.indices {
            let score = scores[index]
            if top.count == count, let last = top.last, score <= scores[last] { continue }
            var position = top.count
            while position > 0, scores[top[position - 1]] < score { position -= 1 }
            top.insert(index, at: position)
            if top.count > count { top.removeLast() }
        }
        return top
    }
}
