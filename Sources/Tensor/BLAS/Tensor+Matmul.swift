extension Tensor {
    /// Matrix product of two rank-2 tensors, `op(a) x op(b)`, through one `sgemm` call.
    ///
    /// - Parameters:
    ///   - a: `[m, k]`, or `[k, m]` when `transposeA` is set.
    ///   - b: `[k, n]`, or `[n, k]` when `transposeB` is set.
    /// - Returns: `[m, n]`.
    public static func matmul(_ a: Tensor, _ b: Tensor, transposeA: Bool = false, transposeB: Bool = false) -> Tensor {
        precondition(a.rank == 2 && b.rank == 2, "matmul: need rank-2 operands, got \(a.shape) and \(b.shape)")
        let (m, k) = transposeA ? (a.shape[1], a.shape[0]) : (a.shape[0], a.shape[1])
        let (kb, n) = transposeB ? (b.shape[1], b.shape[0]) : (b.shape[0], b.shape[1])
        precondition(
            k == kb,
            "matmul: inner dimensions differ: \(a.shape)\(transposeA ? "ᵀ" : "") x \(b.shape)\(transposeB ? "ᵀ" : "")")
        var out = Tensor(uninitialized: [m, n])
        a.withUnsafeBufferPointer { pa in
            b.withUnsafeBufferPointer { pb in
                out.withUnsafeMutableBufferPointer { pc in
                    BLAS.sgemm(
                        transposeA: transposeA, transposeB: transposeB, m: m, n: n, k: k,
                        a: pa.baseAddress!, lda: a.shape[1],
                        b: pb.baseAddress!, ldb: b.shape[1],
                        c: pc.baseAddress!, ldc: n
                    )
                }
            }
        }
        return out
    }

    /// Batched matrix product over the leading dimension: `[batch, m, k] x [batch, k, n]`,
    /// with the same transpose options as ``matmul(_:_:transposeA:transposeB:)`` applied to each
    /// matrix of the batch. A rank-2 `b` is shared by every batch entry.
    public static func batchedMatmul(
        _ a: Tensor, _ b: Tensor, transposeA: Bool = false, transposeB: Bool = false
    ) -> Tensor {
        precondition(a.rank == 3 && (b.rank == 3 || b.rank == 2), "batchedMatmul: got \(a.shape) and \(b.shape)")
        let batch = a.shape[0]
        let sharedB = b.rank == 2
        precondition(sharedB || b.shape[0] == batch, "batchedMatmul: batch sizes differ: \(a.shape) and \(b.shape)")
        let (ar, ac) = (a.shape[1], a.shape[2])
        let (br, bc) = sharedB ? (b.shape[0], b.shape[1]) : (b.shape[1], b.shape[2])
        let (m, k) = transposeA ? (ac, ar) : (ar, ac)
        let (kb, n) = transposeB ? (bc, br) : (br, bc)
        precondition(k == kb, "batchedMatmul: inner dimensions differ: \(a.shape) x \(b.shape)")
        var out = Tensor(uninitialized: [batch, m, n])
        a.withUnsafeBufferPointer { pa in
            b.withUnsafeBufferPointer { pb in
                out.withUnsafeMutableBufferPointer { pc in
                    for i in 0..<batch {
                        BLAS.sgemm(
                            transposeA: transposeA, transposeB: transposeB, m: m, n: n, k: k,
                            a: pa.baseAddress! + i * ar * ac, lda: ac,
                            b: pb.baseAddress! + (sharedB ? 0 : i * br * bc), ldb: bc,
                            c: pc.baseAddress! + i * m * n, ldc: n
                        )
                    }
                }
            }
        }
        return out
    }
}
