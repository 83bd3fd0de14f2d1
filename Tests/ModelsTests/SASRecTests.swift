import Data
import Evaluation
import Foundation
import Tensor
import Testing
import Training

@testable import Models

@Suite("SASRec baselines")
struct SASRecTests {
    static func tiny() -> SASRecConfiguration {
        var c = SASRecConfiguration()
        c.width = 16
        c.heads = 2
        c.layers = 1
        c.feedForwardWidth = 32
        c.dropout = 0
        return c
    }

    @Test func learnsANextItemRuleWithAndWithoutFields() throws {
        let items = 30
        // Field 1: single-valued category; field 2: a multi-valued set (one or two values).
        let categories: [[Int32]] = (0..<items).map { [Int32($0 % 5 + 1)] }
        let genres: [[Int32]] = (0..<items).map { item -> [Int32] in
            let value = Int32(item % 4 + 1)
            return item % 3 == 0 ? [1, value] : [value]
        }
        let fields = [
            SASRecField(name: "category", vocabularySize: 6, codes: categories),
            SASRecField(name: "genres", vocabularySize: 5, codes: genres),
        ]
        for withFields in [false, true] {
            let model = try SASRecModel(
                configuration: Self.tiny(), itemCount: items, fields: withFields ? fields : [], seed: 2)
            #expect(model.name == (withFields ? "sasrec*" : "sasrec"))
            var random = SeededRandom(seed: 4)
            // Runs of consecutive items: every position's next item is its own index + 1.
            let histories = (0..<48).map { _ in
                let start = random.int(below: items)
                return (0..<(1 + random.int(below: 5))).map { Int32((start + $0) % items) }
            }
            let targets = histories.map { history in history.map { ($0 + 1) % Int32(items) } }
            let optimizer = AdamW(
                parameters: model.parameters, configuration: .init(learningRate: 1e-2, weightDecay: 0))
            var mode = ForwardMode.inference
            let first = model.loss(histories: histories, targets: targets, mode: &mode).value.scalar
            for _ in 0..<60 {
                let loss = model.loss(histories: histories, targets: targets, mode: &mode)
                loss.backward()
                optimizer.step()
                optimizer.zeroGrad()
            }
            let last = model.loss(histories: histories, targets: targets, mode: &mode).value.scalar
            #expect(last < first * 0.5, "loss \(first) -> \(last)")
            // The recommender's top-k is the arg-sort of the model's scores.
            let trainable = TrainableSASRec(model: model)
            let top = try trainable.recommend(histories: histories.prefix(4).map { $0[...] }, k: 5)
            let scores = model.scores(histories: Array(histories.prefix(4))).elements
            for (row, ranking) in top.enumerated() {
                let order: [Int] = (0..<items).sorted { (a: Int, b: Int) -> Bool in
                    scores[row * items + a] > scores[row * items + b]
                }
                #expect(ranking == order.prefix(5).map { Int32($0) })
            }
            // Left-out items drop from the ranking and the next ones move up.
            let excluded = top.map { $0.prefix(2) }
            let cut = try trainable.recommend(histories: histories.prefix(4).map { $0[...] }, k: 3, excluding: excluded)
            #expect(cut == top.map { Array($0[2..<5]) })
            #expect(throws: SequenceModelError.self) { try trainable.recommend(histories: [[Int32(items)]], k: 5) }
        }
    }

    @Test func rejectsFieldsThatDoNotMatchTheCatalogue() {
        #expect(throws: SequenceModelError.self) {
            try SASRecModel(
                configuration: Self.tiny(), itemCount: 3,
                fields: [SASRecField(name: "f", vocabularySize: 2, codes: [[1], [1]])], seed: 1)
        }
        #expect(throws: SequenceModelError.self) {
            try SASRecModel(
                configuration: Self.tiny(), itemCount: 2,
                fields: [SASRecField(name: "f", vocabularySize: 2, codes: [[1], [2]])], seed: 1)
        }
    }
}
