extension Variable {
    /// The same elements with a new shape (one dimension may be `-1`, inferred).
    public func reshaped(_ newShape: [Int]) -> Variable {
        let inputShape = shape
        return .result(value.reshaped(newShape), parents: [self]) { [self] g in
            accumulateGrad(g.reshaped(inputShape))
        }
    }

    /// Reorders the axes: axis `i` of the result is axis `axes[i]` of this variable.
    public func permuted(_ axes: [Int]) -> Variable {
        var inverse = [Int](repeating: 0, count: axes.count)
        for (i, axis) in axes.enumerated() { inverse[axis] = i }
        return .result(value.permuted(axes), parents: [self]) { [self] g in
            accumulateGrad(g.permuted(inverse))
        }
    }

    /// Swaps the last two axes (the matrix transpose of every matrix in a batch).
    public func transposed() -> Variable {
        precondition(shape.count >= 2, "transposed: need rank >= 2, got \(shape)")
        var axes = Array(0..<shape.count)
        axes.swapAt(axes.count - 1, axes.count - 2)
        return permuted(axes)
    }

    /// Elements `range` along `axis` (negative axes count from the end).
    public func slice(axis: Int, range: Range<Int>) -> Variable {
        let resolved = Self.normalize(axis: axis, rank: shape.count)
        let inputShape = shape
        return .result(value.slice(axis: resolved, range: range), parents: [self]) { [self] g in
            let target = gradPointer()
            let inner = inputShape[(resolved + 1)...].reduce(1, *)
            let outer = inputShape[..<resolved].reduce(1, *)
            let (sourceBlock, block) = (inputShape[resolved] * inner, range.count * inner)
            let pg = g.pointer
            for o in 0..<outer {
                let row = target + o * sourceBlock + range.lowerBound * inner
                let source = pg + o * block
                for i in 0..<block { row[i] += source[i] }
            }
        }
    }

    /// Joins `parts` along `axis` (negative axes count from the end).
    public static func concat(_ parts: [Variable], axis: Int) -> Variable {
        precondition(!parts.isEmpty, "concat: no variables")
        let resolved = normalize(axis: axis, rank: parts[0].shape.count)
        let out = Tensor.concat(parts.map(\.value), axis: resolved)
        let widths = parts.map { $0.shape[resolved] }
        return .result(out, parents: parts) { g in
            var start = 0
            for (part, width) in zip(parts, widths) {
                if part.requiresGrad { part.accumulateGrad(g.slice(axis: resolved, range: start..<(start + width))) }
                start += width
            }
        }
    }
}
