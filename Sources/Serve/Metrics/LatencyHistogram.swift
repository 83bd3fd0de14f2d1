/// A Prometheus histogram over fixed latency buckets (seconds).
public struct LatencyHistogram: Sendable, Equatable {
    /// Upper bounds of the buckets, seconds (the `+Inf` bucket is implicit).
    public static let bounds: [Double] = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10]

    /// Observations per bucket (not cumulative); the last entry is `+Inf`.
    public private(set) var counts = [UInt64](repeating: 0, count: LatencyHistogram.bounds.count + 1)
    /// Sum of the observations, seconds.
    public private(set) var sum = 0.0
    /// Number of observations.
    public private(set) var count: UInt64 = 0

    /// An empty histogram.
    public init() {}

    /// Records one observation (negative and non-finite values count as 0).
    public mutating func observe(_ seconds: Double) {
        let value = seconds.isFinite ? max(seconds, 0) : 0
        var bucket = Self.bounds.count
        for (index, bound) in Self.bounds.enumerated() where value <= bound {
            bucket = index
            break
        }
        counts[bucket] += 1
        sum += value
        count += 1
    }

    /// Appends the histogram's lines (`_bucket` cumulative, `_sum`, `_count`).
    func render(name: String, labels: String, into text: inout String) {
        var running: UInt64 = 0
        let prefix = labels.isEmpty ? "" : labels + ","
        for (index, bound) in Self.bounds.enumerated() {
            running += counts[index]
            text += "\(name)_bucket{\(prefix)le=\"\(bound)\"} \(running)\n"
        }
        running += counts[Self.bounds.count]
        text += "\(name)_bucket{\(prefix)le=\"+Inf\"} \(running)\n"
        let braces = labels.isEmpty ? "" : "{\(labels)}"
        text += "\(name)_sum\(braces) \(sum)\n"
        text += "\(name)_count\(braces) \(count)\n"
    }
}
