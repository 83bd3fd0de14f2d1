extension Tensor {
    /// The tensor with its axes reordered: axis `i` of the result is axis `axes[i]` of this one
    /// (a copy).
    public func permuted(_ axes: [Int]) -> Tensor {
        precondition(
            axes.count == rank && Set(axes) == Set(0..<rank), "permuted: \(axes) is not a permutation of \(rank) axes")
        if axes == Array(0..<rank) { return self }
        let outShape = axes.map { shape[$0] }
        var strides = [Int](repeating: 1, count: rank)
        for i in stride(from: rank - 2, through: 0, by: -1) { strides[i] = strides[i + 1] * shape[i + 1] }
        return stridedCopy(shape: outShape, sourceStrides: axes.map { strides[$0] })
    }

    /// Copies `range` along `axis` (a copy).
    public func slice(axis: Int, range: Range<Int>) -> Tensor {
        precondition(
            axis >= 0 && axis < rank && range.lowerBound >= 0 && range.upperBound <= shape[axis],
            "slice: \(range) on axis \(axis) of \(shape)")
        var outShape = shape
        outShape[axis] = range.count
        var out = Tensor(uninitialized: outShape)
        let inner = shape[(axis + 1)...].reduce(1, *)
        let outer = shape[..<axis].reduce(1, *)
        let (p, po) = (pointer, out.uniquePointer())
        let (sourceBlock, block) = (shape[axis] * inner, range.count * inner)
        for o in 0..<outer {
            (po + o * block).update(from: p + o * sourceBlock + range.lowerBound * inner, count: block)
        }
        return out
    }

    /// Joins `parts` along `axis`; every other dimension must agree.
    public static func concat(_ parts: [Tensor], axis: Int) -> Tensor {
        precondition(!parts.isEmpty, "concat: no tensors")
        let first = parts[0].shape
        precondition(axis >= 0 && axis < first.count, "concat: axis \(axis) out of range for \(first)")
        for part in parts {
            precondition(
                part.rank == first.count && part.shape.indices.allSatisfy { $0 == axis || part.shape[$0] == first[$0] },
                "concat: \(part.shape) does not match \(first) off axis \(axis)"
            )
        }
        var outShape = first
        outShape[axis] = parts.reduce(0) { $0 + $1.shape[axis] }
        var out = Tensor(uninitialized: outShape)
        let inner = first[(axis + 1)...].reduce(1, *)
        let outer = first[..<axis].reduce(1, *)
        let po = out.uniquePointer()
        let outBlock = outShape[axis] * inner
        var column = 0
        for part in parts {
            let block = part.shape[axis] * inner
            let p = part.pointer
            for o in 0..<outer {
                (po + o * outBlock + column).update(from: p + o * block, count: block)
            }
            column += block
        }
        return out
    }
}
