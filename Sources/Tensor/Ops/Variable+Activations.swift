extension Variable {
    /// `max(x, 0)` elementwise.
    public func relu() -> Variable {
        let x = value
        return .result(x.map { max($0, 0) }, parents: [self]) { [self] g in
            accumulateGrad(Tensor.broadcasting(g, x) { $1 > 0 ? $0 : 0 })
        }
    }

    /// The exact GELU, `x * Φ(x) = 0.5 x (1 + erf(x / √2))`.
    public func gelu() -> Variable {
        let x = value
        let out = x.map { 0.5 * $0 * (1 + Math.erf($0 * 0.707_106_77)) }
        return .result(out, parents: [self]) { [self] g in
            accumulateGrad(
                Tensor.broadcasting(g, x) { gi, xi in
                    // d/dx [x Φ(x)] = Φ(x) + x φ(x)
                    let cdf = 0.5 * (1 + Math.erf(xi * 0.707_106_77))
                    let pdf = 0.398_942_28 * Math.exp(-0.5 * xi * xi)
                    return gi * (cdf + xi * pdf)
                })
        }
    }

    /// Inverted dropout: zeroes each element with probability `rate` and scales the survivors
    /// by `1 / (1 - rate)`, so the expected value is unchanged and inference needs no rescale.
    ///
    /// Each 64-bit draw decides two elements (one per 32-bit half, dropped when the half is
    /// below `rate · 2³²`): the mask was the largest elementwise cost of a generator's training
    /// step at one draw per element.
    ///
    /// - Parameters:
    ///   - rate: drop probability in `[0, 1)`; `0` returns `self`.
    ///   - rng: the seeded stream the mask is drawn from (reproducible runs).
    public func dropout(rate: Float, rng: inout SeededRandom) -> Variable {
        precondition(rate >= 0 && rate < 1, "dropout: rate must be in [0, 1), got \(rate)")
        if rate == 0 { return self }
        let scale = 1 / (1 - rate)
        let threshold = UInt64((Double(rate) * 4_294_967_296).rounded())
        let x = value
        let n = x.count
        var mask = Tensor(uninitialized: shape)
        var out = Tensor(uninitialized: shape)
        let pm = mask.uniquePointer(), po = out.uniquePointer()
        withExtendedLifetime(x) {
            let px = x.pointer
            var i = 0
            while i < n {
                let bits = rng.next()
                pm[i] = bits & 0xFFFF_FFFF < threshold ? 0 : scale
                po[i] = px[i] * pm[i]
                if i + 1 < n {
                    pm[i + 1] = bits >> 32 < threshold ? 0 : scale
                    po[i + 1] = px[i + 1] * pm[i + 1]
                }
                i += 2
            }
        }
        return .result(out, parents: [self]) { [self] g in
            accumulateGrad(Tensor.broadcasting(g, mask, *))
        }
    }

    /// Replaces the elements where `mask` is true by `fill` (their gradient is zero).
    /// - Parameter mask: one flag per element, row-major.
    public func maskedFill(_ mask: [Bool], with fill: Float) -> Variable {
        precondition(mask.count == value.count, "maskedFill: \(mask.count) flags for \(value.count) elements")
        var out = value
        let po = out.uniquePointer()
        for i in mask.indices where mask[i] { po[i] = fill }
        return .result(out, parents: [self]) { [self] g in
            var masked = g
            let pg = masked.uniquePointer()
            for i in mask.indices where mask[i] { pg[i] = 0 }
            accumulateGrad(masked)
        }
    }
}
