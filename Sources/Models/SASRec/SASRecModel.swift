import Foundation
public import Tensor

/// SASRec (Kang & McAuley 2018) as an ID-only baseline, and SASRec*: the same model whose item
/// representation is the ID embedding plus the item's field embeddings (a multi-valued field
/// contributes the mean of its values' embeddings).
///
/// A window's items are left-aligned: position `j` is the `j`-th item of the window and the
/// learned position embedding counts from the window's start. Causal pre-LN Transformer blocks
/// read the sequence and a final LayerNorm follows; the state at position `j` scores every
/// catalogue item by a dot product with the same item representations the input uses (tied).
/// Training, as in the original, learns every position of a window in one causal pass
/// (full-softmax cross-entropy of each next item): with causal attention and positions counted
/// from the start, position `j`'s state is exactly what inference computes for the prefix
/// `0 ... j`, so one window of 32 items teaches 32 next items.
public final class SASRecModel: Layer, @unchecked Sendable {
    public let configuration: SASRecConfiguration
    /// Catalogue size.
    public let itemCount: Int
    /// The fields SASRec* adds (empty for SASRec).
    public let fields: [SASRecField]

    let idEmbedding: Parameter
    let fieldEmbeddings: [Parameter]
    let positions: Parameter
    let blocks: [TransformerEncoderBlock]
    let finalNorm: LayerNorm
    /// For a multi-valued field, the `[items, vocabulary]` averaging matrix of its values.
    private let fieldAverages: [Tensor?]

    /// - Parameters:
    ///   - itemCount: items in the catalogue (indices `0..<itemCount`).
    ///   - fields: the fields SASRec* sums in (pass none for SASRec).
    /// - Throws: ``SequenceModelError`` for invalid sizes or field codes.
    public init(configuration: SASRecConfiguration, itemCount: Int, fields: [SASRecField] = [], seed: UInt64) throws {
        try configuration.validate()
        guard itemCount >= 1 else { throw SequenceModelError(.invalidInput, "SASRec: the catalogue is empty") }
        for field in fields {
            guard field.codes.count == itemCount else {
                throw SequenceModelError(
                    .invalidInput,
                    "SASRec*: field \(field.name) has codes for \(field.codes.count) items, the catalogue has \(itemCount)"
                )
            }
            if let bad = field.codes.joined().first(where: { $0 < 0 || Int($0) >= field.vocabularySize }) {
                throw SequenceModelError(
                    .invalidInput, "SASRec*: field \(field.name) code \(bad) outside 0..<\(field.vocabularySize)")
            }
        }
        self.configuration = configuration
        self.itemCount = itemCount
        self.fields = fields
        let d = configuration.width
        var random = SeededRandom(seed: seed)
        func normal(_ rows: Int, std: Float = 0.02) -> Parameter {
            .parameter(Tensor(shape: [rows, d], elements: (0..<(rows * d)).map { _ in std * random.normal() }))
        }
        idEmbedding = normal(itemCount)
        fieldEmbeddings = fields.map { normal($0.vocabularySize) }
        positions = normal(configuration.historyLimit)
        blocks = (0..<configuration.layers).map { _ in
            TransformerEncoderBlock(
                .init(
                    width: d, heads: configuration.heads, feedForwardWidth: configuration.feedForwardWidth,
                    dropout: configuration.dropout), rng: &random)
        }
        finalNorm = LayerNorm(width: d)
        fieldAverages = fields.map { field in
            guard field.codes.contains(where: { $0.count != 1 }) else { return nil }
            var matrix = Tensor(zeros: [itemCount, field.vocabularySize])
            matrix.withUnsafeMutableBufferPointer { p in
                for (item, codes) in field.codes.enumerated() {
                    let values = codes.filter { $0 != 0 }
                    for v in values { p[item * field.vocabularySize + Int(v)] += 1 / Float(values.count) }
                }
            }
            return matrix
        }
    }

    /// A short name: `sasrec` or `sasrec*`.
    public var name: String { fields.isEmpty ? "sasrec" : "sasrec*" }

