extension Variable {
    /// Multi-head scaled dot-product attention, fused: `softmax(scale · Q Kᵀ + bias + mask) V`
    /// per batch entry and head, with its backward pass.
    ///
    /// Queries, keys and values are read in the `[batch, positions, width]` layout a `Linear`
    /// layer produces, head `h` being columns `h·headWidth ..< (h+1)·headWidth` of the chosen
    /// column range: BLAS walks the heads through its leading-dimension argument, so no
    /// transpose copies are needed, and one fused projection (e.g. `[batch, T, 3·width]` for
    /// Q, K and V) can feed all three inputs through `queryColumns`/`keyColumns`/`valueColumns`
    /// while its gradient is written straight into the right columns.
    ///
    /// - Parameters:
    ///   - query: `[batch, queryLength, *]`.
    ///   - key, value: `[batch, keyLength, *]`.
    ///   - heads: number of heads; the column ranges' width must be a multiple of it.
    ///   - queryColumns, keyColumns, valueColumns: the columns holding Q, K, V (default: all).
    ///   - keyPadding: `batch · keyLength` flags, `true` for padding keys no query may attend to.
    ///   - causal: query `i` sees key `j` only if `j <= i + keyLength − queryLength`, i.e. the
    ///     queries are the *last* `queryLength` positions of the key sequence. With a key/value
    ///     cache this lets one new position attend to every earlier one.
    ///   - bias: an additive score bias `[1 or batch, heads, queryLength, keyLength]` (T5's
    ///     relative position bias); it receives a gradient.
    ///   - scale: score scale, default `1/sqrt(headWidth)` (T5 uses 1).
    /// - Returns: `[batch, queryLength, width]`, heads concatenated along the last axis.
    ///   A query whose keys are all masked attends to nothing and outputs zeros.
    public static func scaledDotProductAttention(
        query: Variable, key: Variable, value: Variable, heads: Int,
        queryColumns: Range<Int>? = nil, keyColumns: Range<Int>? = nil, valueColumns: Range<Int>? = nil,
        keyPadding: [Bool]? = nil, causal: Bool = false, bias: Variable? = nil, scale: Float? = nil
    ) -> Variable {
        precondition(
            query.shape.count == 3 && key.shape.count == 3 && value.shape.count == 3,
            "attention: need [batch, positions, width] inputs, got \(query.shape), \(key.shape), \(value.shape)")
        let (batch, tq, tk) = (query.shape[0], query.shape[1], key.shape[1])
        precondition(
            key.shape[0] == batch && value.shape[0] == batch && value.shape[1] == tk,
            "attention: batch/length mismatch \(query.shape), \(key.shape), \(value.shape)")
        let (wq, wk, wv) = (query.shape[2], key.shape[2], value.shape[2])
        let (qc, kc, vc) = (queryColumns ?? 0..<wq, keyColumns ?? 0..<wk, valueColumns ?? 0..<wv)
        let width = qc.count
        precondition(
            qc.upperBound <= wq && kc.upperBound <= wk && vc.upperBound <= wv, "attention: column ranges exceed inputs")
        precondition(
            kc.count == width && vc.count == width && heads > 0 && width % heads == 0,
            "attention: \(width) columns do not split into \(heads) heads")
        precondition(
            keyPadding == nil || keyPadding!.count == batch * tk,
            "attention: keyPadding has \(keyPadding!.count) flags for \(batch)x\(tk) keys")
        let biasBatch = bias?.shape[0] ?? 1
        if let bias {
            precondition(
                bias.shape == [biasBatch, heads, tq, tk] && (biasBatch == 1 || biasBatch == batch),
                "attention: bias \(bias.shape) must be [1 or \(batch), \(heads), \(tq), \(tk)]")
        }
        let dh = width / heads
        let alpha = scale ?? 1 / Float(dh).squareRoot()
        let (q, k, v) = (query.value, key.value, value.value)
        let (pq, pk, pv) = (q.pointer + qc.lowerBound, k.pointer + kc.lowerBound, v.pointer + vc.lowerBound)
        let pbias = bias?.value.pointer
        var probabilities = Tensor(uninitialized: [batch, heads, tq, tk])
        var out = Tensor(uninitialized: [batch, tq, width])
        let (pp, po) = (probabilities.uniquePointer(), out.uniquePointer())
        let causalShift = tk - tq
        for b in 0..<batch {
            for h in 0..<heads {
                let scores = pp + (b * heads + h) * tq * tk
                BLAS.sgemm(
                    transposeA: false, transposeB: true, m: tq, n: tk, k: dh, alpha: alpha,
                    a: pq + b * tq * wq + h * dh, lda: wq, b: pk + b * tk * wk + h * dh, ldb: wk,
                    c: scores, ldc: tk
                )
                if let pbias {
                    let source = pbias + ((biasBatch == 1 ? 0 : b) * heads + h) * tq * tk
                    for i in 0..<(tq * tk) { scores[i] += source[i] }
                }
                for i in 0..<tq {
                    let row = scores + i * tk
                    if let keyPadding {
                        for j in 0..<tk where keyPadding[b * tk + j] { row[j] = -.infinity }
                    }
                    if causal {
                        for j in max(0, i + causalShift + 1)..<max(tk, i + causalShift + 1) { row[j] = -.infinity }
                    }
                    Tensor.softmaxInPlace(row, count: tk)
                }
                BLAS.sgemm(
                    transposeA: false, transposeB: false, m: tq, n: dh, k: tk,
                    a: scores, lda: tk, b: pv + b * tk * wv + h * dh, ldb: wv,
                    c: po + b * tq * width + h * dh, ldc: width
                )
            }
        }
        let saved = probabilities
        var parents = [query, key, value]
        if let bias { parents.append(bias) }
        return .result(out, parents: parents) { g in
            let (pq, pk, pv) = (q.pointer + qc.lowerBound, k.pointer + kc.lowerBound, v.pointer + vc.lowerBound)
            let (pp, pg) = (saved.pointer, g.pointer)
            // Gradient targets, offset to their column ranges. When Q, K and V come from one
            // variable, all three point into its one gradient buffer at different columns.
            let dq = query.requiresGrad ? query.gradPointer() + qc.lowerBound : nil
            let dk = key.requiresGrad ? key.gradPointer() + kc.lowerBound : nil
            let dv = value.requiresGrad ? value.gradPointer() + vc.lowerBound : nil
            let dbias = bias?.requiresGrad == true ? bias!.gradPointer() : nil
            var dScores = Tensor(uninitialized: [tq, tk])
            let ds = dScores.uniquePointer()
            for b in 0..<batch {
                for h in 0..<heads {
                    let probs = pp + (b * heads + h) * tq * tk
                    let gOut = pg + b * tq * width + h * dh
                    let (qbh, kbh, vbh) = (
                        pq + b * tq * wq + h * dh, pk + b * tk * wk + h * dh, pv + b * tk * wv + h * dh
                    )
                    if let dv {  // dV += Pᵀ dO
                        BLAS.sgemm(
                            transposeA: true, transposeB: false, m: tk, n: dh, k: tq,
                            a: probs, lda: tk, b: gOut, ldb: width, beta: 1, c: dv + b * tk * wv + h * dh, ldc: wv
                        )
                    }
                    guard dq != nil || dk != nil || dbias != nil else { continue }
                    // dP = dO Vᵀ, then dS = P ⊙ (dP − rowsum(dP ⊙ P))
                    BLAS.sgemm(
                        transposeA: false, transposeB: true, m: tq, n: tk, k: dh,
                        a: gOut, lda: width, b: vbh, ldb: wv, c: ds, ldc: tk
                    )
                    for i in 0..<tq {
                        let (p, d) = (probs + i * tk, ds + i * tk)
                        var dot: Float = 0
                        for j in 0..<tk { dot += p[j] * d[j] }
                        for j in 0..<tk { d[j] = p[j] * (d[j] - dot) }
                    }
                    if let dbias {
                        let target = dbias + ((biasBatch == 1 ? 0 : b) * heads + h) * tq * tk
                        for i in 0..<(tq * tk) { target[i] += ds[i] }
                    }
                    if let dq {  // dQ += scale · dS K
                        BLAS.sgemm(
                            transposeA: false, transposeB: false, m: tq, n: dh, k: tk, alpha: alpha,
                            a: ds, lda: tk, b: kbh, ldb: wk, beta: 1, c: dq + b * tq * wq + h * dh, ldc: wq
                        )
                    }
                    if let dk {  // dK += scale · dSᵀ Q
                        BLAS.sgemm(
                            transposeA: true, transposeB: false, m: tk, n: dh, k: tq, alpha: alpha,
                            a: ds, lda: tk, b: qbh, ldb: wq, beta: 1, c: dk + b * tk * wk + h * dh, ldc: wk
                        )
                    }
                }
            }
            withExtendedLifetime(dScores) {}
        }
    }
}
