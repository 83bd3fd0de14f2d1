public import CBLAS

/// The only place the numeric core calls OpenBLAS.
///
/// Every call is row-major. Pointers are borrowed for the duration of the call only.
public enum BLAS {
    /// Sets the number of threads OpenBLAS may use for one call.
    ///
    /// OpenBLAS otherwise starts one thread per core for every large call, which oversubscribes
    /// the machine when several workers run GEMMs at once. Call this once at start-up.
    public static func setThreads(_ count: Int) {
        precondition(count >= 1, "BLAS.setThreads: need at least one thread, got \(count)")
        openblas_set_num_threads(Int32(count))
    }

    /// The number of threads OpenBLAS currently uses.
    public static var threads: Int { Int(openblas_get_num_threads()) }

    /// `C = alpha * op(A) * op(B) + beta * C`, row-major, where `op(X)` is `X` or its transpose.
    ///
    /// - Parameters:
    ///   - m: rows of `op(A)` and `C`.
    ///   - n: columns of `op(B)` and `C`.
    ///   - k: columns of `op(A)`, rows of `op(B)`.
    ///   - lda, ldb, ldc: row strides of the stored matrices (before any transpose).
    @inlinable
    public static func sgemm(
        transposeA: Bool, transposeB: Bool,
        m: Int, n: Int, k: Int,
        alpha: Float = 1,
        a: UnsafePointer<Float>, lda: Int,
        b: UnsafePointer<Float>, ldb: Int,
        beta: Float = 0,
        c: UnsafeMutablePointer<Float>, ldc: Int
    ) {
        guard m > 0, n > 0 else { return }
        if k == 0 {
            // BLAS leaves C untouched only when beta == 1; honour beta explicitly.
            for row in 0..<m {
                let rowStart = c + row * ldc
                for col in 0..<n { rowStart[col] = beta == 0 ? 0 : beta * rowStart[col] }
            }
            return
        }
        cblas_sgemm(
            CblasRowMajor,
            transposeA ? CblasTrans : CblasNoTrans,
            transposeB ? CblasTrans : CblasNoTrans,
            blasint(m), blasint(n), blasint(k),
            alpha, a, blasint(lda), b, blasint(ldb),
            beta, c, blasint(ldc)
        )
    }

    /// `y = alpha * op(A) * x + beta * y`, row-major; `A` is stored `rows x cols`.
    @inlinable
    public static func sgemv(
        transpose: Bool,
        rows: Int, cols: Int,
        alpha: Float = 1,
        a: UnsafePointer<Float>, lda: Int,
        x: UnsafePointer<Float>,
        beta: Float = 0,
        y: UnsafeMutablePointer<Float>
    ) {
        guard rows > 0, cols > 0 else { return }
        cblas_sgemv(
            CblasRowMajor, transpose ? CblasTrans : CblasNoTrans,
            blasint(rows), blasint(cols), alpha, a, blasint(lda), x, 1, beta, y, 1
        )
    }

    /// `y += alpha * x` over `count` elements.
    @inlinable
    public static func saxpy(count: Int, alpha: Float, x: UnsafePointer<Float>, y: UnsafeMutablePointer<Float>) {
        guard count > 0 else { return }
        cblas_saxpy(blasint(count), alpha, x, 1, y, 1)
    }

    /// The dot product of two vectors of `count` elements.
    @inlinable
    public static func sdot(count: Int, x: UnsafePointer<Float>, y: UnsafePointer<Float>) -> Float {
        guard count > 0 else { return 0 }
        return cblas_sdot(blasint(count), x, 1, y, 1)
    }
}
