public import Tensor

/// Balanced assignment of `n` items to `k` clusters: every cluster receives `floor(n/k)` or
/// `ceil(n/k)` items and the total squared distance is minimal.
///
/// Two solvers share one contract:
/// - ``exact(distances:)`` is the textbook reduction to a rectangular assignment problem: each
///   cluster is replicated into `ceil(n/k)` slots, the first `floor(n/k)` of them made mandatory by a
///   large negative offset, and the Hungarian algorithm matches items to slots. `O(n^2 * k * ceil(n/k))`:
///   only for small cases and for checking the fast solver.
/// - ``fast(distances:warmStart:)`` starts from a feasible assignment (the previous k-means
///   iteration's, or a greedy pass that places items with the most to lose first) and then cancels
///   negative cycles in a graph over the `k` clusters plus a slack node. The edge `a -> b` costs
///   `min over items i in a of d(i,b) - d(i,a)` (the cheapest single move), and the slack node links
///   clusters that may shrink (`ceil` size) or grow (`floor` size). This graph is the min-cost-flow
///   residual graph with the items contracted away, so a negative cycle in it is an improving
///   exchange that keeps every size legal, and when none is left the assignment is optimal (up to
///   the tolerance used to ignore float noise). Each round costs `O(k^2)` Bellman–Ford steps plus
///   `O(|a| * k)` to refresh the rows of clusters that changed, instead of a flow over `n * k` edges.
public enum CapacitatedAssignment {
    /// The legal cluster sizes for `n` items in `k` clusters: `lower = floor(n/k)`, and `upper` is
    /// `lower + 1` when `k` does not divide `n`, else `lower`.
    public static func sizeBounds(items n: Int, clusters k: Int) -> (lower: Int, upper: Int) {
        let lower = n / k
        return (lower, n % k == 0 ? lower : lower + 1)
    }

    /// The total distance `sum d(i, assignment[i])` of an assignment, in `Double`.
    public static func objective(distances: Tensor, assignment: [Int]) -> Double {
        let k = distances.shape[1]
        return distances.withUnsafeBufferPointer { d in
            var sum = 0.0
            for (i, c) in assignment.enumerated() { sum += Double(d[i * k + c]) }
            return sum
        }
    }

    /// Whether every cluster of `assignment` has a legal size.
    public static func isBalanced(_ assignment: [Int], clusters k: Int) -> Bool {
        let (lower, upper) = sizeBounds(items: assignment.count, clusters: k)
        var sizes = [Int](repeating: 0, count: k)
        for c in assignment {
            guard c >= 0, c < k else { return false }
            sizes[c] += 1
        }
        return sizes.allSatisfy { $0 >= lower && $0 <= upper }
    }

    /// The optimal balanced assignment by the Hungarian algorithm on replicated cluster slots.
    ///
    /// - Parameter distances: `[n, k]` squared distances, `n >= 1`, `k >= 1`.
    /// - Returns: the cluster of each item.
    public static func exact(distances: Tensor) -> [Int] {
        let (n, k) = (distances.shape[0], distances.shape[1])
        let (lower, upper) = sizeBounds(items: n, clusters: k)
        let d = distances.elements.map(Double.init)
        let spread = (d.max() ?? 0) - (d.min() ?? 0)
        // Leaving a mandatory slot empty must cost more than any rearrangement can save.
        let mandatoryBonus = spread * Double(n) + 1
        let columns = k * upper
        var cost = [Double](repeating: 0, count: n * columns)
        for i in 0..<n {
            for c in 0..<k {
                for slot in 0..<upper {
                    cost[i * columns + c * upper + slot] = d[i * k + c] - (slot < lower ? mandatoryBonus : 0)
                }
            }
        }
        let matching = Hungarian.minimize(cost: cost, rows: n, columns: columns)
        return matching.columnForRow.map { $0 / upper }
    }

