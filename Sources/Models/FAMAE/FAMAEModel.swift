public import Tensor

/// FAMAE, the field-aware masked auto-encoder that turns items into vectors.
///
/// A sample is a user's last ≤ `historyLength` items followed by the target item. Each
/// position's token is the sum of its fields' embeddings (a multi-valued field contributes the
/// mean of its values' embeddings, an unknown value the zero vector) plus a learned absolute
/// position embedding. Histories are left-padded, so the target always sits at the last
/// position. At the target some fields are masked: their embedding is replaced by the field's
/// learned mask vector. A bidirectional pre-LayerNorm Transformer encoder (padding masked out of
/// attention, no extra input or output norm) produces `h_T`, the final hidden state at the
/// target, and each masked field is predicted from `h_T` by a tied cosine head (``FAMAEHead``).
///
/// Each field's table has `vocabularySize + 1` rows: row 0 is reserved (never read: unknown
/// values get zero weight), rows `1 ..< vocabularySize` are the values, and the last row is the
/// field's mask vector.
///
/// - Important: training (forward with gradients, optimiser steps) must stay on one task at a
///   time; a trained model can be shared by concurrent inference tasks.
public final class FAMAEModel: Layer, @unchecked Sendable {
    /// The hyperparameters.
    public let configuration: FAMAEConfiguration
    /// The catalogue: every known item's field codes, by item index. History positions refer to
    /// these items; ``FAMAEHead`` ranks them for Metric 1.
    public let catalog: FAMAEItemCodes
    /// One `[vocabularySize + 1, dimension]` table per field.
    public let embeddings: [Parameter]
    /// `[historyLength + 1, dimension]` absolute position embeddings.
    public let positions: Parameter
    /// The bidirectional pre-LayerNorm Transformer encoder (no extra input or output norm).
    public let encoder: TransformerEncoder

    /// A freshly initialised model (embeddings N(0, 0.02²), row 0 zero).
    /// - Throws: ``FAMAEError`` if the configuration or catalogue codes are invalid.
    public init(configuration: FAMAEConfiguration, catalog: FAMAEItemCodes, seed: UInt64) throws {
        try configuration.validate()
        try catalog.validate(against: configuration)
        self.configuration = configuration
        self.catalog = catalog
        var random = SeededRandom(seed: seed)
        let d = configuration.dimension
        embeddings = configuration.fields.map { field in
            var table = Tensor(
                shape: [field.vocabularySize + 1, d],
                elements: (0..<((field.vocabularySize + 1) * d)).map { _ in 0.02 * random.normal() })
            table.withUnsafeMutableBufferPointer { p in for j in 0..<d { p[j] = 0 } }
            return Parameter.parameter(table)
        }
        positions = .parameter(
            Tensor(
                shape: [configuration.sequenceLength, d],
                elements: (0..<(configuration.sequenceLength * d)).map { _ in 0.02 * random.normal() }))
        encoder = TransformerEncoder(
            layers: configuration.layers,
            .init(
                width: d, heads: configuration.heads, feedForwardWidth: configuration.feedForward,
                dropout: configuration.dropout, activation: .relu),
            rng: &random)
    }

    /// Every trainable parameter with a stable name (the checkpoint's tensor names).
    public func namedParameters() -> [(name: String, parameter: Parameter)] {
        var named: [(name: String, parameter: Parameter)] = zip(configuration.fields, embeddings).map {
            (name: "embedding.\($0.name)", parameter: $1)
        }
        named.append((name: "position", parameter: positions))
        for (name, parameter) in encoder.namedParameters() {
            named.append((name: "encoder.\(name)", parameter: parameter))
        }
        return named
    }

    /// The embedding of field `field` for every item of `items` (zero for no value, the mean of
    /// the values for several): `[items.count, dimension]`.
    public func fieldEmbeddings(field: Int, items: FAMAEItemCodes) -> Variable {
        let d = configuration.dimension
        let n = items.count
        var width = 1
        for item in 0..<n { width = max(width, items.offsets[field][item + 1] - items.offsets[field][item]) }
        var rows = [Int](repeating: 0, count: n * width)
        var weights = [Float](repeating: 0, count: n * width)
        var allOnes = true
        for item in 0..<n {
            let codes = items.codes(field: field, item: item)
            if codes.count != width { allOnes = false }
            for (slot, code) in codes.enumerated() {
                rows[item * width + slot] = Int(code)
                weights[item * width + slot] = 1 / Float(codes.count)
            }
        }
        let table = embeddings[field]
        if width == 1 {
            let gathered = table.gather(rows: rows)
            return allOnes ? gathered : gathered * Variable(Tensor(shape: [n, 1], elements: weights))
        }
        let gathered = table.gather(rows: rows, indexShape: [n, width])
        return (gathered * Variable(Tensor(shape: [n, width, 1], elements: weights))).sum(axis: 1)
            .reshaped([n, d])
    }

