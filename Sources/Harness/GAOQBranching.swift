/// The GAOQ / k-means branching b1,b2 of a run: as given (`--branching b1,b2`), or
/// round(sqrt(items / 15)) each, which gives level-3 groups of about 15 items.
struct GAOQBranching {
    var b1: Int
    var b2: Int

    /// Parses `text` (nil: the default for `items`).
    /// - Throws: ``InvalidSettings`` unless it is two integers, both at least 2.
    init(_ text: String?, items: Int) throws {
        let side = max(2, Int((Double(items) / 15).squareRoot().rounded()))
        let parts = (text ?? "\(side),\(side)").split(separator: ",").compactMap { Int($0) }
        guard parts.count == 2, parts.allSatisfy({ $0 >= 2 }) else {
            throw InvalidSettings("--branching must be b1,b2 with both at least 2")
        }
        (b1, b2) = (parts[0], parts[1])
    }
}
