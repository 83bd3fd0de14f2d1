import Tensor
import Testing

@testable import Tokenizer

@Suite("Hungarian")
struct HungarianTests {
    /// The best matching by trying every injective map from the smaller side.
    static func bruteForce(_ cost: [Double], rows: Int, columns: Int) -> Double {
        let transposed = rows > columns
        let (r, c) = transposed ? (columns, rows) : (rows, columns)
        func at(_ i: Int, _ j: Int) -> Double { transposed ? cost[j * columns + i] : cost[i * columns + j] }
        var best = Double.infinity
        var used = [Bool](repeating: false, count: c)
        func search(_ i: Int, _ sum: Double) {
            if i == r { best = min(best, sum); return }
            for j in 0..<c where !used[j] {
                used[j] = true
                search(i + 1, sum + at(i, j))
                used[j] = false
            }
        }
        search(0, 0)
        return best
    }

    @Test(arguments: [(1, 1), (3, 3), (4, 6), (6, 4), (5, 5), (2, 7), (7, 3), (6, 6)])
    func matchesBruteForce(shape: (Int, Int)) {
        let (rows, columns) = shape
        var rng = SeededRandom(seed: UInt64(rows * 100 + columns))
        for _ in 0..<20 {
            // Small integers force many ties, the case most likely to break potentials.
            let cost = (0..<(rows * columns)).map { _ in Double(rng.int(below: 10)) - 3 }
            let matching = Hungarian.minimize(cost: cost, rows: rows, columns: columns)
            #expect(abs(matching.cost - Self.bruteForce(cost, rows: rows, columns: columns)) < 1e-9)
            let used = matching.columnForRow.filter { $0 >= 0 }
            #expect(used.count == min(rows, columns))
            #expect(Set(used).count == used.count)
        }
    }

    @Test func maximiseFindsTheLargestTotal() {
        // Greedy would take 0.9 first and end with 1.0; the optimum is 0.8 + 0.85.
        let score: [Double] = [0.9, 0.8, 0.85, 0.1]
        let matching = Hungarian.maximize(score: score, rows: 2, columns: 2)
        #expect(matching.columnForRow == [1, 0])
        #expect(abs(matching.cost - 1.65) < 1e-12)
    }
}
