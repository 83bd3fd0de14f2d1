import Foundation
import Testing

@testable import Data

@Suite struct SupportTests {
    @Test func sha256OfAFile() throws {
        let directory = try TemporaryDirectory()
        #expect(
            try DatasetCache.sha256(ofFile: directory.write("abc", "abc"))
                == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        let large = try directory.write("large", String(repeating: "a", count: 3 << 20))
        #expect(
            try DatasetCache.sha256(ofFile: large) == "6f850bc94ae6f7de14297c01616c36d712d22864497b28a63b81d776b035e656"
        )
        #expect(throws: DataError.self) { try DatasetCache.sha256(ofFile: directory.path + "/missing") }
    }

    @Test func vocabularyReservesZero() throws {
        var vocabulary = Vocabulary(["b", "a", "b", ""])
        #expect(vocabulary.values == ["", "b", "a"])
        #expect(vocabulary.count == 3)
        #expect(vocabulary.code(of: "a") == 2)
        #expect(vocabulary.code(of: "zzz") == Vocabulary.unknown)
        #expect(vocabulary.code(of: "") == Vocabulary.unknown)
        #expect(vocabulary.value(of: 0) == nil)
        #expect(vocabulary.insert("c") == 3)
        let decoded = try JSONDecoder().decode(Vocabulary.self, from: JSONEncoder().encode(vocabulary))
        #expect(decoded == vocabulary)
        #expect(decoded.code(of: "c") == 3)
    }

    @Test func newItemsEncodeAgainstTheTable() throws {
        var builder = ItemTableBuilder(columns: [
            .init(name: "store", kind: .single), .init(name: "genre", kind: .multi),
        ])
        builder.add(key: "a", values: [["s1"], ["drama", "comedy"]])
        builder.add(key: "b", values: [["s2"], ["comedy"]])
        builder.add(key: "c", values: [["s1"], ["comedy", "war"]])
        let table = try builder.build().prepared(keeping: [0, 1, 2])
        // comedy (3 items) is code 1, drama and war (1 each) follow in order of appearance.
        let fields = table.fields.map(\.name)
        #expect(fields == ["item_id", "store", "genre", "genre_set"])
        let known = table.encode(key: "a", values: ["store": ["s1"], "genre": ["drama", "comedy"]])
        #expect(known == [[1], [1], [1], [2, 1]])
        let new = table.encode(key: "new", values: ["store": ["s9"], "genre": ["war", "horror"]])
        #expect(new == [[0], [0], [3], [3]])
        #expect(table.encode(key: "x", values: [:]) == [[0], [0], [0], []])
    }

    @Test func itemTableRoundTripsThroughJSON() throws {
        var builder = ItemTableBuilder(columns: [
            .init(name: "store", kind: .single), .init(name: "genre", kind: .multi),
        ])
        builder.add(key: "a", values: [["s1"], ["drama", "comedy"]])
        builder.add(key: "b", values: [["s2"], []])
        let table = try builder.build().prepared(keeping: [1, 0])
        let decoded = try JSONDecoder().decode(ItemTable.self, from: JSONEncoder().encode(table))
        #expect(decoded.keys == ["b", "a"])
        #expect(decoded.fields == table.fields)
        #expect((0..<table.fields.count).allSatisfy { decoded.column($0) == table.column($0) })
        #expect(decoded.index(ofKey: "a") == 1)
    }

    @Test func itemTableRejectsBadInput() {
        #expect(throws: DataError.self) {
            try ItemTable(keys: ["a", "a"], fields: [], columns: [])
        }
        #expect(throws: DataError.self) {
            try ItemTable(
                keys: ["a"], fields: [ItemField(name: "item_id", kind: .single, vocabulary: Vocabulary())],
                columns: [FieldColumn(singleCodes: [0])])
        }
        #expect(throws: DataError.self) {
            try ItemTable(
                keys: ["a"], fields: [ItemField(name: "f", kind: .single, vocabulary: Vocabulary(["x"]))],
                columns: [FieldColumn(singleCodes: [5])])
        }
    }

    @Test func cacheRootFollowsEnvironment() {
        #expect(DatasetCache.defaultRoot(environment: ["RESID_CACHE": "/c", "HOME": "/h"]) == "/c/datasets")
        #expect(DatasetCache.defaultRoot(environment: ["XDG_CACHE_HOME": "/x", "HOME": "/h"]) == "/x/resid/datasets")
        #expect(DatasetCache.defaultRoot(environment: ["HOME": "/h"]) == "/h/.cache/resid/datasets")
        #expect(DatasetCache(root: "/r").directory(for: .ml1m) == "/r/ml-1m")
        #expect(
            PublishedDataset.ml100k.fileNames == [
                "ml-100k.inter", "ml-100k.item", "ml-100k.user", "ml-100k.kg", "ml-100k.link",
            ])
    }

    @Test func fetchedMarkerNeedsDigestAndFiles() throws {
        let directory = try TemporaryDirectory()
        let cache = DatasetCache(root: directory.path)
        #expect(!cache.isFetched(.ml100k))
        try FileManager.default.createDirectory(atPath: directory.path + "/ml-100k", withIntermediateDirectories: true)
        for name in PublishedDataset.ml100k.fileNames { try directory.write("ml-100k/" + name, "x") }
        try directory.write("ml-100k/.fetched", "sha256 wrong\n")
        #expect(!cache.isFetched(.ml100k))
        try directory.write("ml-100k/.fetched", "sha256 \(PublishedDataset.ml100k.sha256)\n")
        #expect(cache.isFetched(.ml100k))
    }
}
