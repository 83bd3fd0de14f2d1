import Tensor

/// Row-wise helpers on rank-2 `[rows, dimension]` tensors, the layout every quantiser uses.
enum RowMatrix {
    /// A new `[indices.count, d]` tensor holding the listed rows of `source`, in order.
    ///
    /// Gathered rows land in fresh 64-byte aligned storage so that BLAS runs the same kernels (and
    /// so gives the same bits) whatever the rows' original positions were.
    static func gather(_ source: Tensor, rows indices: [Int]) -> Tensor {
        let d = source.shape[1]
        var out = Tensor(uninitialized: [indices.count, d])
        source.withUnsafeBufferPointer { src in
            out.withUnsafeMutableBufferPointer { dst in
                for (r, i) in indices.enumerated() {
                    (dst.baseAddress! + r * d).update(from: src.baseAddress! + i * d, count: d)
                }
            }
        }
        return out
    }

    /// The squared Euclidean norm of every row.
    static func squaredNorms(_ x: Tensor) -> [Float] {
        let (n, d) = (x.shape[0], x.shape[1])
        return x.withUnsafeBufferPointer { p in
            (0..<n).map { i in BLAS.sdot(count: d, x: p.baseAddress! + i * d, y: p.baseAddress! + i * d) }
        }
    }

    /// Squared distances `[n, k]` between the rows of `x` and of `centroids`, computed as
    /// `||x||^2 - 2 x.c + ||c||^2` with one `sgemm`, clamped at zero.
    ///
    /// - Parameters:
    ///   - xNorms: ``squaredNorms(_:)`` of `x`, passed in because callers reuse it across iterations.
    ///   - out: receives the result; reshaped storage is reused when it already has `n * k` elements.
    static func squaredDistances(_ x: Tensor, xNorms: [Float], to centroids: Tensor, into out: inout Tensor) {
        let (n, d, k) = (x.shape[0], x.shape[1], centroids.shape[0])
        if out.shape != [n, k] { out = Tensor(uninitialized: [n, k]) }
        let cNorms = squaredNorms(centroids)
        x.withUnsafeBufferPointer { px in
            centroids.withUnsafeBufferPointer { pc in
                out.withUnsafeMutableBufferPointer { po in
                    BLAS.sgemm(
                        transposeA: false, transposeB: true, m: n, n: k, k: d,
                        alpha: -2, a: px.baseAddress!, lda: d, b: pc.baseAddress!, ldb: d,
                        beta: 0, c: po.baseAddress!, ldc: k
                    )
                    for i in 0..<n {
                        let row = po.baseAddress! + i * k
                        let xn = xNorms[i]
                        for j in 0..<k { row[j] = max(0, row[j] + xn + cNorms[j]) }
                    }
                }
            }
        }
    }

    /// Dot products `[n, m]` between the rows of `a` and the rows of `b` (one `sgemm`).
    static func dots(_ a: Tensor, _ b: Tensor) -> Tensor {
        let (n, d, m) = (a.shape[0], a.shape[1], b.shape[0])
        var out = Tensor(uninitialized: [n, m])
        a.withUnsafeBufferPointer { pa in
            b.withUnsafeBufferPointer { pb in
                out.withUnsafeMutableBufferPointer { po in
                    BLAS.sgemm(
                        transposeA: false, transposeB: true, m: n, n: m, k: d,
                        a: pa.baseAddress!, lda: d, b: pb.baseAddress!, ldb: d,
                        c: po.baseAddress!, ldc: m
                    )
                }
            }
        }
        return out
    }

    /// Cosine similarities `[n, m]` between the rows of `a` and the rows of `b` (one `sgemm`).
    /// A zero row has cosine 0 with everything.
    static func cosines(_ a: Tensor, _ b: Tensor) -> Tensor {
        let (n, m) = (a.shape[0], b.shape[0])
        var out = dots(a, b)
        let aNorms = squaredNorms(a).map { $0.squareRoot() }
        let bNorms = squaredNorms(b).map { $0.squareRoot() }
        out.withUnsafeMutableBufferPointer { po in
            for i in 0..<n {
                for j in 0..<m {
                    let scale = aNorms[i] * bNorms[j]
                    po[i * m + j] = scale > 0 ? po[i * m + j] / scale : 0
                }
            }
        }
        return out
    }

    /// The index of the smallest element of each row of a `[n, k]` tensor (first on ties).
    static func argminRows(_ x: Tensor) -> [Int] {
        let (n, k) = (x.shape[0], x.shape[1])
        return x.withUnsafeBufferPointer { p in
            (0..<n).map { i in
                var best = 0
                var bestValue = p[i * k]
                for j in 1..<max(k, 1) where p[i * k + j] < bestValue {
                    best = j
                    bestValue = p[i * k + j]
                }
                return best
            }
        }
    }

    /// Checks that `vectors` is a non-empty `[n, d]` matrix of finite numbers.
    static func validate(_ vectors: Tensor, name: String) throws {
        guard vectors.rank == 2, vectors.shape[0] > 0, vectors.shape[1] > 0 else {
            throw TokenizerError(
                .invalidInput, "\(name): expected a non-empty [items, dimension] matrix, got shape \(vectors.shape)")
        }
        let bad = vectors.withUnsafeBufferPointer { $0.firstIndex { !$0.isFinite } }
        if let bad {
            let d = vectors.shape[1]
            throw TokenizerError(
                .invalidInput,
                "\(name): row \(bad / d), column \(bad % d) is not a finite number; clean the vectors first")
        }
    }
}
