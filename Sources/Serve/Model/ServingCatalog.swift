import Foundation
public import Models
import Synchronization
public import Tokenizer

/// One bundle's live catalogue: the frozen items plus every item whose SID was assigned online
/// (by any instance, learned from the item-SID topic or from Redis), with the trie that
/// constrains decoding.
///
/// Concurrency design: one lock around a value state. Readers take a ``Snapshot`` (array and trie
/// values: reference-count increments, no copying) and decode from it without the lock; a writer
/// that mutates while a snapshot is alive pays one copy-on-write, so SIDs arrive in batches.
public final class ServingCatalog: Sendable {
    /// An immutable view of the catalogue for one decode pass.
    public struct Snapshot: Sendable {
        /// Item keys by catalogue index.
        public let keys: [String]
        /// Catalogue index by item key.
        public let indexByKey: [String: Int32]
        /// `[items × 3]` SID codes.
        public let codes: [Int32]
        /// `[items × 3]` generator tokens; `-1` rows for items whose SID the generator cannot
        /// emit (a level-3 code past its vocabulary): they are known but not decodable.
        public let tokens: [Int32]
        /// Every decodable, not deleted item.
        public let trie: SIDTrie
        /// Deleted items (still in the trie, filtered from predictions).
        public let removed: Set<Int32>
        /// Catalogue index of the first item that took its SID online.
        public let firstOnline: Int
        /// Per online item (index − ``firstOnline``) as last read from Redis:
        /// `log((n + 1) · N / Σ (n' + 1))` over the `N` online items, `n` its applied
        /// interactions; 0 for average uptake, and empty until the first read.
        public let uptakeLogShare: [Float]
        /// `weight · uptakeLogShare` per online item, with the per-node bounds the beam search
        /// uses to keep a taken-up item's prefix (see ``ItemScoreBonus``); nil until the first
        /// read, or with weight 0.
        public let uptakeBonus: ItemScoreBonus?

        /// The SID of item `index`.
        public func sid(_ index: Int32) -> [Int] {
            let base = Int(index) * 3
            return [Int(codes[base]), Int(codes[base + 1]), Int(codes[base + 2])]
        }
    }

    /// What one insert changed.
    public struct InsertOutcome: Sendable, Equatable {
        /// Items new to this catalogue.
        public var added = 0
        /// Items added but not decodable by this bundle's generator.
        public var undecodable = 0
        /// Entries refused because the item already has another SID or the SID has another item.
        public var conflicts = 0
    }

    private struct State: Sendable {
        var keys: [String]
        var indexByKey: [String: Int32]
        var codes: [Int32]
        var tokens: [Int32]
        var trie: SIDTrie
        var removed: Set<Int32> = []
        var online = 0
        var undecodable = 0
        var uptakeLogShare: [Float] = []
        var uptakeBonus: ItemScoreBonus?
        var uptakeReadAt: ContinuousClock.Instant?
    }

    /// The bundle.
    public let bundle: ServingBundle
    private let state: Mutex<State>
    private let levelOffsets: [Int]
    private let levelSizes: [Int]

