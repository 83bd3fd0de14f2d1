import Synchronization

/// A ``SIDTrie`` that takes new SIDs while other threads decode against it.
///
/// Concurrency design: readers never hold a lock while decoding. ``snapshot()`` takes the lock
/// only to copy the current `SIDTrie` value (a few reference-count increments), and the
/// snapshot is an immutable value that later inserts cannot change, so one beam search sees one
/// consistent catalogue from start to end. ``insert(_:)`` mutates under the same lock; when a
/// reader still holds the previous snapshot, copy-on-write duplicates the node table once for
/// that insert, so batches of SIDs should go through one ``insert(_:)`` call. A new SID is
/// decodable by every search that takes its snapshot after the insert returns.
public final class LiveSIDTrie: Sendable {
    private let current: Mutex<SIDTrie>

    /// Wraps an initial trie (for example the bundle's frozen item table).
    public init(_ trie: SIDTrie) {
        current = Mutex(trie)
    }

    /// The current catalogue, as an immutable value.
    public func snapshot() -> SIDTrie {
        current.withLock { $0 }
    }

    /// Adds a batch of (item, SID) pairs atomically: a snapshot sees all of them or none.
    /// Re-inserting an existing pair is a no-op (replay of the SID log is idempotent).
    /// - Throws: ``TokenizerError`` for a SID that already belongs to another item, or an item
    ///   whose SID would change; the trie is left as it was before the call.
    public func insert(_ entries: [(item: Int, codes: [Int])]) throws {
        try current.withLock { trie in
            var next = trie
            for entry in entries { try next.insert(codes: entry.codes, item: entry.item) }
            trie = next
        }
    }

    /// Number of items in the current catalogue.
    public var count: Int { current.withLock { $0.count } }
}
