/// Elementwise arithmetic with NumPy broadcasting; the gradient of a broadcast operand is summed
/// back to its own shape.
extension Variable {
    /// `a + b`, broadcasting.
    public static func + (a: Variable, b: Variable) -> Variable {
        let out = Tensor.broadcasting(a.value, b.value, +)
        return .result(out, parents: [a, b]) { g in
            if a.requiresGrad { a.accumulateGrad(g.sum(toShape: a.shape)) }
            if b.requiresGrad { b.accumulateGrad(g.sum(toShape: b.shape)) }
        }
    }

    /// `a - b`, broadcasting.
    public static func - (a: Variable, b: Variable) -> Variable {
        let out = Tensor.broadcasting(a.value, b.value, -)
        return .result(out, parents: [a, b]) { g in
            if a.requiresGrad { a.accumulateGrad(g.sum(toShape: a.shape)) }
            if b.requiresGrad { b.accumulateGrad(g.map { -$0 }.sum(toShape: b.shape)) }
        }
    }

    /// `a * b` elementwise, broadcasting.
    public static func * (a: Variable, b: Variable) -> Variable {
        let (x, y) = (a.value, b.value)
        let out = Tensor.broadcasting(x, y, *)
        return .result(out, parents: [a, b]) { g in
            if a.requiresGrad { a.accumulateGrad(Tensor.broadcasting(g, y, *).sum(toShape: x.shape)) }
            if b.requiresGrad { b.accumulateGrad(Tensor.broadcasting(g, x, *).sum(toShape: y.shape)) }
        }
    }

    /// `a / b` elementwise, broadcasting.
    public static func / (a: Variable, b: Variable) -> Variable {
        let (x, y) = (a.value, b.value)
        let out = Tensor.broadcasting(x, y, /)
        return .result(out, parents: [a, b]) { g in
            if a.requiresGrad { a.accumulateGrad(Tensor.broadcasting(g, y, /).sum(toShape: x.shape)) }
            if b.requiresGrad {
                // d(x/y)/dy = -(x/y)/y = -out/y
                let q = Tensor.broadcasting(out, y, /)
                b.accumulateGrad(Tensor.broadcasting(g, q, { -$0 * $1 }).sum(toShape: y.shape))
            }
        }
    }

    /// `-a`.
    public static prefix func - (a: Variable) -> Variable { a * -1 }

    /// `a + s` for a scalar `s`.
    public static func + (a: Variable, s: Float) -> Variable {
        .result(a.value.map { $0 + s }, parents: [a]) { g in a.accumulateGrad(g) }
    }

    /// `s + a` for a scalar `s`.
    public static func + (s: Float, a: Variable) -> Variable { a + s }

    /// `a - s` for a scalar `s`.
    public static func - (a: Variable, s: Float) -> Variable { a + -s }

    /// `s - a` for a scalar `s`.
    public static func - (s: Float, a: Variable) -> Variable { (a * -1) + s }

    /// `a * s` for a scalar `s`.
    public static func * (a: Variable, s: Float) -> Variable {
        .result(a.value.map { $0 * s }, parents: [a]) { g in a.accumulateGrad(g.map { $0 * s }) }
    }

    /// `s * a` for a scalar `s`.
    public static func * (s: Float, a: Variable) -> Variable { a * s }

    /// `a / s` for a scalar `s`.
    public static func / (a: Variable, s: Float) -> Variable { a * (1 / s) }

    /// `s / a` for a scalar `s`.
    public static func / (s: Float, a: Variable) -> Variable {
        let x = a.value
        return .result(x.map { s / $0 }, parents: [a]) { g in
            a.accumulateGrad(Tensor.broadcasting(g, x) { gi, xi in -gi * s / (xi * xi) })
        }
    }

    /// Elementwise square, `a * a`.
    public func squared() -> Variable {
        let x = value
        return .result(x.map { $0 * $0 }, parents: [self]) { [self] g in
            accumulateGrad(Tensor.broadcasting(g, x) { 2 * $0 * $1 })
        }
    }

    /// Elementwise square root.
    public func squareRoot() -> Variable {
        let out = value.map { $0.squareRoot() }
        return .result(out, parents: [self]) { [self] g in
            accumulateGrad(Tensor.broadcasting(g, out) { $0 * 0.5 / $1 })
        }
    }

    /// Elementwise natural exponential.
    public func exp() -> Variable {
        let out = value.map { Math.exp($0) }
        return .result(out, parents: [self]) { [self] g in
            accumulateGrad(Tensor.broadcasting(g, out, *))
        }
    }

    /// Elementwise natural logarithm.
    public func log() -> Variable {
        let x = value
        return .result(x.map { Math.log($0) }, parents: [self]) { [self] g in
            accumulateGrad(Tensor.broadcasting(g, x, /))
        }
    }
}