    /// A balanced assignment by negative-cycle cancelling from a feasible start (see the type's
    /// documentation).
    ///
    /// - Parameters:
    ///   - distances: `[n, k]` squared distances.
    ///   - warmStart: a balanced assignment to improve (ignored when it is not balanced); `nil`
    ///     starts from the greedy pass.
    ///   - relativeTolerance: cycles that gain less than this share of the mean assigned distance
    ///     are float noise and are not cancelled.
    /// - Returns: the cluster of each item.
    public static func fast(distances: Tensor, warmStart: [Int]? = nil, relativeTolerance: Double = 1e-7) -> [Int] {
        let n = distances.shape[0]
        let k = distances.shape[1]
        var start: [Int]
        if let warmStart, warmStart.count == n, isBalanced(warmStart, clusters: k) {
            start = warmStart
        } else {
            start = greedyStart(distances: distances)
        }
        guard k > 1 else { return start }
        return distances.withUnsafeBufferPointer { d in
            var state = CycleCanceller(d: d, n: n, k: k, assignment: start, relativeTolerance: relativeTolerance)
            state.run()
            return state.assignment
        }
    }

    /// A feasible start: items in decreasing order of regret (second-best minus best distance) each
    /// take their nearest cluster that still has room. Public so benchmarks can show what the
    /// cycle cancelling adds.
    public static func greedyStart(distances: Tensor) -> [Int] {
        let (n, k) = (distances.shape[0], distances.shape[1])
        let (lower, upper) = sizeBounds(items: n, clusters: k)
        let extra = n - lower * k
        return distances.withUnsafeBufferPointer { d in
            var regret = [Float](repeating: 0, count: n)
            for i in 0..<n {
                var best = Float.infinity, second = Float.infinity
                for c in 0..<k {
                    let v = d[i * k + c]
                    if v < best { second = best; best = v } else if v < second { second = v }
                }
                regret[i] = k > 1 ? second - best : 0
            }
            let order = (0..<n).sorted { regret[$0] != regret[$1] ? regret[$0] > regret[$1] : $0 < $1 }
            var sizes = [Int](repeating: 0, count: k)
            var atUpper = 0
            var assignment = [Int](repeating: 0, count: n)
            for i in order {
                var best = -1
                var bestValue = Float.infinity
                for c in 0..<k {
                    let hasRoom = sizes[c] < lower || (sizes[c] < upper && atUpper < extra)
                    if hasRoom, best < 0 || d[i * k + c] < bestValue {
                        best = c
                        bestValue = d[i * k + c]
                    }
                }
                assignment[i] = best
                sizes[best] += 1
                if upper > lower, sizes[best] == upper { atUpper += 1 }
            }
            return assignment
        }
    }
}

/// The working state of ``CapacitatedAssignment/fast(distances:warmStart:relativeTolerance:)``.
private struct CycleCanceller {
    let d: UnsafeBufferPointer<Float>
    let n: Int, k: Int
    let lower: Int, upper: Int
    var assignment: [Int]
    var members: [[Int]]
    var position: [Int]
    /// `moveCost[a * k + b]`: cheapest move of one item from cluster a to b; `bestItem` is that item.
    var moveCost: [Double]
    var bestItem: [Int]
    let tolerance: Double

    init(d: UnsafeBufferPointer<Float>, n: Int, k: Int, assignment: [Int], relativeTolerance: Double) {
        self.d = d
        self.n = n
        self.k = k
        (lower, upper) = CapacitatedAssignment.sizeBounds(items: n, clusters: k)
        self.assignment = assignment
        members = Array(repeating: [], count: k)
        position = Array(repeating: 0, count: n)
        var total = 0.0
        for (i, c) in assignment.enumerated() {
            position[i] = members[c].count
            members[c].append(i)
            total += Double(d[i * k + c])
        }
        tolerance = max(relativeTolerance * total / Double(max(n, 1)), 1e-30)
        moveCost = Array(repeating: .infinity, count: k * k)
        bestItem = Array(repeating: -1, count: k * k)
        for a in 0..<k { refreshRow(a) }
    }

    mutating func refreshRow(_ a: Int) {
        for b in 0..<k where b != a { refreshEntry(a, b) }
    }

