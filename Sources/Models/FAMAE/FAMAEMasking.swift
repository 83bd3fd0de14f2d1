public import Tensor

/// FAMAE's masking rule for the target position: draw K uniformly from `1...J`, then
/// mask a uniformly random subset of K of the J fields. History positions are never masked, so
/// the rule only ever produces flags for the target.
public enum FAMAEMasking {
    /// One draw: `fieldCount` flags, `true` for a masked field; between 1 and `fieldCount` are set.
    public static func draw(fieldCount: Int, using random: inout SeededRandom) -> [Bool] {
        let k = 1 + random.int(below: fieldCount)
        var order = Array(0..<fieldCount)
        // Partial Fisher–Yates: the first k slots are a uniform k-subset.
        for i in 0..<k { order.swapAt(i, i + random.int(below: fieldCount - i)) }
        var flags = [Bool](repeating: false, count: fieldCount)
        for i in 0..<k { flags[order[i]] = true }
        return flags
    }

    /// Flags that mask exactly the fields in `fields`.
    public static func only(_ fields: [Int], fieldCount: Int) -> [Bool] {
        (0..<fieldCount).map { fields.contains($0) }
    }
}
