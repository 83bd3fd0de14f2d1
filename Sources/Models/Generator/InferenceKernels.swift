#if canImport(Glibc)
import Glibc
#else
import Darwin
#endif
import Tensor

/// A float buffer that only grows: inference workspaces size it on the first call and reuse it,
/// so the steady state allocates nothing.
final class GrowingBuffer {
    private var storage = AlignedStorage(uninitializedCount: 0)

    /// At least `count` floats (contents undefined after a growth).
    @inline(__always)
    func reserve(_ count: Int) -> UnsafeMutablePointer<Float> {
        if storage.count < count { storage = AlignedStorage(uninitializedCount: count) }
        return storage.address
    }

    /// The current buffer (valid up to the last reserved size).
    var address: UnsafeMutablePointer<Float> { storage.address }
}

/// The raw kernels of the generator's inference path.
enum InferenceKernels {
    /// `y[r] = x[r] / rms(x[r])` for `rows` rows of `width` (the gain is folded into the next
    /// weight matrix).
    static func normalise(_ x: UnsafePointer<Float>, into y: UnsafeMutablePointer<Float>, rows: Int, width: Int, epsilon: Float) {
        for r in 0..<rows {
            let (source, target) = (x + r * width, y + r * width)
            var squares: Float = 0
            for j in 0..<width { squares += source[j] * source[j] }
            let inverse = 1 / (squares / Float(width) + epsilon).squareRoot()
            for j in 0..<width { target[j] = source[j] * inverse }
        }
    }

    /// `c = a · b` (`beta` 0) or `c += a · b` (`beta` 1) for row-major `a: [m, k]`, `b: [k, n]`.
    ///
    /// A GEMM packs all of `b` (the weights) on every call, which costs more than the product
    /// itself when `a` has a row or two (the first decoding step has one row per user); such
    /// products go row by row through GEMV, which streams `b` once per row without packing.
    @inline(__always)
    static func multiply(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, into c: UnsafeMutablePointer<Float>, m: Int, k: Int, n: Int, accumulate: Bool = false) {
        let beta: Float = accumulate ? 1 : 0
        if m <= gemvRows {
            for r in 0..<m {
                BLAS.sgemv(transpose: true, rows: k, cols: n, a: b, lda: n, x: a + r * k, beta: beta, y: c + r * n)
            }
        } else {
            BLAS.sgemm(transposeA: false, transposeB: false, m: m, n: n, k: k, a: a, lda: k, b: b, ldb: n, beta: beta, c: c, ldc: n)
        }
    }

    /// Products with at most this many rows use GEMV (measured with `resid bench generator`).
    static let gemvRows = 2

    /// Log-softmax of each of `rows` rows of `width`, in place.
    static func logSoftmax(_ x: UnsafeMutablePointer<Float>, rows: Int, width: Int) {
        for r in 0..<rows {
            let row = x + r * width
            var peak = -Float.infinity
            for j in 0..<width { peak = max(peak, row[j]) }
            var total: Float = 0
            for j in 0..<width { total += expf(row[j] - peak) }
            let shift = peak + logf(total)
            for j in 0..<width { row[j] -= shift }
        }
    }

    static func relu(_ x: UnsafeMutablePointer<Float>, count: Int) {
        for i in 0..<count { x[i] = max(x[i], 0) }
    }

    /// Rows `tokens[i]` of `table` (`[vocabulary, width]`) into consecutive rows of `out`.
    static func gather<C: Collection>(_ table: UnsafePointer<Float>, rows tokens: C, width: Int, into out: UnsafeMutablePointer<Float>) where C.Element: BinaryInteger {
        for (i, token) in tokens.enumerated() {
            (out + i * width).update(from: table + Int(token) * width, count: width)
        }
    }

    /// A matrix read in place: row `i`, head `h` starts at `base + i·rowStride + h·headWidth`
    /// (for a bias, head `h` starts at `base + h·headStride`).
    struct Operand {
        let base: UnsafePointer<Float>
        let rowStride: Int
        var headStride = 0
    }

    /// Multi-head attention `softmax(scale · Q Kᵀ + bias) V` of one sequence, every key visible,
    /// one head's score matrix at a time in `scores` (`queries × keys` floats), heads written
    /// side by side into `out` (`queries` rows of `heads · headWidth`).
    ///
    /// - Parameter bias: per head, `queries × keys` additive scores with row stride
    ///   `bias.rowStride` (so a sequence shorter than the table reads its top-left block).
    static func attend(
        _ q: Operand, _ k: Operand, _ v: Operand, queries: Int, keys: Int, heads: Int, headWidth: Int,
        bias: Operand?, scale: Float, scores: UnsafeMutablePointer<Float>, into out: UnsafeMutablePointer<Float>
    ) {
        let width = heads * headWidth
        for h in 0..<heads {
            let offset = h * headWidth
            BLAS.sgemm(
                transposeA: false, transposeB: true, m: queries, n: keys, k: headWidth, alpha: scale,
                a: q.base + offset, lda: q.rowStride, b: k.base + offset, ldb: k.rowStride, c: scores, ldc: keys)
            for i in 0..<queries {
                let row = scores + i * keys
                if let bias {
                    let source = bias.base + h * bias.headStride + i * bias.rowStride
                    for j in 0..<keys { row[j] += source[j] }
                }
                Tensor.softmaxInPlace(row, count: keys)
            }
            BLAS.sgemm(
                transposeA: false, transposeB: false, m: queries, n: headWidth, k: keys,
                a: scores, lda: keys, b: v.base + offset, ldb: v.rowStride, c: out + offset, ldc: width)
        }
    }

    /// Writes a stack's `[heads, queries, keys]` relative-position bias for query positions
    /// `queries` over keys `0..<keys` from its `[buckets, heads]` table.
    static func relativeBias(
        _ table: UnsafePointer<Float>, buckets: RelativePositionBuckets, heads: Int, queries: Range<Int>, keys: Int,
        into out: UnsafeMutablePointer<Float>
    ) {
        for (i, query) in queries.enumerated() {
            for key in 0..<keys {
                let row = table + buckets.bucket(key - query) * heads
                for h in 0..<heads { out[(h * queries.count + i) * keys + key] = row[h] }
            }
        }
    }
}
