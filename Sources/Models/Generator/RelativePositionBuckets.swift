#if canImport(Glibc)
import Glibc
#else
import Darwin
#endif

/// T5 v1.0 relative-position bucketing: maps `key − query` distances to a small number of
/// buckets, exact for short distances and logarithmic up to `maxDistance`, beyond which every
/// distance shares the last bucket.
///
/// Bidirectional (encoder) tables spend half the buckets on keys after the query; causal
/// (decoder) tables only see keys at or before the query and use every bucket for those.
public struct RelativePositionBuckets: Sendable, Equatable, Codable {
    /// Number of buckets (32 in T5).
    public let count: Int
    /// Distance at which the logarithmic buckets end (128 in T5).
    public let maxDistance: Int
    /// True for the encoder, false for the causal decoder.
    public let bidirectional: Bool

    public init(count: Int = 32, maxDistance: Int = 128, bidirectional: Bool) {
        precondition(
            count >= 4 && maxDistance >= count,
            "RelativePositionBuckets: need at least 4 buckets and maxDistance >= buckets")
        self.count = count
        self.maxDistance = maxDistance
        self.bidirectional = bidirectional
    }

    /// The bucket of a key at `relative = keyPosition − queryPosition`.
    public func bucket(_ relative: Int) -> Int {
        var buckets = count
        var result = 0
        var n: Int
        if bidirectional {
            buckets /= 2
            if relative > 0 { result += buckets }
            n = abs(relative)
        } else {
            n = max(-relative, 0)
        }
        let maxExact = buckets / 2
        if n < maxExact { return result + n }
        let scaled =
            log(Double(n) / Double(maxExact)) / log(Double(maxDistance) / Double(maxExact)) * Double(buckets - maxExact)
        return result + min(maxExact + Int(scaled), buckets - 1)
    }

    /// Buckets for queries at `queryPositions` against keys `0 ..< keyLength`, row-major
    /// `[queries, keyLength]`.
    public func table(queryPositions: Range<Int>, keyLength: Int) -> [Int] {
        var out: [Int] = []
        out.reserveCapacity(queryPositions.count * keyLength)
        for q in queryPositions {
            for k in 0..<keyLength { out.append(bucket(k - q)) }
        }
        return out
    }
}
