extension Tensor {
    /// Softmax over the last axis (a copy).
    public func softmaxLastAxis() -> Tensor {
        var out = self
        let width = shape.last ?? 1
        let p = out.uniquePointer()
        for row in 0..<(width == 0 ? 0 : count / width) {
            Self.softmaxInPlace(p + row * width, count: width)
        }
        return out
    }

    /// Numerically stable softmax of `count` floats in place; returns the row's log-sum-exp.
    /// A row whose entries are all `-infinity` (every position masked) becomes all zeros
    /// rather than NaN.
    @inline(__always) @discardableResult
    static func softmaxInPlace(_ row: UnsafeMutablePointer<Float>, count: Int) -> Float {
        var peak = -Float.infinity
        for j in 0..<count { peak = max(peak, row[j]) }
        guard peak > -Float.infinity else {
            row.update(repeating: 0, count: count)
            return -.infinity
        }
        var total: Float = 0
        for j in 0..<count {
            let e = Math.exp(row[j] - peak)
            row[j] = e
            total += e
        }
        let inverse = 1 / total
        for j in 0..<count { row[j] *= inverse }
        return peak + Math.log(total)
    }
}

extension Variable {
    /// Softmax over the last axis.
    public func softmax() -> Variable {
        let out = value.softmaxLastAxis()
        let width = shape.last ?? 1
        return .result(out, parents: [self]) { [self] g in
            // dx = y * (dy - <dy, y>) per row
            var dx = Tensor(uninitialized: out.shape)
            let (py, pg, pd) = (out.pointer, g.pointer, dx.uniquePointer())
            for row in 0..<(out.count / max(width, 1)) {
                let o = row * width
                var dot: Float = 0
                for j in 0..<width { dot += pg[o + j] * py[o + j] }
                for j in 0..<width { pd[o + j] = py[o + j] * (pg[o + j] - dot) }
            }
            accumulateGrad(dx)
        }
    }

    /// Log-softmax over the last axis: `x - logsumexp(x)`, computed stably.
    public func logSoftmax() -> Variable {
        let width = shape.last ?? 1
        let rows = value.count / max(width, 1)
        var out = value
        let po = out.uniquePointer()
        for row in 0..<rows {
            let r = po + row * width
            var peak = -Float.infinity
            for j in 0..<width { peak = max(peak, r[j]) }
            var total: Float = 0
            for j in 0..<width { total += Math.exp(r[j] - peak) }
            let lse = peak + Math.log(total)
            for j in 0..<width { r[j] -= lse }
        }
        return .result(out, parents: [self]) { [self] g in
            // dx = dy - softmax(x) * sum(dy) per row
            var dx = Tensor(uninitialized: out.shape)
            let (py, pg, pd) = (out.pointer, g.pointer, dx.uniquePointer())
            for row in 0..<rows {
                let o = row * width
                var total: Float = 0
                for j in 0..<width { total += pg[o + j] }
                for j in 0..<width { pd[o + j] = pg[o + j] - Math.exp(py[o + j]) * total }
            }
            accumulateGrad(dx)
        }
    }

    /// Softmax cross-entropy of `logits` (`[rows, classes]`, or any shape whose last axis is
    /// the class axis) against one target class per row, fused for stability and speed.
    ///
    /// The loss is the weighted mean `Σ wᵢ·(logsumexp(xᵢ) − xᵢ[tᵢ]) / Σ wᵢ` over the rows
    /// that are not ignored. A row is ignored when its target is `-1` or its weight is 0, so
    /// padding positions and unmasked fields cost nothing. When every row is ignored the loss
    /// is 0 with zero gradient.
    ///
    /// - Parameters:
    ///   - targets: one class index per row in `0..<classes`, or `-1` to ignore the row.
    ///   - weights: optional per-row weights (default 1).
    ///   - masks: optional per-row restriction of the softmax to a set of allowed classes; the
    ///     others get no probability, no loss and no gradient. Each row's target must be allowed.
    /// - Returns: a scalar.
    public func crossEntropy(targets: [Int], weights: [Float]? = nil, masks: ClassMasks? = nil) -> Variable {
        let classes = shape.last ?? 1
        let rows = value.count / max(classes, 1)
        precondition(targets.count == rows, "crossEntropy: \(targets.count) targets for \(rows) rows of \(shape)")
        precondition(
            weights == nil || weights!.count == rows, "crossEntropy: \(weights!.count) weights for \(rows) rows")
        if let masks {
            precondition(
                masks.classes == classes && masks.maskOfRow.count == rows,
                "crossEntropy: masks of \(masks.classes) classes for \(masks.maskOfRow.count) rows, logits \(shape)")
        }
        let px = value.pointer
        // Per-row probabilities are kept for the backward pass.
        var probabilities = Tensor(uninitialized: [rows, classes])
        let pp = probabilities.uniquePointer()
        var totalLoss: Double = 0
        var totalWeight: Double = 0
        for row in 0..<rows {
            let target = targets[row]
            let weight = weights?[row] ?? 1
            guard target >= 0, weight != 0 else { continue }
            precondition(
                target < classes, "crossEntropy: target \(target) of row \(row) is not below \(classes) classes")
            let (r, pr) = (px + row * classes, pp + row * classes)
            pr.update(from: r, count: classes)
            if let masks { masks.apply(row: row, to: pr) }
            let lse = Tensor.softmaxInPlace(pr, count: classes)
            totalLoss += Double(weight) * Double(lse - r[target])
            totalWeight += Double(weight)
        }
        let loss = totalWeight > 0 ? Float(totalLoss / totalWeight) : 0
        let norm = totalWeight > 0 ? Float(1 / totalWeight) : 0
        let saved = probabilities
        return .result(Tensor(scalar: loss), parents: [self]) { [self] g in
            let upstream = g.scalar * norm
            let target = gradPointer()
            let pp = saved.pointer
            for row in 0..<rows {
                let label = targets[row]
                let weight = weights?[row] ?? 1
                guard label >= 0, weight != 0 else { continue }
                let scale = upstream * weight
                let (t, pr) = (target + row * classes, pp + row * classes)
                for j in 0..<classes { t[j] += scale * pr[j] }
                t[label] -= scale
            }
        }
    }
}
