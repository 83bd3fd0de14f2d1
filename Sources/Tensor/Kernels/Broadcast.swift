/// NumPy-style broadcasting: shapes are aligned at their last dimension and a dimension of 1
/// stretches to match the other operand.
public enum Broadcast {
    /// The shape two operands broadcast to.
    public static func shape(_ a: [Int], _ b: [Int]) -> [Int] {
        let rank = max(a.count, b.count)
        var out = [Int](repeating: 1, count: rank)
        for i in 0..<rank {
            let da = i < rank - a.count ? 1 : a[i - (rank - a.count)]
            let db = i < rank - b.count ? 1 : b[i - (rank - b.count)]
            precondition(da == db || da == 1 || db == 1, "broadcast: shapes \(a) and \(b) are incompatible")
            out[i] = da == 1 ? db : da
        }
        return out
    }

    /// Whether `source` can stretch to `target` (`Broadcast.shape(source, target) == target`).
    public static func canStretch(_ source: [Int], to target: [Int]) -> Bool {
        guard source.count <= target.count else { return false }
        let offset = target.count - source.count
        return source.indices.allSatisfy { source[$0] == 1 || source[$0] == target[$0 + offset] }
    }

    /// Element strides of a contiguous tensor of shape `source` read as if it had shape
    /// `target`: 0 along stretched dimensions.
    static func strides(of source: [Int], in target: [Int]) -> [Int] {
        let offset = target.count - source.count
        var strides = [Int](repeating: 0, count: target.count)
        var step = 1
        for i in stride(from: source.count - 1, through: 0, by: -1) {
            strides[i + offset] = source[i] == 1 ? 0 : step
            step *= source[i]
        }
        return strides
    }
}

/// A walk over a contiguous output of some shape with two strided operands, cut into
/// contiguous runs of the output so that kernels spend their time in tight inner loops.
///
/// Adjacent dimensions merge when both operands step through them uniformly, so the common
/// cases (bias over rows, equal shapes, a column vector against a matrix) become a few long runs.
struct StridedRuns {
    private(set) var shape: [Int] = []
    private(set) var stridesA: [Int] = []
    private(set) var stridesB: [Int] = []

    init(shape: [Int], stridesA: [Int], stridesB: [Int]) {
        for i in shape.indices where shape[i] != 1 {
            if let last = self.shape.indices.last,
                stridesA[last] == stridesA[i] * shape[i],
                stridesB[last] == stridesB[i] * shape[i]
            {
                self.shape[last] *= shape[i]
                self.stridesA[last] = stridesA[i]
                self.stridesB[last] = stridesB[i]
            } else {
                self.shape.append(shape[i])
                self.stridesA.append(stridesA[i])
                self.stridesB.append(stridesB[i])
            }
        }
    }

    /// Calls `body(outOffset, aOffset, bOffset, length, aStep, bStep)` once per run.
    @inline(__always)
    func forEach(_ body: (Int, Int, Int, Int, Int, Int) -> Void) {
        guard let innerAxis = shape.indices.last else {
            body(0, 0, 0, 1, 0, 0)
            return
        }
        let length = shape[innerAxis]
        let (stepA, stepB) = (stridesA[innerAxis], stridesB[innerAxis])
        var counters = [Int](repeating: 0, count: innerAxis)
        var (offsetA, offsetB, offsetOut) = (0, 0, 0)
        while true {
            body(offsetOut, offsetA, offsetB, length, stepA, stepB)
            offsetOut += length
            var axis = innerAxis - 1
            while axis >= 0 {
                counters[axis] += 1
                offsetA += stridesA[axis]
                offsetB += stridesB[axis]
                if counters[axis] < shape[axis] { break }
                offsetA -= stridesA[axis] * shape[axis]
                offsetB -= stridesB[axis] * shape[axis]
                counters[axis] = 0
                axis -= 1
            }
            if axis < 0 { return }
        }
    }
}

