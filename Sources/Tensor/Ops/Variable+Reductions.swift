extension Variable {
    /// The sum of every element, a scalar of shape `[]`.
    public func sum() -> Variable {
        let x = value
        var total: Double = 0
        let p = x.pointer
        for i in 0..<x.count { total += Double(p[i]) }
        let shape = self.shape
        return .result(Tensor(scalar: Float(total)), parents: [self]) { [self] g in
            accumulateGrad(Tensor(repeating: g.scalar, shape: shape))
        }
    }

    /// The mean of every element, a scalar of shape `[]`.
    public func mean() -> Variable {
        sum() * (1 / Float(max(value.count, 1)))
    }

    /// Sums over `axes` (negative axes count from the end).
    /// - Parameter keepDims: keep each reduced axis as a dimension of 1 (handy for broadcasting
    ///   the result back against the input).
    public func sum(axes: [Int], keepDims: Bool = false) -> Variable {
        let inputShape = shape
        let reduced = Set(axes.map { Self.normalize(axis: $0, rank: inputShape.count) })
        let keptShape = inputShape.indices.map { reduced.contains($0) ? 1 : inputShape[$0] }
        let outShape = keepDims ? keptShape : inputShape.indices.filter { !reduced.contains($0) }.map { inputShape[$0] }
        let out = value.sum(toShape: keptShape).reshaped(outShape)
        return .result(out, parents: [self]) { [self] g in
            accumulateGrad(g.reshaped(keptShape).broadcast(to: inputShape))
        }
    }

    /// Sums over one axis.
    public func sum(axis: Int, keepDims: Bool = false) -> Variable {
        sum(axes: [axis], keepDims: keepDims)
    }

    /// Means over `axes` (negative axes count from the end).
    public func mean(axes: [Int], keepDims: Bool = false) -> Variable {
        let rank = shape.count
        let n = Set(axes.map { Self.normalize(axis: $0, rank: rank) }).reduce(1) { $0 * shape[$1] }
        return sum(axes: axes, keepDims: keepDims) * (1 / Float(max(n, 1)))
    }

    /// Means over one axis.
    public func mean(axis: Int, keepDims: Bool = false) -> Variable {
        mean(axes: [axis], keepDims: keepDims)
    }

    /// `axis` as a non-negative index into a shape of `rank` dimensions.
    static func normalize(axis: Int, rank: Int) -> Int {
        let resolved = axis < 0 ? axis + rank : axis
        precondition(resolved >= 0 && resolved < rank, "axis \(axis) out of range for rank \(rank)")
        return resolved
    }
}
