public import Models
public import Tokenizer

/// A SID generator assembled for decoding: the decoding session of the architecture a bundle or
/// checkpoint stores (causal or T5) and a trie-constrained beam search, built once and reused.
///
/// The one place that pairs a generator with its session and search, for every caller that
/// decodes (the daemon's variants, the offline evaluation's recommender, the generator
/// benchmark), so they cannot drift apart. Both halves keep their working buffers (KV caches,
/// beam arrays) from call to call, so decoding a batch allocates nothing once they have grown
/// to it; for the same reason a decoder serves one caller at a time (not thread-safe).
public final class GeneratorDecoder {
    /// The generator, as read from the bundle or checkpoint.
    public let model: SIDGeneratorModel
    /// The beam search (its buffers are reused across calls); callers may set its
    /// ``ConstrainedBeamSearch/coldItemScoring``.
    public let beamSearch: ConstrainedBeamSearch
    /// The decoder of `model`'s architecture, over a snapshot of its parameters taken at init.
    private let session: any SIDDecodingSession

    /// A decoder for `model` with `beamWidth` beams per user.
    ///
    /// The session reads a snapshot of the parameters: create a new decoder after further
    /// training.
    public init(model: SIDGeneratorModel, beamWidth: Int) {
        self.model = model
        let vocabulary = model.vocabulary
        session = model.makeSession()
        beamSearch = ConstrainedBeamSearch(
            beamWidth: beamWidth, tokenOffsets: vocabulary.levelOffsets, unconstrainedTokens: vocabulary.sidTokens)
        beamSearch.normalizesOverChildren = model.softmaxOverTrie
    }

    /// Beams per user.
    public var beamWidth: Int { beamSearch.beamWidth }

    /// Reads a batch of histories (the T5 encoder pass; the causal prefix layout); the next
    /// ``search(users:trie:constrained:excluding:)`` decodes for them.
    /// - Parameters:
    ///   - histories: catalogue indices, oldest first; every item must have tokens.
    ///   - itemTokens: `[items × levels]` generator tokens of the catalogue.
    public func start(histories: [ArraySlice<Int32>], itemTokens: [Int32]) {
        session.start(histories: histories, itemTokens: itemTokens)
    }

    /// Runs the beam search for the `users` histories of the last ``start(histories:itemTokens:)``.
    /// - Parameters:
    ///   - trie: the catalogue the beams are constrained to and mapped to items with.
    ///   - constrained: false switches the trie constraint off (to measure invalid beams).
    ///   - excluding: empty, or per user the items no beam may end on.
    public func search(
        users: Int, trie: SIDTrie, constrained: Bool = true, excluding: [ArraySlice<Int32>] = []
    ) -> BeamSearchResult {
        var scorer = session
        return beamSearch.search(&scorer, users: users, trie: trie, constrained: constrained, excluding: excluding)
    }

    /// ``start(histories:itemTokens:)`` then ``search(users:trie:constrained:excluding:)``:
    /// every finished beam of every history.
    public func decode(
        histories: [ArraySlice<Int32>], itemTokens: [Int32], trie: SIDTrie, constrained: Bool = true,
        excluding: [ArraySlice<Int32>] = []
    ) -> BeamSearchResult {
        start(histories: histories, itemTokens: itemTokens)
        return search(users: histories.count, trie: trie, constrained: constrained, excluding: excluding)
    }
}
