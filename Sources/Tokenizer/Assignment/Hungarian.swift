/// The Hungarian algorithm (Kuhn–Munkres with potentials) for rectangular cost matrices.
///
/// Solves `min sum cost[i][column(i)]` over one-to-one matchings that cover the smaller side, in
/// `O(r^2 c)` time for `r <= c` (the matrix is transposed internally when it has more rows than
/// columns). Costs are `Double` so that the large offsets of replicated-slot formulations stay exact.
public enum Hungarian {
    /// A solved matching.
    public struct Matching: Sendable, Equatable {
        /// `columnForRow[i]` is the column matched to row `i`, or `-1` when the matrix has more rows
        /// than columns and row `i` is left out.
        public var columnForRow: [Int]
        /// The sum of the matched costs.
        public var cost: Double
    }

    /// The minimum-cost matching of a `rows x columns` matrix stored row-major in `cost`.
    ///
    /// - Important: `cost.count` must equal `rows * columns`; entries must be finite.
    public static func minimize(cost: [Double], rows: Int, columns: Int) -> Matching {
        precondition(cost.count == rows * columns, "Hungarian: \(cost.count) costs for a \(rows) x \(columns) matrix")
        guard rows > 0, columns > 0 else { return Matching(columnForRow: Array(repeating: -1, count: rows), cost: 0) }
        if rows <= columns {
            let columnForRow = solve(rows: rows, columns: columns) { cost[$0 * columns + $1] }
            return Matching(columnForRow: columnForRow, cost: total(cost, columns, columnForRow))
        }
        // More rows than columns: match every column to a distinct row on the transpose.
        let rowForColumn = solve(rows: columns, columns: rows) { cost[$1 * columns + $0] }
        var columnForRow = Array(repeating: -1, count: rows)
        for (column, row) in rowForColumn.enumerated() { columnForRow[row] = column }
        return Matching(columnForRow: columnForRow, cost: total(cost, columns, columnForRow))
    }

    /// The maximum-total matching (for example of cosine similarities).
    public static func maximize(score: [Double], rows: Int, columns: Int) -> Matching {
        var matching = minimize(cost: score.map { -$0 }, rows: rows, columns: columns)
        matching.cost = -matching.cost
        return matching
    }

    private static func total(_ cost: [Double], _ columns: Int, _ columnForRow: [Int]) -> Double {
        var sum = 0.0
        for (row, column) in columnForRow.enumerated() where column >= 0 { sum += cost[row * columns + column] }
        return sum
    }

    /// Shortest augmenting paths with row/column potentials; requires `rows <= columns`.
    /// Arrays are 1-based with index 0 as the virtual start column.
    private static func solve(rows n: Int, columns m: Int, cost: (Int, Int) -> Double) -> [Int] {
        var u = [Double](repeating: 0, count: n + 1)
        var v = [Double](repeating: 0, count: m + 1)
        var rowOfColumn = [Int](repeating: 0, count: m + 1)
        var way = [Int](repeating: 0, count: m + 1)
        var minv = [Double](repeating: 0, count: m + 1)
        var used = [Bool](repeating: false, count: m + 1)
        for i in 1...n {
            rowOfColumn[0] = i
            var j0 = 0
            for j in 0...m {
                minv[j] = .infinity
                used[j] = false
            }
            repeat {
                used[j0] = true
                let i0 = rowOfColumn[j0]
                var delta = Double.infinity
                var j1 = 0
                for j in 1...m where !used[j] {
                    let reduced = cost(i0 - 1, j - 1) - u[i0] - v[j]
                    if reduced < minv[j] {
                        minv[j] = reduced
                        way[j] = j0
                    }
                    if minv[j] < delta {
                        delta = minv[j]
                        j1 = j
                    }
                }
                for j in 0...m {
                    if used[j] {
                        u[rowOfColumn[j]] += delta
                        v[j] -= delta
                    } else {
                        minv[j] -= delta
                    }
                }
                j0 = j1
            } while rowOfColumn[j0] != 0
            repeat {
                let j1 = way[j0]
                rowOfColumn[j0] = rowOfColumn[j1]
                j0 = j1
            } while j0 != 0
        }
        var columnForRow = [Int](repeating: -1, count: n)
        for j in 1...m where rowOfColumn[j] != 0 { columnForRow[rowOfColumn[j] - 1] = j - 1 }
        return columnForRow
    }
}
