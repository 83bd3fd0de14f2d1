public import Data
public import Evaluation
public import Foundation
public import Models
public import Tensor

/// SASRec / SASRec* in the shape the ``SequenceTrainer`` trains, and as a full-ranking
/// recommender (every catalogue item scored, the top `k` kept).
public final class TrainableSASRec: SequenceTrainable, SequenceRecommender {
    public let model: SASRecModel

    public init(model: SASRecModel) { self.model = model }

    /// SASRec (no fields) or SASRec* (every non-ID field of `items`) for a prepared catalogue.
    public convenience init(configuration: SASRecConfiguration, items: ItemTable, withFields: Bool, seed: UInt64) throws
    {
        var fields: [SASRecField] = []
        if withFields {
            for (index, field) in items.fields.enumerated() where field.name != ItemTable.itemIDField {
                fields.append(
                    SASRecField(
                        name: field.name, vocabularySize: field.vocabulary.count,
                        codes: (0..<items.count).map { Array(items.codes(field: index, item: $0)) }))
            }
        }
        try self.init(
            model: SASRecModel(configuration: configuration, itemCount: items.count, fields: fields, seed: seed))
    }

    public var name: String { model.name }
    public var parameters: [Parameter] { model.parameters }
    public var parametersWithoutDecay: [Parameter] { model.parametersWithoutDecay }
    public var parameterCount: Int { model.parameterCount }
    public var learnsEveryPosition: Bool { true }

    /// Every position of each window: the history's items each predict the next, the last
    /// predicts the window's target.
    public func loss(
        windows: ArraySlice<SampleReference>, split: LeaveOneOutSplit, mode: inout ForwardMode
    ) throws -> BatchLoss {
        let limit = model.configuration.historyLimit
        let histories = windows.map { split.history($0).suffix(limit) }
        let targets = windows.map { split.everyPositionTargets($0).suffix(limit) }
        try check(histories, targets.flatMap { $0 })
        let count = targets.reduce(0) { $0 + $1.count }
        return BatchLoss(
            loss: model.loss(histories: histories, targets: targets, mode: &mode), tokens: count, targets: count)
    }

    public func replica() throws -> TrainableSASRec {
        let copy = try SASRecModel(
            configuration: model.configuration, itemCount: model.itemCount, fields: model.fields, seed: 0)
        let replica = TrainableSASRec(model: copy)
        replica.copyValues(from: self)
        return replica
    }

    public func recommender() throws -> any SequenceRecommender { self }

    public func saveCheckpoint(to url: URL) throws {
        try SafeTensors.write(
            Dictionary(uniqueKeysWithValues: model.namedParameters().map { ($0.name, $0.parameter.value) }),
            metadata: [
                "format": "resid-sasrec/1",
                "configuration": String(decoding: try JSONEncoder().encode(model.configuration), as: UTF8.self),
            ],
            to: url)
    }

    public func recommend(histories: [ArraySlice<Int32>], k: Int, excluding: [ArraySlice<Int32>]) throws -> [[Int32]] {
        try check(histories, [])
        try check(excluding, [])
        var scores = model.scores(histories: histories)
        let n = model.itemCount
        if !excluding.isEmpty {
            scores.withUnsafeMutableBufferPointer { p in
                for (row, earlier) in excluding.enumerated() {
                    for item in earlier { p[row * n + Int(item)] = -.infinity }
                }
            }
        }
        return scores.withUnsafeBufferPointer { p in
            (0..<histories.count).map { row in Self.topK(p.baseAddress! + row * n, count: n, k: k) }
        }
    }

    /// Indices of the `k` largest scores, best first (ties to the lower index); items scored
    /// `-inf` (left out) never appear.
    static func topK(_ scores: UnsafePointer<Float>, count: Int, k: Int) -> [Int32] {
        var best: [(Float, Int32)] = []
        best.reserveCapacity(k + 1)
        for i in 0..<count {
            let s = scores[i]
            guard s > -.infinity, best.count < k || s > best[best.count - 1].0 else { continue }
            var position = best.count
            while position > 0, best[position - 1].0 < s { position -= 1 }
            best.insert((s, Int32(i)), at: position)
            if best.count > k { best.removeLast() }
        }
        return best.map(\.1)
    }

    private func check<H: Collection>(_ histories: [H], _ targets: [Int32]) throws where H.Element == Int32 {
        if let bad = (targets + histories.joined()).first(where: { $0 < 0 || Int($0) >= model.itemCount }) {
            throw SequenceModelError(
                .invalidInput, "\(name): item \(bad) is outside the catalogue of \(model.itemCount) items")
        }
    }
}
