extension Variable {
    /// Layer normalisation over the last axis: `(x − mean) / sqrt(var + ε) · gamma + beta`
    /// (biased variance, as in PyTorch).
    /// - Parameters:
    ///   - gamma, beta: `[width]`, where `width` is the last dimension of `self`.
    public func layerNorm(gamma: Variable, beta: Variable, epsilon: Float = 1e-5) -> Variable {
        let width = shape.last ?? 1
        precondition(
            gamma.shape == [width] && beta.shape == [width],
            "layerNorm: gamma \(gamma.shape), beta \(beta.shape) for width \(width)")
        let rows = value.count / max(width, 1)
        var normalized = Tensor(uninitialized: shape)
        var inverseStd = Tensor(uninitialized: [rows])
        var out = Tensor(uninitialized: shape)
        let (px, pn, pr, po) = (
            value.pointer, normalized.uniquePointer(), inverseStd.uniquePointer(), out.uniquePointer()
        )
        let (pgamma, pbeta) = (gamma.value.pointer, beta.value.pointer)
        for row in 0..<rows {
            let (x, n, o) = (px + row * width, pn + row * width, po + row * width)
            var mean: Float = 0
            for j in 0..<width { mean += x[j] }
            mean /= Float(width)
            var variance: Float = 0
            for j in 0..<width {
                let d = x[j] - mean
                variance += d * d
            }
            let r = 1 / (variance / Float(width) + epsilon).squareRoot()
            pr[row] = r
            for j in 0..<width {
                n[j] = (x[j] - mean) * r
                o[j] = n[j] * pgamma[j] + pbeta[j]
            }
        }
        let (savedNormalized, savedInverseStd, gammaValue) = (normalized, inverseStd, gamma.value)
        return .result(out, parents: [self, gamma, beta]) { [self] g in
            let (pn, pr, pgamma, pg) = (savedNormalized.pointer, savedInverseStd.pointer, gammaValue.pointer, g.pointer)
            if gamma.requiresGrad || beta.requiresGrad {
                let (dgamma, dbeta) = (gamma.gradPointer(), beta.gradPointer())
                for row in 0..<rows {
                    let (n, gr) = (pn + row * width, pg + row * width)
                    for j in 0..<width {
                        dgamma[j] += gr[j] * n[j]
                        dbeta[j] += gr[j]
                    }
                }
            }
            guard requiresGrad else { return }
            let dx = gradPointer()
            // dx = r · (dn − mean(dn) − n · mean(dn · n)), dn = g · gamma
            for row in 0..<rows {
                let (n, gr, d) = (pn + row * width, pg + row * width, dx + row * width)
                var meanDn: Float = 0
                var meanDnN: Float = 0
                for j in 0..<width {
                    let dn = gr[j] * pgamma[j]
                    meanDn += dn
                    meanDnN += dn * n[j]
                }
                meanDn /= Float(width)
                meanDnN /= Float(width)
                let r = pr[row]
                for j in 0..<width {
                    d[j] += r * (gr[j] * pgamma[j] - meanDn - n[j] * meanDnN)
                }
            }
        }
    }

