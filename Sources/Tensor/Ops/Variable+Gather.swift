extension Variable {
    /// Embedding lookup: the rows of this `[vocabulary, width]` table at `indices`.
    ///
    /// The gradient is scattered back (added) into the rows that were read, so a row used
    /// twice receives both contributions.
    ///
    /// - Parameters:
    ///   - indices: row indices in `0..<vocabulary`, row-major over `indexShape`.
    ///   - indexShape: the shape of `indices` (default `[indices.count]`).
    /// - Returns: `indexShape + [width]`.
    public func gather(rows indices: [Int], indexShape: [Int]? = nil) -> Variable {
        precondition(shape.count == 2, "gather: the table must be [vocabulary, width], got \(shape)")
        let (vocabulary, width) = (shape[0], shape[1])
        let outerShape = indexShape ?? [indices.count]
        precondition(
            Tensor.elementCount(outerShape) == indices.count, "gather: \(indices.count) indices for shape \(outerShape)"
        )
        var out = Tensor(uninitialized: outerShape + [width])
        let (pt, po) = (value.pointer, out.uniquePointer())
        for (i, index) in indices.enumerated() {
            precondition(index >= 0 && index < vocabulary, "gather: index \(index) outside 0..<\(vocabulary)")
            (po + i * width).update(from: pt + index * width, count: width)
        }
        return .result(out, parents: [self]) { [self] g in
            let (pg, target) = (g.pointer, gradPointer())
            for (i, index) in indices.enumerated() {
                let (row, source) = (target + index * width, pg + i * width)
                for j in 0..<width { row[j] += source[j] }
            }
        }
    }
}