    /// A catalogue holding the bundle's frozen items.
    ///
    /// - Throws: ``ServeError`` `.invalidBundle` if the generator's vocabulary is not 3 levels or
    ///   the bundle's SIDs do not fit it.
    public init(bundle: ServingBundle) throws {
        self.bundle = bundle
        let vocabulary = bundle.generator.vocabulary
        guard vocabulary.levels == 3 else {
            throw ServeError(
                .invalidBundle,
                "\(bundle.directory.path): the generator decodes \(vocabulary.levels) levels; serving needs 3 (GAOQ)")
        }
        levelOffsets = vocabulary.levelOffsets
        levelSizes = vocabulary.levelSizes
        var trie: SIDTrie
        do { trie = try SIDTrie(levels: 3) } catch { throw ServeError(.invalidBundle, "\(error)") }
        // Items appended after the bundle's own took their SIDs online: the search scores them
        // with the cold-start prior.
        trie.firstColdItem = Int32(bundle.keys.count)
        var codes: [Int32] = []
        var tokens: [Int32] = []
        var indexByKey: [String: Int32] = [:]
        codes.reserveCapacity(bundle.keys.count * 3)
        tokens.reserveCapacity(bundle.keys.count * 3)
        indexByKey.reserveCapacity(bundle.keys.count)
        for (index, (key, sid)) in zip(bundle.keys, bundle.sids).enumerated() {
            guard indexByKey.updateValue(Int32(index), forKey: key) == nil else {
                throw ServeError(.invalidBundle, "\(bundle.directory.path): items.json lists item `\(key)` twice")
            }
            guard Self.decodable(sid, sizes: levelSizes) else {
                throw ServeError(
                    .invalidBundle,
                    "\(bundle.directory.path): item `\(key)` has SID \(sid), outside the generator's vocabulary \(levelSizes)"
                )
            }
            do { try trie.insert(codes: sid, item: index) } catch {
                throw ServeError(.invalidBundle, "\(bundle.directory.path): \(error)")
            }
            for level in 0..<3 {
                codes.append(Int32(sid[level]))
                tokens.append(Int32(levelOffsets[level] + sid[level]))
            }
        }
        state = Mutex(State(keys: bundle.keys, indexByKey: indexByKey, codes: codes, tokens: tokens, trie: trie))
    }

    private static func decodable(_ sid: [Int], sizes: [Int]) -> Bool {
        sid.count == sizes.count && zip(sid, sizes).allSatisfy { $0 >= 0 && $0 < $1 }
    }

    /// The current catalogue.
    public func snapshot() -> Snapshot {
        state.withLock {
            Snapshot(
                keys: $0.keys, indexByKey: $0.indexByKey, codes: $0.codes, tokens: $0.tokens, trie: $0.trie,
                removed: $0.removed,
                firstOnline: bundle.keys.count, uptakeLogShare: $0.uptakeLogShare, uptakeBonus: $0.uptakeBonus)
        }
    }

    /// True if `key` took its SID online (it is not one of the bundle's own items).
    public func isOnline(_ key: String) -> Bool {
        state.withLock { $0.indexByKey[key].map { Int($0) >= bundle.keys.count } ?? false }
    }

    /// The online items' keys, in catalogue order, when their uptake was last read at least
    /// `interval` ago (the call marks it read now); nil when not due or there are none.
    public func uptakeReadDue(every interval: Duration, now: ContinuousClock.Instant = .now) -> [String]? {
        state.withLock { state in
            guard state.keys.count > bundle.keys.count, state.uptakeReadAt.map({ now - $0 >= interval }) ?? true else {
                return nil
            }
            state.uptakeReadAt = now
            return Array(state.keys[bundle.keys.count...])
        }
    }

    /// Stores the applied-interaction counts read for the first `counts.count` online items
    /// (items added since count as 0) as their log uptake share, and `weight` times it as the
    /// beam search's bonus for them (built here, at most once a second, so decoding allocates
    /// nothing for it).
    public func setUptake(_ counts: [Int], weight: Float) {
        state.withLock { state in
            let online = state.keys.count - bundle.keys.count
            guard online > 0 else { return }
            var smoothed = [Float](repeating: 1, count: online)
            for (index, count) in counts.prefix(online).enumerated() { smoothed[index] = Float(max(count, 0) + 1) }
            let scale = Float(online) / smoothed.reduce(0, +)
            state.uptakeLogShare = smoothed.map { logf($0 * scale) }
            let first = Int32(bundle.keys.count)
            state.uptakeBonus =
                weight > 0
                ? ItemScoreBonus(
                    trie: state.trie,
                    bonuses: state.uptakeLogShare.enumerated().lazy.map { (first + Int32($0), weight * $1) })
                : nil
        }
    }