    public func namedParameters() -> [(name: String, parameter: Parameter)] {
        var out: [(name: String, parameter: Parameter)] = [
            ("item_id.embedding", idEmbedding), ("positions", positions),
        ]
        for (field, table) in zip(fields, fieldEmbeddings) { out.append(("field.\(field.name).embedding", table)) }
        for (i, block) in blocks.enumerated() { out += prefixed("block.\(i)", block) }
        return out + prefixed("final_norm", finalNorm)
    }

    /// Every item's representation, `[items, d]`: ID embedding plus field embeddings.
    func itemVectors() -> Variable {
        var vectors: Variable = idEmbedding
        for (index, field) in fields.enumerated() {
            if let average = fieldAverages[index] {
                vectors = vectors + Variable.matmul(Variable(average), fieldEmbeddings[index])
            } else {
                vectors = vectors + fieldEmbeddings[index].gather(rows: field.codes.map { Int($0[0]) })
            }
        }
        return vectors
    }

    /// Every position's state, `[histories · length, d]` with `length` the longest kept history,
    /// histories left-aligned (row `r`'s position `j` is row `r · length + j`).
    func states<H: Collection>(
        _ histories: [H], items: Variable, mode: inout ForwardMode
    ) -> (states: Variable, length: Int) where H.Element == Int32 {
        let d = configuration.width
        let limit = configuration.historyLimit
        let length = max(1, histories.map { min($0.count, limit) }.max() ?? 1)
        let n = histories.count
        var indices = [Int](repeating: 0, count: n * length)
        var padding = [Bool](repeating: true, count: n * length)
        for (row, history) in histories.enumerated() {
            for (offset, item) in history.suffix(min(history.count, limit)).enumerated() {
                indices[row * length + offset] = Int(item) + 1
                padding[row * length + offset] = false
            }
        }
        // Row 0 of the lookup table is the padding vector (zeros, no gradient).
        let table = Variable.concat([Variable(Tensor(zeros: [1, d])), items], axis: 0)
        let position = (0..<(n * length)).map { $0 % length }
        var x =
            table.gather(rows: indices, indexShape: [n, length]) * Float(d).squareRoot()
            + positions.gather(rows: position, indexShape: [n, length])
        x = mode.dropout(x, rate: configuration.dropout)
        // Padding trails each row, so causal attention alone keeps real positions from seeing it.
        for block in blocks { x = block(x, causal: true, mode: &mode) }
        return (finalNorm(x).reshaped([n * length, d]), length)
    }

    /// Mean full-softmax cross-entropy over every position of every window: `targets[r][j]` is
    /// the item that follows position `j` of history `r` (the next history item, then the
    /// window's target).
    /// - Precondition: `targets[r].count` equals the kept length of history `r`.
    public func loss<H: Collection, T: Collection>(histories: [H], targets: [T], mode: inout ForwardMode) -> Variable
    where H.Element == Int32, T.Element == Int32 {
        let items = itemVectors()
        let (states, length) = states(histories, items: items, mode: &mode)
        var rows: [Int] = []
        var labels: [Int] = []
        for (row, next) in targets.enumerated() {
            precondition(
                next.count == min(histories[row].count, configuration.historyLimit),
                "SASRec.loss: \(next.count) targets for a history of \(histories[row].count)")
            for (offset, target) in next.enumerated() {
                rows.append(row * length + offset)
                labels.append(Int(target))
            }
        }
        return Variable.matmul(states.gather(rows: rows), items, transposeB: true).crossEntropy(targets: labels)
    }

    /// The last position's state for each history, `[histories, d]`.
    func lastStates<H: Collection>(_ histories: [H], items: Variable, mode: inout ForwardMode) -> Variable
    where H.Element == Int32 {
        let (states, length) = states(histories, items: items, mode: &mode)
        let limit = configuration.historyLimit
        return states.gather(
            rows: histories.enumerated().map { $0.offset * length + max(0, min($0.element.count, limit) - 1) })
    }

    /// Scores of every item for each history, `[histories, items]` (no dropout, no gradients).
    public func scores<H: Collection>(histories: [H]) -> Tensor where H.Element == Int32 {
        GradMode.withoutGrad {
            var mode = ForwardMode.inference
            let items = itemVectors()
            return Variable.matmul(lastStates(histories, items: items, mode: &mode), items, transposeB: true).value
        }
    }
}
