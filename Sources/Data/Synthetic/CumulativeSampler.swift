import Tensor

/// Draws indices with probability proportional to weights, by binary search over prefix sums;
/// ``sample(in:using:)`` draws within a contiguous range, which is how grouped items (sorted by
/// group) are drawn within one group.
struct CumulativeSampler: Sendable {
    /// `prefix[i]` is the sum of the first `i` weights.
    private let prefix: [Double]

    init(weights: [Double]) {
        var prefix = [Double](repeating: 0, count: weights.count + 1)
        for (index, weight) in weights.enumerated() { prefix[index + 1] = prefix[index] + max(0, weight) }
        self.prefix = prefix
    }

    /// Total weight of `range`.
    func weight(of range: Range<Int>) -> Double { prefix[range.upperBound] - prefix[range.lowerBound] }

    /// An index in `range` drawn by weight (uniform if the range has no weight).
    func sample(in range: Range<Int>, using random: inout SeededRandom) -> Int {
        let total = weight(of: range)
        guard total > 0 else { return range.lowerBound + random.int(below: range.count) }
        let target = prefix[range.lowerBound] + random.nextDouble() * total
        var low = range.lowerBound, high = range.upperBound - 1
        while low < high {
            let middle = (low + high) / 2
            if prefix[middle + 1] <= target { low = middle + 1 } else { high = middle }
        }
        return low
    }

    /// An index among all weights, drawn by weight.
    func sample(using random: inout SeededRandom) -> Int {
        sample(in: 0..<(prefix.count - 1), using: &random)
    }
}
