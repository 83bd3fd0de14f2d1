/// One batch of generator samples in token form: encoder inputs (the SIDs of each history, oldest
/// first, then the end token, right-padded), decoder inputs (start token then the target's first
/// `L − 1` tokens) and targets (the target's `L` tokens).
public struct SIDSequenceBatch: Sendable {
    /// Samples in the batch.
    public let size: Int
    /// Encoder positions per sample (the longest history's tokens + 1 for the end token).
    public let encoderLength: Int
    /// Tokens per SID (decoder positions).
    public let levels: Int
    /// `[size × encoderLength]` token IDs, padding = ``GeneratorVocabulary/padding``.
    public private(set) var encoderTokens: [Int32]
    /// `[size × encoderLength]`, true where the position is padding.
    public private(set) var encoderPadding: [Bool]
    /// `[size × levels]`: start token, then the target's tokens shifted right (teacher forcing).
    public private(set) var decoderInputs: [Int32]
    /// `[size × levels]`: the target's tokens (empty when built without targets).
    public private(set) var targets: [Int32]

    /// Builds a batch.
    /// - Parameters:
    ///   - histories: each sample's history as item indices, oldest first; only the last
    ///     `historyLimit` items are used.
    ///   - targets: each sample's target item, or nil for inference batches.
    ///   - itemTokens: `[items × levels]` token IDs (``GeneratorVocabulary/itemTokens(_:)``).
    ///   - levels: tokens per item.
    ///   - historyLimit: the most items of history read (32 in the paper).
    public init<H: Collection>(
        histories: [H], targets: [Int32]?, itemTokens: [Int32], levels: Int, historyLimit: Int = 32
    ) where H.Element == Int32 {
        precondition(
            targets == nil || targets!.count == histories.count,
            "SIDSequenceBatch: \(targets!.count) targets for \(histories.count) histories")
        size = histories.count
        self.levels = levels
        let lengths = histories.map { min($0.count, historyLimit) }
        encoderLength = (lengths.max() ?? 0) * levels + 1
        encoderTokens = Array(repeating: GeneratorVocabulary.padding, count: size * encoderLength)
        encoderPadding = Array(repeating: true, count: size * encoderLength)
        decoderInputs = Array(repeating: GeneratorVocabulary.start, count: size * levels)
        self.targets = []
        for (s, history) in histories.enumerated() {
            var position = s * encoderLength
            for item in history.suffix(lengths[s]) {
                for l in 0..<levels {
                    encoderTokens[position] = itemTokens[Int(item) * levels + l]
                    encoderPadding[position] = false
                    position += 1
                }
            }
            encoderTokens[position] = GeneratorVocabulary.end
            encoderPadding[position] = false
        }
        if let targets {
            self.targets.reserveCapacity(size * levels)
            for (s, target) in targets.enumerated() {
                for l in 0..<levels {
                    let token = itemTokens[Int(target) * levels + l]
                    self.targets.append(token)
                    if l + 1 < levels { decoderInputs[s * levels + l + 1] = token }
                }
            }
        }
    }
}
