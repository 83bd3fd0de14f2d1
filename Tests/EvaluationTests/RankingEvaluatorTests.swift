import Data
import Foundation
import Testing

@testable import Evaluation

/// Ranks the catalogue in a fixed order and records the histories it saw.
final class FixedOrderRecommender: SequenceRecommender {
    let name = "fixed-order"
    let order: [Int32]
    var seen: [[Int32]] = []
    init(order: [Int32]) { self.order = order }
    func recommend(histories: [ArraySlice<Int32>], k: Int, excluding: [ArraySlice<Int32>]) throws -> [[Int32]] {
        seen += histories.map(Array.init)
        guard !excluding.isEmpty else { return histories.map { _ in Array(order.prefix(k)) } }
        return excluding.map { earlier in Array(order.lazy.filter { !earlier.contains($0) }.prefix(k)) }
    }
}

@Suite("Ranking evaluator and report")
struct RankingEvaluatorTests {
    /// Three users; the last event is the test target, the one before the validation target.
    static func split() -> LeaveOneOutSplit {
        var log = InteractionLog()
        let sequences: [[Int]] = [[0, 1, 2, 3, 4], [5, 6, 7, 8], [9, 10, 11, 12, 13, 14]]
        var order: Int64 = 0
        for (u, items) in sequences.enumerated() {
            for (t, item) in items.enumerated() {
                log.append(user: "u\(u)", item: item, timestamp: Double(t), sourceOrder: order)
                order += 1
            }
        }
        return LeaveOneOutSplit(sequences: UserSequences(log: log), historyLimit: 3)
    }

    @Test func computesHandCheckedMetricsOnTheTestSplit() throws {
        // Test targets: 4, 8, 14. Order puts 4 at rank 0, 8 at rank 6, 14 nowhere in the top 10.
        let model = FixedOrderRecommender(order: [4, 20, 21, 22, 23, 24, 8, 25, 26, 27, 14])
        let outcome = try RankingEvaluator(split: Self.split(), batchSize: 2).evaluate(model, on: .test)
        #expect(outcome.users == 3)
        #expect(outcome.metrics["recall@5"] == 1.0 / 3)
        #expect(outcome.metrics["recall@10"] == 2.0 / 3)
        #expect(abs(outcome.metrics["ndcg@5"]! - 1.0 / 3) < 1e-12)
        #expect(abs(outcome.metrics["ndcg@10"]! - (1 + 1 / log2(8.0)) / 3) < 1e-12)
        // Histories are the last 3 items before the target, oldest first.
        #expect(model.seen == [[1, 2, 3], [5, 6, 7], [11, 12, 13]])
    }

    @Test func validationUsesTheSecondLastEventAndUserLimit() throws {
        let model = FixedOrderRecommender(order: [3, 7])
        let outcome = try RankingEvaluator(split: Self.split(), userLimit: 2).evaluate(model, on: .validation)
        #expect(outcome.users == 2)
        #expect(outcome.metrics["recall@5"] == 1)
        #expect(abs(outcome.metrics["ndcg@5"]! - (1 + 1 / log2(3.0)) / 2) < 1e-12)
        #expect(model.seen == [[0, 1, 2], [5, 6]])
    }

    @Test func excludingHistoryLeavesEveryEarlierItemOutNotOnlyTheReadHistory() throws {
        // User 0's test target 4 follows 0, 1, 2, 3; the model reads only [1, 2, 3] but item 0 is
        // left out too, so 4 moves from rank 4 to rank 0.
        let model = FixedOrderRecommender(order: [0, 1, 2, 3, 4])
        let kept = try RankingEvaluator(split: Self.split(), userLimit: 1).evaluate(model, on: .test)
        let excluded = try RankingEvaluator(split: Self.split(), userLimit: 1, excludeHistory: true).evaluate(
            model, on: .test)
        #expect(kept.metrics["recall@5"] == 1 && kept.metrics["ndcg@5"]! < 0.5)
        #expect(excluded.metrics["ndcg@5"] == 1)
        #expect(model.seen == [[1, 2, 3], [1, 2, 3]])
    }

    @Test func mostPopularSkipsEachUsersEarlierItems() throws {
        let split = Self.split()
        let popular = MostPopular(split: split)
        let earlier: [ArraySlice<Int32>] = [popular.ranking.prefix(2), []]
        let top = try popular.recommend(histories: [[], []], k: 3, excluding: earlier)
        #expect(top[0] == Array(popular.ranking[2..<5]))
        #expect(top[1] == Array(popular.ranking.prefix(3)))
    }

    @Test func reportRendersEveryRowAndFlagsSyntheticData() throws {
        var report = ResultsReport(title: "T", environment: "2 cores")
        report.rows.append(
            .init(
                model: "sasrec", tokenizer: "-", dataset: "ml-100k", synthetic: false, configuration: "d128|2L",
                trainSeconds: 12.4, epochs: 1.5, split: "test", users: 943,
                metrics: ["recall@5": 0.05, "recall@10": 0.1, "ndcg@5": 0.03, "ndcg@10": 0.04]))
        report.rows.append(
            .init(
                model: "resid-generator", tokenizer: "gaoq", dataset: "synthetic-1k", synthetic: true,
                configuration: "beam 50",
                trainSeconds: 3, epochs: 1, split: "test", users: 10, metrics: ["recall@10": 0.2],
                notes: "stopped by time budget"))
        let markdown = report.markdown
        #expect(
            markdown.contains(
                "| sasrec | - | ml-100k | d128\\|2L | 12 | 1.50 | test | 943 | 0.0500 | 0.1000 | 0.0300 | 0.0400 |"))
        #expect(markdown.contains("synthetic-1k (synthetic)"))
        #expect(markdown.contains("**Rows marked (synthetic) use generated data"))
        #expect(markdown.contains("| 0.2000 | - | - |"))
        #expect(markdown.contains("stopped by time budget"))
        let decoded = try JSONDecoder().decode(ResultsReport.self, from: JSONEncoder().encode(report))
        #expect(decoded.rows.count == 2 && decoded.rows[1].metrics["recall@10"] == 0.2)
    }
}