    /// The catalogue index of `key`, if known.
    public func index(of key: String) -> Int32? {
        state.withLock { $0.indexByKey[key] }
    }

    /// True if `key` is a known, not deleted item.
    public func contains(_ key: String) -> Bool {
        state.withLock { state in state.indexByKey[key].map { !state.removed.contains($0) } ?? false }
    }

    /// The SID of `key`, if known.
    public func sid(of key: String) -> [Int]? {
        state.withLock { state in
            state.indexByKey[key].map { index in (0..<3).map { Int(state.codes[Int(index) * 3 + $0]) } }
        }
    }

    /// The item that holds `sid`, if any: frozen or online, deleted ones included (a deleted
    /// item's SID is never reused).
    public func holder(of sid: [Int]) -> String? {
        guard sid.count == 3 else { return nil }
        return state.withLock { state in
            if let index = state.trie.item(codes: sid) { return state.keys[index] }
            // Decodable SIDs are all in the trie; only undecodable online ones need the scan.
            guard !Self.decodable(sid, sizes: levelSizes) else { return nil }
            for index in bundle.keys.count..<state.keys.count {
                let base = index * 3
                if (0..<3).allSatisfy({ Int(state.codes[base + $0]) == sid[$0] }) { return state.keys[index] }
            }
            return nil
        }
    }

    /// The items added online, with their SIDs, in the order they were added.
    public func onlineEntries() -> [(item: String, sid: [Int])] {
        state.withLock { state in
            (bundle.keys.count..<state.keys.count).map { index in
                (state.keys[index], (0..<3).map { Int(state.codes[index * 3 + $0]) })
            }
        }
    }

    /// Items in the catalogue, frozen and online.
    public var count: Int { state.withLock { $0.keys.count } }
    /// Items added online.
    public var onlineCount: Int { state.withLock { $0.online } }
    /// Online items the generator cannot decode.
    public var undecodableCount: Int { state.withLock { $0.undecodable } }

    /// Adds items with their SIDs. Re-adding an item with the same SID changes nothing (the
    /// item-SID topic is replayed from the start by every instance); a deleted item that comes
    /// back with its SID is restored.
    public func insert(_ entries: [(item: String, sid: [Int])]) -> InsertOutcome {
        var outcome = InsertOutcome()
        guard !entries.isEmpty else { return outcome }
        state.withLock { state in
            for (item, sid) in entries {
                guard sid.count == 3, sid.allSatisfy({ $0 >= 0 && $0 < Int(Int32.max) }), !item.isEmpty else {
                    outcome.conflicts += 1
                    continue
                }
                if let index = state.indexByKey[item] {
                    let base = Int(index) * 3
                    if (0..<3).allSatisfy({ Int(state.codes[base + $0]) == sid[$0] }) {
                        state.removed.remove(index)
                    } else {
                        outcome.conflicts += 1
                    }
                    continue
                }
                let index = Int32(state.keys.count)
                let isDecodable = Self.decodable(sid, sizes: levelSizes)
                if isDecodable {
                    if state.trie.item(codes: sid) != nil {
                        outcome.conflicts += 1
                        continue
                    }
                    do { try state.trie.insert(codes: sid, item: Int(index)) } catch {
                        outcome.conflicts += 1
                        continue
                    }
                }
                state.keys.append(item)
                state.indexByKey[item] = index
                for level in 0..<3 {
                    state.codes.append(Int32(sid[level]))
                    state.tokens.append(isDecodable ? Int32(levelOffsets[level] + sid[level]) : -1)
                }
                state.online += 1
                outcome.added += 1
                if !isDecodable {
                    state.undecodable += 1
                    outcome.undecodable += 1
                }
            }
        }
        return outcome
    }

    /// Marks an item deleted: it stays known (its SID is never reused) but is no longer predicted.
    public func remove(_ item: String) {
        state.withLock { state in
            if let index = state.indexByKey[item] { state.removed.insert(index) }
        }
    }
}
