#if canImport(Glibc)
import Glibc
#else
import Darwin
#endif

/// Monotonic wall-clock timing for benchmarks and progress lines.
public struct Stopwatch: Sendable {
    private var start: UInt64

    /// Starts timing now.
    public init() { start = Self.nanoseconds() }

    /// Seconds elapsed since ``init()`` or the last ``restart()``.
    public var elapsed: Double { Double(Self.nanoseconds() &- start) / 1e9 }

    /// Resets the start to now.
    public mutating func restart() { start = Self.nanoseconds() }

    /// The monotonic clock, in nanoseconds.
    public static func nanoseconds() -> UInt64 {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return UInt64(ts.tv_sec) &* 1_000_000_000 &+ UInt64(ts.tv_nsec)
    }
}
