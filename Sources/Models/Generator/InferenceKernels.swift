import Tensor

#if canImport(Glibc)
import Glibc
#else
import Darwin
#endif

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
    static func normalise(
        _ x: UnsafePointer<Float>, into y: UnsafeMutablePointer<Float>, rows: Int, width: Int, epsilon: Float
    ) {
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
    static func multiply(
        _ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, into c: UnsafeMutablePointer<Float>, m: Int, k: Int,
        n: Int, accumulate: Bool = false
    ) {
        let beta: Float = accumulate ? 1 : 0
        if m <= gemvRows {
            for r in 0..<m {
                BLAS.sgemv(transpose: true, rows: k, cols: n, a: b, lda: n, x: a + r * k, beta: beta, y: c + r * n)
            }
        } else {
            BLAS.sgemm(
                transposeA: false, transposeB: false, m: m, n: n, k: k, a: a, lda: k, b: b, ldb: n, beta: beta, c: c,
                ldc: n)
        }
    }

    /// Products with at most this many rows use GEMV (measured with `resid bench generator`).
    static let gemvRows = 2

    /// Softmax of `count` finite floats in place, eight lanes at a time.
    ///
    /// Attention spends more time in `expf` calls than in its score GEMMs at these sizes
    /// (queries × 97 keys × 4 heads per layer); the vector ``exp(_:)`` does eight at once.
    static func softmax(_ row: UnsafeMutablePointer<Float>, count: Int) {
        var peak = -Float.infinity
        for j in 0..<count { peak = max(peak, row[j]) }
        let raw = UnsafeMutableRawPointer(row)
        let shift = SIMD8<Float>(repeating: peak)
        var lanes = SIMD8<Float>()
        var j = 0
        while j + 8 <= count {
            let e = exp(raw.loadUnaligned(fromByteOffset: j * 4, as: SIMD8<Float>.self) - shift)
            raw.storeBytes(of: e, toByteOffset: j * 4, as: SIMD8<Float>.self)
            lanes += e
            j += 8
        }
        var total = lanes.sum()
        while j < count {
            row[j] = expf(row[j] - peak)
            total += row[j]
            j += 1
        }
        let inverse = 1 / total
        for j in 0..<count { row[j] *= inverse }
    }

    /// `e^x` per lane (Cephes' single-precision method: `x = n·ln 2 + r` with `|r| ≤ ln 2 / 2`,
    /// a degree-7 polynomial for `e^r`, and `2^n` built in the exponent bits), within a few ulp
    /// of `expf` for `x` in `[-87, 88]`; lanes below are clamped to `e^-87.3` (≈ 1e-38).
    ///
    /// Rounding uses the `1.5 · 2^23` trick rather than `rounded(_:)` and integer conversion,
    /// which the compiler does not vectorise.
    @inline(__always)
    static func exp(_ input: SIMD8<Float>) -> SIMD8<Float> {
        var x = input
        x.replace(with: -87.3, where: x .< -87.3)
        x.replace(with: 88.3, where: x .> 88.3)
        // Adding 1.5 · 2^23 rounds x·log2(e) to an integer n held in the low mantissa bits.
        let shifted = x * 1.442_695_04 + 12_582_912
        let n = shifted - 12_582_912
        let r = x - n * 0.693_359_375 + n * 2.121_944_4e-4
        var p = SIMD8<Float>(repeating: 1.987_569_15e-4)
        p = p * r + 1.398_199_950_7e-3
        p = p * r + 8.333_451_907_3e-3
        p = p * r + 4.166_579_589_4e-2
        p = p * r + 1.666_666_545_9e-1
        p = p * r + 5.000_000_120_1e-1
        let e = p * r * r + r + 1
        let integer = unsafeBitCast(shifted, to: SIMD8<Int32>.self) &- 0x4B40_0000
        return e * unsafeBitCast((integer &+ 127) &<< 23, to: SIMD8<Float>.self)
    }

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
    static func gather<C: Collection>(
        _ table: UnsafePointer<Float>, rows tokens: C, width: Int, into out: UnsafeMutablePointer<Float>
    ) where C.Element: BinaryInteger {
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
                softmax(row, count: keys)
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