    /// The input tokens of a batch, `[batch.size, historyLength + 1, dimension]`, and the
    /// attention padding flags (`true` for empty history slots), before dropout.
    ///
    /// A history token is the sum of its item's field embeddings plus the position embedding;
    /// the target token is the same except that each masked field's embedding is replaced by
    /// that field's mask vector. History is never masked.
    /// - Throws: ``FAMAEError/Code/invalidInput`` if history indices or target codes do not fit.
    public func inputTokens(_ batch: FAMAEBatch) throws -> (tokens: Variable, padding: [Bool]) {
        let (b, h, d, j) = (batch.size, configuration.historyLength, configuration.dimension, configuration.fieldCount)
        guard batch.history.count == b * h else {
            throw FAMAEError(.invalidInput, "history has \(batch.history.count) slots, expected \(b) x \(h)")
        }
        try batch.targets.validate(against: configuration)

        // History tokens are fixed per item (never masked): embed each distinct item once.
        var distinct: [Int32] = []
        var slotOf: [Int32: Int] = [:]
        var historyRows = [Int](repeating: -1, count: b * h)
        for (slot, item) in batch.history.enumerated() where item >= 0 {
            guard Int(item) < catalog.count else {
                throw FAMAEError(
                    .invalidInput, "history item \(item) is not in the catalogue of \(catalog.count) items")
            }
            if let known = slotOf[item] {
                historyRows[slot] = known
                continue
            }
            slotOf[item] = distinct.count
            historyRows[slot] = distinct.count
            distinct.append(item)
        }
        var rows = FAMAEItemCodes(fieldCount: j)
        for item in distinct { rows.append(item: Int(item), of: catalog) }
        for target in 0..<b { rows.append(item: target, of: batch.targets) }
        let u = distinct.count

        var historySum: Variable?
        var targetSum: Variable?
        for field in 0..<j {
            let perRow = fieldEmbeddings(field: field, items: rows)
            if u > 0 {
                let part = perRow.slice(axis: 0, range: 0..<u)
                historySum = historySum.map { $0 + part } ?? part
            }
            var target = perRow.slice(axis: 0, range: u..<(u + b))
            let flags = (0..<b).map { batch.masked[$0 * j + field] }
            if flags.contains(true) {
                let row = configuration.fields[field].maskRow
                let maskVector = embeddings[field].slice(axis: 0, range: row..<(row + 1))
                let masked = Variable(Tensor(shape: [b, 1], elements: flags.map { $0 ? 1 : 0 }))
                let kept = Variable(Tensor(shape: [b, 1], elements: flags.map { $0 ? 0 : 1 }))
                target = target * kept + maskVector * masked
            }
            targetSum = targetSum.map { $0 + target } ?? target
        }
        // Padding slots read a zero row appended after the distinct items.
        var historyParts = [Variable(Tensor(zeros: [1, d]))]
        if let historySum { historyParts.insert(historySum, at: 0) }
        let historyTokens = Variable.concat(historyParts, axis: 0)
            .gather(rows: historyRows.map { $0 < 0 ? u : $0 }, indexShape: [b, h])
        let targetTokens = (targetSum ?? Variable(Tensor(zeros: [b, d]))).reshaped([b, 1, d])
        let tokens = Variable.concat([historyTokens, targetTokens], axis: 1) + positions
        let padding = (0..<(b * (h + 1))).map { index in
            let position = index % (h + 1)
            return position < h && historyRows[(index / (h + 1)) * h + position] < 0
        }
        return (tokens, padding)
    }

    /// The final hidden state `h_T` at the target of every sample: `[batch.size, dimension]`.
    ///
    /// Dropout (on the summed input tokens and inside the encoder) is active only in a training
    /// `mode`; ``ForwardMode/inference`` is deterministic.
    /// - Throws: ``FAMAEError/Code/invalidInput`` if history indices or target codes do not fit.
    public func targetStates(_ batch: FAMAEBatch, mode: inout ForwardMode) throws -> Variable {
        let (b, h, d) = (batch.size, configuration.historyLength, configuration.dimension)
        let (tokens, padding) = try inputTokens(batch)
        if batch.history.allSatisfy({ $0 < 0 }) {
            // No sample has history (cold start of a new item): the target attends only to
            // itself and every other position is padding, so running the target position
            // alone gives the same state with 1/(h+1) of the work.
            let target = tokens.slice(axis: 1, range: h..<(h + 1))
            return encoder(mode.dropout(target, rate: configuration.dropout), mode: &mode).reshaped([b, d])
        }
        let x = encoder(mode.dropout(tokens, rate: configuration.dropout), keyPadding: padding, mode: &mode)
        return x.slice(axis: 1, range: h..<(h + 1)).reshaped([b, d])
    }

    /// The vectors GAOQ quantises: for each catalogue item the concatenation of its J field
    /// embeddings (J · dimension values, not normalised), `[catalog.count, J · dimension]`.
    public func itemVectors() -> Tensor {
        GradMode.withoutGrad {
            Variable.concat((0..<configuration.fieldCount).map { fieldEmbeddings(field: $0, items: catalog) }, axis: 1)
                .value
        }
    }

    /// Each catalogue item's fused vector (the sum of its field embeddings, its unmasked token
    /// without position), `[catalog.count, dimension]`, used to rank items for Metric 1.
    public func fusedItemVectors() -> Tensor {
        GradMode.withoutGrad {
            var sum = fieldEmbeddings(field: 0, items: catalog)
            for field in 1..<max(1, configuration.fieldCount) {
                sum = sum + fieldEmbeddings(field: field, items: catalog)
            }
            return sum.value
        }
    }
}