    /// Root-mean-square normalisation over the last axis (T5): `x / sqrt(mean(x²) + ε) · gamma`,
    /// no centring, no bias.
    /// - Parameter gamma: `[width]`.
    public func rmsNorm(gamma: Variable, epsilon: Float = 1e-6) -> Variable {
        let width = shape.last ?? 1
        precondition(gamma.shape == [width], "rmsNorm: gamma \(gamma.shape) for width \(width)")
        let rows = value.count / max(width, 1)
        var inverseRMS = Tensor(uninitialized: [rows])
        var out = Tensor(uninitialized: shape)
        let x = value
        let (px, pr, po, pgamma) = (x.pointer, inverseRMS.uniquePointer(), out.uniquePointer(), gamma.value.pointer)
        for row in 0..<rows {
            let (xr, o) = (px + row * width, po + row * width)
            var squares: Float = 0
            for j in 0..<width { squares += xr[j] * xr[j] }
            let r = 1 / (squares / Float(width) + epsilon).squareRoot()
            pr[row] = r
            for j in 0..<width { o[j] = xr[j] * r * pgamma[j] }
        }
        let (savedInverseRMS, gammaValue) = (inverseRMS, gamma.value)
        return .result(out, parents: [self, gamma]) { [self] g in
            let (px, pr, pgamma, pg) = (x.pointer, savedInverseRMS.pointer, gammaValue.pointer, g.pointer)
            if gamma.requiresGrad {
                let dgamma = gamma.gradPointer()
                for row in 0..<rows {
                    let (xr, gr, r) = (px + row * width, pg + row * width, pr[row])
                    for j in 0..<width { dgamma[j] += gr[j] * xr[j] * r }
                }
            }
            guard requiresGrad else { return }
            let dx = gradPointer()
            // n = x·r; dx = r · (dn − n · mean(dn · n)), dn = g · gamma
            for row in 0..<rows {
                let (xr, gr, d, r) = (px + row * width, pg + row * width, dx + row * width, pr[row])
                var meanDnN: Float = 0
                for j in 0..<width { meanDnN += gr[j] * pgamma[j] * xr[j] * r }
                meanDnN /= Float(width)
                for j in 0..<width {
                    d[j] += r * (gr[j] * pgamma[j] - xr[j] * r * meanDnN)
                }
            }
        }
    }

    /// Scales each row (last axis) to unit Euclidean length: `x / max(‖x‖, ε)`.
    public func l2Normalized(epsilon: Float = 1e-8) -> Variable {
        let width = shape.last ?? 1
        let rows = value.count / max(width, 1)
        var norms = Tensor(uninitialized: [rows])
        var out = Tensor(uninitialized: shape)
        let (px, pnorm, po) = (value.pointer, norms.uniquePointer(), out.uniquePointer())
        for row in 0..<rows {
            let (x, o) = (px + row * width, po + row * width)
            var squares: Float = 0
            for j in 0..<width { squares += x[j] * x[j] }
            let norm = max(squares.squareRoot(), epsilon)
            pnorm[row] = norm
            for j in 0..<width { o[j] = x[j] / norm }
        }
        let (savedNorms, savedOut) = (norms, out)
        return .result(out, parents: [self]) { [self] g in
            let (pnorm, py, pg) = (savedNorms.pointer, savedOut.pointer, g.pointer)
            let dx = gradPointer()
            // dx = (g − y · <g, y>) / ‖x‖
            for row in 0..<rows {
                let (y, gr, d) = (py + row * width, pg + row * width, dx + row * width)
                var dot: Float = 0
                for j in 0..<width { dot += gr[j] * y[j] }
                let inverse = 1 / pnorm[row]
                for j in 0..<width { d[j] += (gr[j] - y[j] * dot) * inverse }
            }
        }
    }

    /// Row-wise cosine similarity of two variables of equal shape `[..., width]`: returns
    /// `[...]`, one cosine per row.
    public static func cosineSimilarity(_ a: Variable, _ b: Variable) -> Variable {
        precondition(a.shape == b.shape, "cosineSimilarity: shapes \(a.shape) and \(b.shape) differ")
        return (a.l2Normalized() * b.l2Normalized()).sum(axis: -1)
    }

    /// All-pairs scaled cosine logits, `scale · cos(queries[i], keys[j])`, shape `[n, m]` for
    /// queries `[n, d]` and keys `[m, d]`.
    ///
    /// FAMAE's tied output head is `scaledCosineLogits(h, table, scale: sqrt(d))`: every field
    /// value scored by the scaled cosine between the hidden state and its own input embedding.
    public static func scaledCosineLogits(_ queries: Variable, _ keys: Variable, scale: Float) -> Variable {
        precondition(
            queries.shape.count == 2 && keys.shape.count == 2 && queries.shape[1] == keys.shape[1],
            "scaledCosineLogits: \(queries.shape) vs \(keys.shape)")
        return matmul(queries.l2Normalized(), keys.l2Normalized(), transposeB: true) * scale
    }
}