extension Tensor {
    /// `op(a, b)` elementwise with broadcasting.
    @inlinable
    public static func broadcasting(_ a: Tensor, _ b: Tensor, _ op: (Float, Float) -> Float) -> Tensor {
        if a.shape == b.shape {
            var out = Tensor(uninitialized: a.shape)
            let (pa, pb, po) = (a.pointer, b.pointer, out.uniquePointer())
            for i in 0..<a.count { po[i] = op(pa[i], pb[i]) }
            return out
        }
        return broadcastingGeneral(a, b, op)
    }

    @usableFromInline
    static func broadcastingGeneral(_ a: Tensor, _ b: Tensor, _ op: (Float, Float) -> Float) -> Tensor {
        let shape = Broadcast.shape(a.shape, b.shape)
        var out = Tensor(uninitialized: shape)
        let (pa, pb, po) = (a.pointer, b.pointer, out.uniquePointer())
        let runs = StridedRuns(
            shape: shape,
            stridesA: Broadcast.strides(of: a.shape, in: shape),
            stridesB: Broadcast.strides(of: b.shape, in: shape)
        )
        runs.forEach { o, oa, ob, n, sa, sb in
            if sa == 1 && sb == 1 {
                for i in 0..<n { po[o + i] = op(pa[oa + i], pb[ob + i]) }
            } else if sa == 1 && sb == 0 {
                let y = pb[ob]
                for i in 0..<n { po[o + i] = op(pa[oa + i], y) }
            } else if sa == 0 && sb == 1 {
                let x = pa[oa]
                for i in 0..<n { po[o + i] = op(x, pb[ob + i]) }
            } else {
                for i in 0..<n { po[o + i] = op(pa[oa + i * sa], pb[ob + i * sb]) }
            }
        }
        return out
    }

    /// `op(element)` for every element.
    @inlinable
    public func map(_ op: (Float) -> Float) -> Tensor {
        var out = Tensor(uninitialized: shape)
        let (p, po) = (pointer, out.uniquePointer())
        for i in 0..<count { po[i] = op(p[i]) }
        return out
    }

    /// This tensor stretched to `target` (a copy), the forward of broadcasting.
    public func broadcast(to target: [Int]) -> Tensor {
        precondition(Broadcast.canStretch(shape, to: target), "broadcast: \(shape) cannot stretch to \(target)")
        if target == shape { return self }
        return stridedCopy(shape: target, sourceStrides: Broadcast.strides(of: shape, in: target))
    }

    /// A contiguous tensor of `shape` whose element at index `i` is this tensor's element at
    /// `Σ i[d] · sourceStrides[d]`: the one kernel behind broadcasting copies and permutations.
    func stridedCopy(shape outShape: [Int], sourceStrides: [Int]) -> Tensor {
        var out = Tensor(uninitialized: outShape)
        let (p, po) = (pointer, out.uniquePointer())
        let runs = StridedRuns(
            shape: outShape, stridesA: sourceStrides, stridesB: [Int](repeating: 0, count: outShape.count)
        )
        runs.forEach { o, oa, _, n, sa, _ in
            if sa == 1 {
                (po + o).update(from: p + oa, count: n)
            } else {
                for i in 0..<n { po[o + i] = p[oa + i * sa] }
            }
        }
        return out
    }

    /// Sums this tensor down to `target`, a shape it broadcasts from: the adjoint of
    /// ``broadcast(to:)`` and the gradient of every broadcasting op.
    public func sum(toShape target: [Int]) -> Tensor {
        precondition(Broadcast.canStretch(target, to: shape), "sum(toShape:): \(target) does not broadcast to \(shape)")
        if target == shape { return self }
        var out = Tensor(zeros: target)
        let (p, po) = (pointer, out.uniquePointer())
        // Walk the source contiguously ("out" of the walk) and scatter into the target.
        let runs = StridedRuns(
            shape: shape, stridesA: Broadcast.strides(of: target, in: shape),
            stridesB: [Int](repeating: 0, count: shape.count)
        )
        runs.forEach { o, oa, _, n, sa, _ in
            if sa == 1 {
                for i in 0..<n { po[oa + i] += p[o + i] }
            } else if sa == 0 {
                var total: Float = 0
                for i in 0..<n { total += p[o + i] }
                po[oa] += total
            } else {
                for i in 0..<n { po[oa + i * sa] += p[o + i] }
            }
        }
        return out
    }
}
