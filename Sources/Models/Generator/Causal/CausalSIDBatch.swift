/// Training windows of the causal generator in token form.
///
/// A window of `m` items (history and target, oldest first) becomes the token sequence
/// `[start, t(0,0), t(0,1), t(0,2), t(1,0), ...]`, and the model reads all of it but the last
/// token: `levels · m` input positions, position `i` predicting token `i + 1`. Each position
/// carries three embeddings: its token, its level (the start token has a level of its own,
/// ``levelCount``−1) and its item slot (the item's index in the window; the start token takes
/// slot 0). The targets are the tokens of every item but the first, so a window with `k`
/// history items teaches `k` next items (`levels · k` tokens): the first item has no history in
/// the window and is taught by the window before it.
public struct CausalSIDBatch: Sendable {
    /// Windows in the batch.
    public let size: Int
    /// Input positions per window (the longest window's; shorter ones are right-padded).
    public let length: Int
    /// `[size × length]` token ids (padding 0).
    public private(set) var tokens: [Int]
    /// `[size × length]` level ids (0 ..< levels for SID tokens, `levels` for the start token).
    public private(set) var levels: [Int]
    /// `[size × length]` item slots.
    public private(set) var slots: [Int]
    /// Flat `window · length + position` indices of the positions with a target.
    public private(set) var targetRows: [Int] = []
    /// The token each of ``targetRows`` must predict.
    public private(set) var targets: [Int] = []
    /// Which item and level each target is, as `item · levels + level` (for ``SIDPrefixMasks``).
    public private(set) var targetItemLevels: [Int] = []

    /// - Parameters:
    ///   - windows: each window's items, oldest first (the history, then the target); only the
    ///     last `historyLimit + 1` are used.
    ///   - itemTokens: `[items × levels]` token ids.
    ///   - levelCount: tokens per item.
    public init<W: Collection>(windows: [W], itemTokens: [Int32], levelCount: Int, historyLimit: Int)
    where W.Element == Int32 {
        size = windows.count
        let kept = windows.map { min($0.count, historyLimit + 1) }
        length = max(1, (kept.max() ?? 0) * levelCount)
        tokens = Array(repeating: Int(GeneratorVocabulary.padding), count: size * length)
        levels = Array(repeating: levelCount, count: size * length)
        slots = Array(repeating: 0, count: size * length)
        for (w, window) in windows.enumerated() {
            let items = window.suffix(kept[w])
            let row = w * length
            tokens[row] = Int(GeneratorVocabulary.start)
            for (j, item) in items.enumerated() {
                for l in 0..<levelCount {
                    let sequenceIndex = 1 + j * levelCount + l
                    let token = Int(itemTokens[Int(item) * levelCount + l])
                    if j >= 1 {
                        targetRows.append(row + sequenceIndex - 1)
                        targets.append(token)
                        targetItemLevels.append(Int(item) * levelCount + l)
                    }
                    // The last token is only ever a target.
                    guard sequenceIndex < kept[w] * levelCount else { continue }
                    tokens[row + sequenceIndex] = token
                    levels[row + sequenceIndex] = l
                    slots[row + sequenceIndex] = j
                }
            }
        }
    }
}
