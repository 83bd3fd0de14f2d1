import Foundation
import Testing

@testable import Data

/// RecBole atomic files written here by hand: CRLF line endings, token_seq, a bad year, a
/// knowledge graph. No MovieLens data is used.
@Suite struct RecBoleLoaderTests {
    static let preset: RecBolePreset = {
        var preset = RecBolePreset(name: "toy")
        preset.droppedColumns = ["movie_title"]
        preset.yearColumns = ["release_year": "release_decade"]
        preset.relations = [
            .init(relation: "film.film.directed_by", column: "director"),
            .init(relation: "film.film.genre", column: "kg_genre"),
        ]
        preset.multiValueOverrides = ["director": .primaryOnly]
        return preset
    }()

    /// Writes the toy dataset; `inter` replaces the interaction file's text.
    static func writeToy(_ directory: TemporaryDirectory, inter: String? = nil) throws {
        let crlfInter =
            [
                "user_id:token\titem_id:token\trating:float\ttimestamp:float",
                "u1\tA\t5\t100", "u1\tB\t3\t100", "u1\tC\t4\t90",
                "u2\tB\t2\t50", "u2\tE\t1\t60",
            ].joined(separator: "\r\n") + "\r\n"
        try directory.write("toy.inter", inter ?? crlfInter)
        try directory.write(
            "toy.item",
            """
            item_id:token\tmovie_title:token_seq\trelease_year:token\tclass:token_seq
            A\tAlpha One\t1995\tDrama Comedy
            B\tBeta\tunkonwn\tComedy
            C\tGamma\tV\tDrama
            D\tDelta\t1987\t

            """)
        try directory.write("toy.link", "item_id:token\tentity_id:token\nA\tm.a\nB\tm.b\nZ\tm.z\n")
        try directory.write(
            "toy.kg",
            """
            head_id:token\trelation_id:token\ttail_id:token
            m.a\tfilm.film.directed_by\tm.d1
            m.a\tfilm.film.genre\tm.g1
            m.a\tfilm.film.genre\tm.g2
            m.b\tfilm.film.genre\tm.g2
            m.b\tfilm.film.actor\tm.x
            m.z\tfilm.film.directed_by\tm.d9

            """)
    }

