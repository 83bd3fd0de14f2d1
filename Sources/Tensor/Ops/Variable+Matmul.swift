extension Variable {
    /// Matrix product `op(a) x op(b)` through BLAS, with gradients through BLAS as well.
    ///
    /// - Parameters:
    ///   - a: `[m, k]` (or `[k, m]` with `transposeA`). Without `transposeA`, `a` may have more
    ///     leading dimensions, `[..., m, k]`: they are flattened into rows, which is how a
    ///     `Linear` layer applies one weight to every position of a batch in a single GEMM.
    ///   - b: `[k, n]` (or `[n, k]` with `transposeB`).
    /// - Returns: `[..., m, n]`.
    public static func matmul(
        _ a: Variable, _ b: Variable, transposeA: Bool = false, transposeB: Bool = false
    ) -> Variable {
        precondition(b.shape.count == 2, "matmul: b must be rank 2, got \(b.shape)")
        precondition(
            a.shape.count == 2 || (a.shape.count > 2 && !transposeA),
            "matmul: a must be rank 2 (or rank > 2 without transposeA), got \(a.shape)")
        let lead = Array(a.shape.dropLast(2))
        let a2 = a.shape.count == 2 ? a.value : a.value.reshaped([-1, a.shape[a.shape.count - 1]])
        let product = Tensor.matmul(a2, b.value, transposeA: transposeA, transposeB: transposeB)
        let out = lead.isEmpty ? product : product.reshaped(lead + [a.shape[a.shape.count - 2], product.shape[1]])
        let (x, y) = (a2, b.value)
        return .result(out, parents: [a, b]) { g in
            ProductGradient(
                a: x, b: y, transposeA: transposeA, transposeB: transposeB, batch: 1, sharedB: true
            ).accumulate(g, into: a, b)
        }
    }

    /// Batched matrix product over the leading dimension: `[batch, m, k] x [batch, k, n]`
    /// (a rank-2 `b` is shared by every batch entry), with the transpose options of
    /// ``matmul(_:_:transposeA:transposeB:)`` applied to each matrix.
    public static func batchedMatmul(
        _ a: Variable, _ b: Variable, transposeA: Bool = false, transposeB: Bool = false
    ) -> Variable {
        let out = Tensor.batchedMatmul(a.value, b.value, transposeA: transposeA, transposeB: transposeB)
        let (x, y) = (a.value, b.value)
        return .result(out, parents: [a, b]) { g in
            ProductGradient(
                a: x, b: y, transposeA: transposeA, transposeB: transposeB,
                batch: x.shape[0], sharedB: y.rank == 2
            ).accumulate(g, into: a, b)
        }
    }
}

/// The backward pass of `C = op(A) op(B)` for a batch of matrices: `dA` and `dB` are GEMMs of
/// the output gradient with the other operand, accumulated straight into the operands'
/// gradient buffers (`beta = 1`, or `beta = 0` into a fresh buffer).
struct ProductGradient {
    let a: Tensor, b: Tensor
    let transposeA: Bool, transposeB: Bool
    let batch: Int
    let sharedB: Bool

    func accumulate(_ g: Tensor, into va: Variable, _ vb: Variable) {
        let (ar, ac) = (a.shape[a.rank - 2], a.shape[a.rank - 1])
        let (br, bc) = (b.shape[b.rank - 2], b.shape[b.rank - 1])
        let (m, k) = transposeA ? (ac, ar) : (ar, ac)
        let n = transposeB ? br : bc
        let (pa, pb, pg) = (a.pointer, b.pointer, g.pointer)
        let (strideA, strideB, strideG) = (ar * ac, sharedB ? 0 : br * bc, m * n)
        if va.requiresGrad {
            let (target, beta) = va.gradBufferForGEMM()
            for i in 0..<batch {
                let (gi, bi, ti) = (pg + i * strideG, pb + i * strideB, target + i * strideA)
                switch (transposeA, transposeB) {
                case (false, false):  // dA[m,k] = G Bᵀ
                    BLAS.sgemm(
                        transposeA: false, transposeB: true, m: m, n: k, k: n, a: gi, lda: n, b: bi, ldb: bc,
                        beta: beta, c: ti, ldc: ac)
                case (true, false):  // dA[k,m] = B Gᵀ
                    BLAS.sgemm(
                        transposeA: false, transposeB: true, m: k, n: m, k: n, a: bi, lda: bc, b: gi, ldb: n,
                        beta: beta, c: ti, ldc: ac)
                case (false, true):  // dA[m,k] = G B
                    BLAS.sgemm(
                        transposeA: false, transposeB: false, m: m, n: k, k: n, a: gi, lda: n, b: bi, ldb: bc,
                        beta: beta, c: ti, ldc: ac)
                case (true, true):  // dA[k,m] = Bᵀ Gᵀ
                    BLAS.sgemm(
                        transposeA: true, transposeB: true, m: k, n: m, k: n, a: bi, lda: bc, b: gi, ldb: n, beta: beta,
                        c: ti, ldc: ac)
                }
            }
        }
        if vb.requiresGrad {
            let (target, firstBeta) = vb.gradBufferForGEMM()
            for i in 0..<batch {
                let (gi, ai, ti) = (pg + i * strideG, pa + i * strideA, target + i * strideB)
                // A shared B sums its gradient over the batch.
                let beta: Float = sharedB && i > 0 ? 1 : firstBeta
                switch (transposeA, transposeB) {
                case (false, false):  // dB[k,n] = Aᵀ G
                    BLAS.sgemm(
                        transposeA: true, transposeB: false, m: k, n: n, k: m, a: ai, lda: ac, b: gi, ldb: n,
                        beta: beta, c: ti, ldc: bc)
                case (true, false):  // dB[k,n] = A G
                    BLAS.sgemm(
                        transposeA: false, transposeB: false, m: k, n: n, k: m, a: ai, lda: ac, b: gi, ldb: n,
                        beta: beta, c: ti, ldc: bc)
                case (false, true):  // dB[n,k] = Gᵀ A
                    BLAS.sgemm(
                        transposeA: true, transposeB: false, m: n, n: k, k: m, a: gi, lda: n, b: ai, ldb: ac,
                        beta: beta, c: ti, ldc: bc)
                case (true, true):  // dB[n,k] = Gᵀ Aᵀ
                    BLAS.sgemm(
                        transposeA: true, transposeB: true, m: n, n: k, k: m, a: gi, lda: n, b: ai, ldb: ac, beta: beta,
                        c: ti, ldc: bc)
                }
            }
        }
    }
}

extension Variable {
    /// The gradient buffer for a kernel that writes `beta * grad + product`: a fresh,
    /// uninitialised buffer with `beta = 0` when there is no gradient yet (saving a memset),
    /// else the existing (uniquely owned) one with `beta = 1`.
    func gradBufferForGEMM() -> (UnsafeMutablePointer<Float>, Float) {
        if grad == nil {
            grad = Tensor(uninitialized: value.shape)
            return (grad!.uniquePointer(), 0)
        }
        return (grad!.uniquePointer(), 1)
    }
}
