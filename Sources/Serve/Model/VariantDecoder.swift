import Inference
import Models
import Synchronization
import Tensor
import Tokenizer

/// Decodes next-item predictions for many users at once with one bundle's generator (causal or
/// T5): one pass over the histories and one trie-constrained beam search over the whole
/// micro-batch, so every GEMM has `users × beams` rows. The search and the session are the
/// ``GeneratorDecoder`` assembly from `Inference`; this adds the live catalogue, deleted items
/// and the new-item uptake blend.
///
/// The beam search and the decoder session keep reusable working buffers, so a decoder is used
/// by one caller at a time: the lock serialises callers (the daemon decodes each variant from
/// one task anyway). The async form runs the pass on the decoder's own dispatch queue: a pass is
/// hundreds of milliseconds of GEMMs that must not hold one of the cooperative pool's few
/// threads.
public final class VariantDecoder: Sendable {
    /// One user's ranked items: catalogue indices and sequence log-probabilities, best first.
    public struct Ranking: Sendable, Equatable {
        public var items: [Int32]
        public var scores: [Float]
    }

    /// What one decode pass saw.
    public struct PassStatistics: Sendable {
        /// Live beams returned.
        public var beams = 0
        /// Beams that were no item (0 while the trie constrains).
        public var invalidBeams = 0
    }

    private let decoder: Mutex<DecoderBox>
    private let queue = BlockingQueue(label: "resid.serve.decode")
    /// Beams per user.
    public let beamWidth: Int

    /// A decoder for `bundle` with `beamWidth` beams per user.
    public init(bundle: ServingBundle, beamWidth: Int) {
        self.beamWidth = beamWidth
        decoder = Mutex(DecoderBox(GeneratorDecoder(model: bundle.generator, beamWidth: beamWidth)))
    }

    /// ``decode(histories:catalog:k:excludeHistory:)`` on the decoder's dispatch queue.
    public func decodeOffPool(
        histories: [[Int32]], catalog: ServingCatalog.Snapshot, k: Int, excludeHistory: Bool = false
    ) async -> (rankings: [Ranking], statistics: PassStatistics) {
        await queue.run {
            self.decode(histories: histories, catalog: catalog, k: k, excludeHistory: excludeHistory)
        }
    }

    /// Decodes `histories` (catalogue indices, oldest first; items without tokens must already be
    /// left out) against `catalog` and returns each user's best `k` items that are not deleted
    /// and, with `excludeHistory`, not in that user's history (the search cuts them at the last
    /// level, so the beams go to the best items left).
    ///
    /// With the catalogue's ``ServingCatalog/Snapshot/uptakeBonus`` (`serve.newItemUptakeWeight`
    /// w > 0) an online item's score gains `w ·` its log uptake share inside the search: the
    /// generator judges the user's taste for the item's group, the live counts say how much the
    /// item is being taken up, which nothing trained before it could know. Items of average
    /// uptake keep their score, and a partial beam is ranked by the best bonus still reachable
    /// below it, so a taken-up item whose group the generator alone would have pruned can still
    /// be found. The returned scores include the bonus.
    public func decode(
        histories: [[Int32]], catalog: ServingCatalog.Snapshot, k: Int, excludeHistory: Bool = false
    ) -> (rankings: [Ranking], statistics: PassStatistics) {
        guard !histories.isEmpty else { return ([], PassStatistics()) }
        let result = decoder.withLock { box in
            let slices = histories.map { $0[...] }
            box.decoder.beamSearch.bonus = catalog.uptakeBonus
            return box.decoder.decode(
                histories: slices, itemTokens: catalog.tokens, trie: catalog.trie,
                excluding: excludeHistory ? slices : [])
        }
        var rankings: [Ranking] = []
        rankings.reserveCapacity(histories.count)
        for user in 0..<histories.count {
            var ranking = Ranking(items: [], scores: [])
            ranking.items.reserveCapacity(k)
            ranking.scores.reserveCapacity(k)
            for row in (user * result.width)..<((user + 1) * result.width) where ranking.items.count < k {
                let item = result.items[row]
                guard item >= 0, !catalog.removed.contains(item) else { continue }
                ranking.items.append(item)
                ranking.scores.append(result.scores[row])
            }
            rankings.append(ranking)
        }
        return (rankings, PassStatistics(beams: result.beams, invalidBeams: result.invalidBeams))
    }
}

/// The generator decoder (search and session) behind the variant decoder's lock; it never
/// leaves the lock.
private final class DecoderBox: @unchecked Sendable {
    let decoder: GeneratorDecoder
    init(_ decoder: GeneratorDecoder) { self.decoder = decoder }
}
