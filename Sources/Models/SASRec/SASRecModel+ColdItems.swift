public import Tensor

extension SASRecModel {
    /// Scores of every catalogue item and of `coldItemFields.count` items the model never
    /// trained on, `[histories, itemCount + cold]` (no dropout, no gradients). Histories may
    /// hold cold items as indices `itemCount ..< itemCount + cold`.
    ///
    /// A cold item has no trained ID embedding, so its representation is its field embeddings
    /// alone (a multi-valued field the mean of its known values', as for catalogue items): what
    /// SASRec* knows of an item that appeared after training. Without fields (plain SASRec) a
    /// cold item is the zero vector.
    /// - Parameter coldItemFields: per cold item, its codes in each of ``fields`` (in order).
    public func scores<H: Collection>(histories: [H], coldItemFields: [[[Int32]]]) -> Tensor where H.Element == Int32 {
        let d = configuration.width
        var cold = Tensor(zeros: [coldItemFields.count, d])
        cold.withUnsafeMutableBufferPointer { out in
            for (item, codes) in coldItemFields.enumerated() {
                for (index, field) in fields.enumerated() where index < codes.count {
                    let multi = field.codes.contains { $0.count != 1 }
                    let values = multi ? codes[index].filter { $0 != 0 } : Array(codes[index].prefix(1))
                    guard !values.isEmpty else { continue }
                    fieldEmbeddings[index].value.withUnsafeBufferPointer { table in
                        for value in values where Int(value) < field.vocabularySize {
                            for j in 0..<d { out[item * d + j] += table[Int(value) * d + j] / Float(values.count) }
                        }
                    }
                }
            }
        }
        return GradMode.withoutGrad {
            var mode = ForwardMode.inference
            let items = Variable.concat([itemVectors(), Variable(cold)], axis: 0)
            return Variable.matmul(lastStates(histories, items: items, mode: &mode), items, transposeB: true).value
        }
    }
}
