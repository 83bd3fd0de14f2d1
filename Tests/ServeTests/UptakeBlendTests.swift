import Foundation
import Logging
import Models
import Testing
import Tokenizer

@testable import Serve

/// The daemon's scoring of online items by their live uptake (`serve.newItemUptakeWeight`),
/// on the real synthetic test bundle.
@Suite("New-item uptake blend")
struct UptakeBlendTests {
    @Test("uptake counts become log shares against the other online items, average uptake 0")
    func uptakeLogShares() throws {
        let catalog = try Self.catalogWithTwoOnlineItems().catalog
        catalog.setUptake([3], weight: 2)  // the second online item has no count yet: 0
        let shares = catalog.snapshot().uptakeLogShare
        // Smoothed counts 4 and 1 over 2 items: shares 8/5 and 2/5.
        #expect(shares.count == 2)
        #expect(abs(shares[0] - logf(8 / 5)) < 1e-6)
        #expect(abs(shares[1] - logf(2 / 5)) < 1e-6)

        let start = ContinuousClock.now
        #expect(catalog.uptakeReadDue(every: .seconds(1), now: start) == ["online-a", "online-b"])
        #expect(catalog.uptakeReadDue(every: .seconds(1), now: start + .milliseconds(500)) == nil)
        #expect(catalog.uptakeReadDue(every: .seconds(1), now: start + .seconds(1)) != nil)
    }

    @Test("a weighted blend lifts the online item being taken up and drops the ignored one; weight 0 changes nothing")
    func blendReranksOnlineItems() throws {
        let (catalog, decoder) = try Self.catalogWithTwoOnlineItems()
        let history = [[Int32(0), 1, 2]]
        let before = decoder.decode(histories: history, catalog: catalog.snapshot(), k: 10).rankings[0]
        let full = decoder.decode(histories: history, catalog: catalog.snapshot(), k: 1000).rankings[0]
        let a = try #require(catalog.index(of: "online-a"))
        let b = try #require(catalog.index(of: "online-b"))
        // The beam is wider than the catalogue, so the search keeps every item.
        try #require(full.items.contains(a) && full.items.contains(b))

        catalog.setUptake([100, 0], weight: 0)
        #expect(catalog.snapshot().uptakeBonus == nil)
        let unweighted = decoder.decode(histories: history, catalog: catalog.snapshot(), k: 10).rankings[0]
        #expect(unweighted.items == before.items)
        catalog.setUptake([100, 0], weight: 64)
        let blended = decoder.decode(histories: history, catalog: catalog.snapshot(), k: 10).rankings[0]
        #expect(blended.items.first == a)
        #expect(!blended.items.contains(b))
        #expect(blended.scores == blended.scores.sorted(by: >))
        // The bundle's own items keep their order below it.
        #expect(Array(blended.items.dropFirst()) == Array(full.items.filter { $0 != a && $0 != b }.prefix(9)))
    }

    @Test("the search keeps the path to a taken-up online item that a narrow beam alone prunes")
    func blendLiftsAnItemTheNarrowSearchPrunes() throws {
        let (catalog, decoder) = try Self.catalogWithTwoOnlineItems(beamWidth: 2)
        let history = [[Int32(0), 1, 2]]
        let plain = decoder.decode(histories: history, catalog: catalog.snapshot(), k: 2).rankings[0]
        let online = try ["online-a", "online-b"].map { try #require(catalog.index(of: $0)) }
        let pruned = try #require(online.firstIndex { !plain.items.contains($0) })
        var counts = [0, 0]
        counts[pruned] = 1_000
        catalog.setUptake(counts, weight: 64)
        let lifted = decoder.decode(histories: history, catalog: catalog.snapshot(), k: 2).rankings[0]
        #expect(lifted.items.first == online[pruned])
    }

    /// The test bundle's catalogue with two items added online on free codes, and its decoder
    /// (by default with a beam wider than the catalogue).
    static func catalogWithTwoOnlineItems(
        beamWidth: Int = 512
    ) throws -> (catalog: ServingCatalog, decoder: VariantDecoder) {
        let set = try VariantSet(
            variants: [VariantSpec(name: "control", path: TestBundle.url.path, share: 1)], salt: "s",
            beamWidth: beamWidth,
            logger: Logger(label: "resid.test.uptake"))
        let variant = try #require(set.snapshot().variants.first)
        let catalog = variant.catalog
        let sizes = catalog.bundle.generator.vocabulary.levelSizes
        let trie = catalog.snapshot().trie
        var free: [[Int]] = []
        for c1 in 0..<sizes[0] {
            for c2 in 0..<sizes[1] {
                for c3 in 0..<sizes[2] where free.count < 2 && trie.item(codes: [c1, c2, c3]) == nil {
                    free.append([c1, c2, c3])
                }
            }
        }
        try #require(free.count == 2)
        let outcome = catalog.insert([("online-a", free[0]), ("online-b", free[1])])
        try #require(outcome.added == 2 && outcome.undecodable == 0)
        return (catalog, variant.decoder)
    }
}
