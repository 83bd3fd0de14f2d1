public import Evaluation
public import Inference
public import Models
import Tensor
public import Tokenizer

/// A SID generator of either architecture as a ``SequenceRecommender``: read each history's
/// SIDs, decode with the trie-constrained beam search, and return the items of the best beams.
///
/// The decoding itself is a ``GeneratorDecoder`` (the assembly the daemon and the benchmark use
/// too): it decodes with a snapshot of the model's parameters taken at init, in one reusable
/// session; create a new recommender after further training.
public final class GeneratorRecommender: SequenceRecommender {
    public let name: String
    /// The session and the search (their buffers are reused across calls).
    public let decoder: GeneratorDecoder
    /// `[items × levels]` tokens of every catalogue item.
    public let itemTokens: [Int32]
    /// The catalogue the search is constrained to.
    public var trie: SIDTrie
    /// False switches the trie constraint off (to measure invalid beams).
    public var constrained = true
    /// Beams returned and invalid beams seen over all calls.
    public private(set) var beams = 0
    public private(set) var invalidBeams = 0

    /// The generator.
    public var model: SIDGeneratorModel { decoder.model }
    /// The search (its ``ConstrainedBeamSearch/coldItemScoring`` may be set).
    public var search: ConstrainedBeamSearch { decoder.beamSearch }

    /// - Parameters:
    ///   - table: every item's codes, in the item order of the dataset.
    ///   - beamWidth: beams per user (50).
    public init(name: String = "resid-generator", model: SIDGeneratorModel, table: SIDTable, beamWidth: Int = 50) throws
    {
        self.name = name
        itemTokens = try model.vocabulary.itemTokens(table)
        trie = try SIDTrie(table: table)
        decoder = GeneratorDecoder(model: model, beamWidth: beamWidth)
    }

    public func recommend(histories: [ArraySlice<Int32>], k: Int, excluding: [ArraySlice<Int32>]) throws -> [[Int32]] {
        let items = itemTokens.count / model.vocabulary.levels
        for (row, history) in histories.enumerated() {
            if let bad = history.first(where: { $0 < 0 || Int($0) >= items }) {
                throw SequenceModelError(
                    .invalidInput, "history \(row) refers to item \(bad); the generator knows items 0..<\(items)")
            }
        }
        guard excluding.isEmpty || excluding.count == histories.count else {
            throw SequenceModelError(
                .invalidInput, "\(excluding.count) exclusion lists for \(histories.count) histories")
        }
        let result = decode(histories, excluding: excluding)
        return (0..<histories.count).map { result.ranking(user: $0, k: k) }
    }

    /// Runs the beam search for a batch of histories and returns every finished beam; no beam
    /// ends on an item of the user's `excluding` list.
    public func decode(_ histories: [ArraySlice<Int32>], excluding: [ArraySlice<Int32>] = []) -> BeamSearchResult {
        let result = decoder.decode(
            histories: histories, itemTokens: itemTokens, trie: trie, constrained: constrained, excluding: excluding)
        beams += result.beams
        invalidBeams += result.invalidBeams
        return result
    }

    /// Clears the beam counters.
    public func resetCounters() {
        beams = 0
        invalidBeams = 0
    }
}