    /// Recomputes `moveCost[a * k + b]` over the members of `a`.
    mutating func refreshEntry(_ a: Int, _ b: Int) {
        var best = Float.infinity
        var item = -1
        for i in members[a] {
            let gain = d[i * k + b] - d[i * k + a]
            if gain < best {
                best = gain
                item = i
            }
        }
        moveCost[a * k + b] = Double(best)
        bestItem[a * k + b] = item
    }

    /// Moves `item` from `a` to `b` and updates the affected move costs incrementally: the item
    /// may become `b`'s cheapest mover towards any cluster (`O(k)`), and entries of `a` it was the
    /// cheapest mover for are recomputed over `a`'s members.
    mutating func move(_ item: Int, from a: Int, to b: Int) {
        let p = position[item]
        let last = members[a].removeLast()
        if last != item {
            members[a][p] = last
            position[last] = p
        }
        position[item] = members[b].count
        members[b].append(item)
        assignment[item] = b

        let row = d.baseAddress! + item * k
        let base = row[b]
        for c in 0..<k where c != b {
            let gain = Double(row[c] - base)
            if gain < moveCost[b * k + c] {
                moveCost[b * k + c] = gain
                bestItem[b * k + c] = item
            }
        }
        for c in 0..<k where c != a && bestItem[a * k + c] == item { refreshEntry(a, c) }
    }

    /// Bellman–Ford from a virtual source over the clusters plus a slack node; whenever the parent
    /// pointers close a cycle (always a negative one), cancel every such cycle and start again.
    mutating func run() {
        let slack = k
        let nodes = k + 1
        var dist = [Double](repeating: 0, count: nodes)
        var parent = [Int](repeating: -1, count: nodes)
        var stamp = [Int](repeating: -1, count: nodes)
        while true {
            for v in 0..<nodes {
                dist[v] = 0
                parent[v] = -1
            }
            var cancelled = false
            for _ in 0...nodes {
                var changed = false
                for u in 0..<k {
                    let du = dist[u]
                    let row = u * k
                    for v in 0..<k where v != u {
                        let candidate = du + moveCost[row + v]
                        if candidate < dist[v] - tolerance {
                            dist[v] = candidate
                            parent[v] = u
                            changed = true
                        }
                    }
                    if members[u].count < upper, du < dist[slack] - tolerance {
                        dist[slack] = du
                        parent[slack] = u
                        changed = true
                    }
                }
                for v in 0..<k where members[v].count > lower && dist[slack] < dist[v] - tolerance {
                    dist[v] = dist[slack]
                    parent[v] = slack
                    changed = true
                }
                if !changed { break }
                if cancelCycles(parent: parent, stamp: &stamp) {
                    cancelled = true
                    break
                }
            }
            if !cancelled { return }
        }
    }

    /// Cancels every cycle of the parent graph (cycles of a functional graph are disjoint).
    /// - Returns: whether any cycle was cancelled.
    mutating func cancelCycles(parent: [Int], stamp: inout [Int]) -> Bool {
        let slack = k
        for v in stamp.indices { stamp[v] = -1 }
        var any = false
        for start in 0..<(k + 1) {
            var x = start
            while x >= 0 && stamp[x] == -1 {
                stamp[x] = start
                x = parent[x]
            }
            guard x >= 0, stamp[x] == start else { continue }
            // x lies on a new cycle: collect the edges parent[v] -> v around it.
            var cycle: [Int] = []
            var v = x
            repeat {
                cycle.append(v)
                v = parent[v]
            } while v != x
            var weight = 0.0
            for v in cycle where v != slack && parent[v] != slack { weight += moveCost[parent[v] * k + v] }
            guard weight < -tolerance else { continue }
            let moves = cycle.compactMap { v -> (item: Int, from: Int, to: Int)? in
                let u = parent[v]
                guard u != slack, v != slack else { return nil }
                return (bestItem[u * k + v], u, v)
            }
            for m in moves { move(m.item, from: m.from, to: m.to) }
            any = true
        }
        return any
    }
}