    /// The error loading the toy dataset throws (recording an issue if it loads).
    static func loadError(_ directory: TemporaryDirectory) -> DataError? {
        #expect(throws: DataError.self) {
            try RecBoleLoader(directory: directory.path, name: "toy", preset: preset).load()
        }
    }

    @Test func readsCRLFInteractionsAndCatalogue() throws {
        let directory = try TemporaryDirectory()
        try Self.writeToy(directory)
        let dataset = try RecBoleLoader(directory: directory.path, name: "toy", preset: Self.preset).load()
        #expect(dataset.interactions.count == 5)
        #expect(dataset.interactions.userKeys == ["u1", "u2"])
        #expect(dataset.interactions.timestamps == [100, 100, 90, 50, 60])
        #expect(dataset.interactions.sourceOrder == [2, 3, 4, 5, 6])
        // E appears only in interactions: appended to the catalogue with unknown fields.
        let catalog = dataset.catalog
        #expect(catalog.keys == ["A", "B", "C", "D", "E"])
        #expect(
            catalog.fields.map(\.name) == [
                "item_id", "release_year", "release_decade", "class", "director", "kg_genre",
            ])
        #expect(catalog.fields.map(\.kind) == [.single, .single, .single, .multi, .multi, .multi])
        let a = catalog.index(ofKey: "A")!
        #expect(catalog.values(item: a)["release_decade"] == ["1990s"])
        #expect(catalog.values(item: a)["class"] == ["Drama", "Comedy"])
        #expect(catalog.values(item: a)["director"] == ["m.d1"])
        #expect(catalog.values(item: a)["kg_genre"] == ["m.g1", "m.g2"])
        // Bad years (`unkonwn`, `V`) are unknown in both the year and the decade.
        let year = catalog.fieldIndex(named: "release_year")!
        #expect(catalog.code(field: year, item: catalog.index(ofKey: "B")!) == Vocabulary.unknown)
        #expect(catalog.code(field: year, item: catalog.index(ofKey: "C")!) == Vocabulary.unknown)
        #expect(catalog.fields[year].vocabulary.values == ["", "1995", "1987"])
        // C has no link, E is not in the item file: no graph values.
        #expect(catalog.codes(field: catalog.fieldIndex(named: "kg_genre")!, item: catalog.index(ofKey: "C")!).isEmpty)
        #expect(catalog.values(item: catalog.index(ofKey: "E")!)["class"] == [])
        // The entity m.z links to Z, which is not an item: its director is not a value.
        #expect(catalog.fields[catalog.fieldIndex(named: "director")!].vocabulary.values == ["", "m.d1"])
    }

    @Test func preparedTableAppliesMultiValuePolicy() throws {
        let directory = try TemporaryDirectory()
        try Self.writeToy(directory)
        let dataset = try RecBoleLoader(directory: directory.path, name: "toy", preset: Self.preset).load()
        let table = try dataset.catalog.prepared(keeping: [0, 1, 2, 3], overrides: dataset.multiValueOverrides)
        #expect(
            table.fields.map(\.name) == [
                "item_id", "release_year", "release_decade", "class", "class_set", "director", "kg_genre",
                "kg_genre_set",
            ])
        #expect(table.fields.map(\.role) == [.value, .value, .value, .primary, .set, .primary, .primary, .set])
        // Drama and Comedy are each on two items; Drama appeared first, so it gets code 1.
        let classField = table.fieldIndex(named: "class")!
        #expect(table.fields[classField].vocabulary.values == ["", "Drama", "Comedy"])
        #expect(table.code(field: classField, item: 0) == 1)  // A: Drama Comedy -> Drama
        #expect(table.code(field: classField, item: 1) == 2)  // B: Comedy
        #expect(table.code(field: classField, item: 3) == 0)  // D: none
        #expect(Array(table.codes(field: classField + 1, item: 0)) == [1, 2])
        // m.g2 is on two items, m.g1 on one: m.g2 is A's primary.
        let kgGenre = table.fieldIndex(named: "kg_genre")!
        #expect(table.fields[kgGenre].vocabulary.values == ["", "m.g2", "m.g1"])
        #expect(table.code(field: kgGenre, item: 0) == 1)
        // item_id code is index + 1.
        #expect((0..<table.count).map { table.code(field: 0, item: $0) } == [1, 2, 3, 4])
    }

    @Test func malformedRowNamesFileLineAndField() throws {
        let directory = try TemporaryDirectory()
        try Self.writeToy(directory, inter: "user_id:token\titem_id:token\ttimestamp:float\r\nu1\tA\t100\r\nu1\tB\r\n")
        let error = Self.loadError(directory)
        #expect(error?.code == .malformedRow)
        #expect(error?.line == 3)
        #expect(error?.field == "timestamp")
        #expect(error?.file?.hasSuffix("toy.inter") == true)
    }

    @Test func badTimestampNamesLineAndField() throws {
        let directory = try TemporaryDirectory()
        try Self.writeToy(directory, inter: "user_id:token\titem_id:token\ttimestamp:float\nu1\tA\t100\nu1\tB\tsoon\n")
        let error = Self.loadError(directory)
        #expect(error?.code == .badValue)
        #expect(error?.line == 3)
        #expect(error?.field == "timestamp")
        #expect(error?.description.contains("toy.inter:3: field 'timestamp'") == true)
    }

    @Test func headerProblemsAreReported() throws {
        let directory = try TemporaryDirectory()
        try Self.writeToy(directory, inter: "user_id:token\titem_id\ttimestamp:float\nu1\tA\t1\n")
        let badType = Self.loadError(directory)
        #expect(badType?.code == .malformedHeader)
        #expect(badType?.field == "item_id")
        try directory.write("toy.inter", "user_id:token\titem_id:token\nu1\tA\n")
        let missing = Self.loadError(directory)
        #expect(missing?.code == .missingColumn)
        #expect(missing?.field == "timestamp")
    }

    @Test func duplicateItemIsAnError() throws {
        let directory = try TemporaryDirectory()
        try Self.writeToy(directory)
        try directory.write("toy.item", "item_id:token\tclass:token_seq\nA\tDrama\nA\tComedy\n")
        let error = Self.loadError(directory)
        #expect(error?.line == 3)
        #expect(error?.field == "item_id")
    }

    @Test func ml1mPresetSplitsGenreTokens() throws {
        let directory = try TemporaryDirectory()
        try FileManager.default.createDirectory(atPath: directory.path + "/ml-1m", withIntermediateDirectories: true)
        try directory.write(
            "ml-1m/ml-1m.inter",
            "user_id:token\titem_id:token\trating:float\ttimestamp:float\r\nx\tToy Story (1995)\t5\t1\r\n")
        try directory.write(
            "ml-1m/ml-1m.item",
            "item_id:token\tmovie_title:token\trelease_year:float\tgenre:token\r\nToy Story (1995)\tToy Story\t1995\tAnimation Children's Comedy\r\n"
        )
        let dataset = try RecBoleLoader(directory: directory.path + "/ml-1m").load()
        #expect(dataset.name == "ml-1m")
        #expect(dataset.catalog.fields.map(\.name) == ["item_id", "release_year", "release_decade", "genre"])
        #expect(dataset.catalog.values(item: 0)["genre"] == ["Animation", "Children's", "Comedy"])
        #expect(dataset.catalog.keys == ["Toy Story (1995)"])
    }
}
