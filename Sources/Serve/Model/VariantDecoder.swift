import Dispatch
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
    private let queue = DispatchQueue(label: "resid.serve.decode")
    /// Beams per user.
    public let beamWidth: Int

    /// A decoder for `bundle` with `beamWidth` beams per user.
    public init(bundle: ServingBundle, beamWidth: Int) {
        self.beamWidth = beamWidth
        decoder = Mutex(DecoderBox(GeneratorDecoder(model: bundle.generator, beamWidth: beamWidth)))
    }

    /// ``decode(histories:catalog:k:excludeHistory:uptakeWeight:)`` on the decoder's dispatch queue.
    public func decodeOffPool(
        histories: [[Int32]], catalog: ServingCatalog.Snapshot, k: Int, excludeHistory: Bool = false,
        uptakeWeight: Float = 0
    ) async -> (rankings: [Ranking], statistics: PassStatistics) {
        await withCheckedContinuation { continuation in
            queue.async {
                continuation.resume(
                    returning: self.decode(
                        histories: histories, catalog: catalog, k: k, excludeHistory: excludeHistory,
                        uptakeWeight: uptakeWeight))
            }
        }
    }

    /// Decodes `histories` (catalogue indices, oldest first; items without tokens must already be
    /// left out) against `catalog` and returns each user's best `k` items that are not deleted
    /// and, with `excludeHistory`, not in that user's history (the search cuts them at the last
    /// level, so the beams go to the best items left).
    ///
    /// With `uptakeWeight` w > 0 an online item's beam score gains `w ·` its
    /// ``ServingCatalog/Snapshot/uptakeLogShare`` before the beams are cut to `k`: the
    /// generator judges the user's taste for the item's group, the live counts say how much
    /// the item is being taken up, which nothing trained on before it could know. Items of
    /// average uptake keep their score. The blend re-ranks the finished beams, so it lifts new
    /// items the search kept, not ones it pruned.
    public func decode(
        histories: [[Int32]], catalog: ServingCatalog.Snapshot, k: Int, excludeHistory: Bool = false,
        uptakeWeight: Float = 0
    ) -> (rankings: [Ranking], statistics: PassStatistics) {
        guard !histories.isEmpty else { return ([], PassStatistics()) }
        let result = decoder.withLock { box in
            let slices = histories.map { $0[...] }
            return box.decoder.decode(
                histories: slices, itemTokens: catalog.tokens, trie: catalog.trie,
                excluding: excludeHistory ? slices : [])
        }
        var rankings: [Ranking] = []
        rankings.reserveCapacity(histories.count)
        let shares = uptakeWeight > 0 ? catalog.uptakeLogShare : []
        var beams: [(score: Float, item: Int32)] = []
        beams.reserveCapacity(result.width)
        for user in 0..<histories.count {
            beams.removeAll(keepingCapacity: true)
            var blended = false
            for j in 0..<result.width {
                let row = user * result.width + j
                let item = result.items[row]
                guard item >= 0, !catalog.removed.contains(item) else { continue }
                var score = result.scores[row]
                let online = Int(item) - catalog.firstOnline
                if online >= 0, online < shares.count {
                    score += uptakeWeight * shares[online]
                    blended = true
                }
                beams.append((score, item))
            }
            // An in-place insertion sort: the beams are few and already in the search's order, so
            // this is stable (equal blended scores keep that order) and allocates nothing.
            if blended {
                for i in beams.indices.dropFirst() {
                    let beam = beams[i]
                    var j = i
                    while j > 0, beams[j - 1].score < beam.score {
                        beams[j] = beams[j - 1]
                        j -= 1
                    }
                    beams[j] = beam
                }
            }
            let kept = beams.prefix(k)
            rankings.append(Ranking(items: kept.map(\.item), scores: kept.map(\.score)))
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
