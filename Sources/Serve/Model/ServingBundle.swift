import Bundle
import Data
public import Foundation
public import Inference
import JSON
public import Models
public import Tokenizer

/// A model bundle opened for serving: the generator, the cold-start tokenizer and the frozen item
/// table, all read from the bundle's files (verified against the manifest's SHA-256 sums).
///
/// Immutable; the items that join after the bundle was written live in ``ServingCatalog``.
public final class ServingBundle: Sendable {
    /// The bundle id (the manifest's).
    public let id: String
    /// The bundle directory.
    public let directory: URL
    /// The frozen items' keys, by bundle index.
    public let keys: [String]
    /// The frozen items' SIDs, by bundle index.
    public let sids: [[Int]]
    /// New items' fields → FAMAE vector → level 1/2 placement and level-3 candidates.
    public let tokenizer: ColdStartTokenizer
    /// The SID generator (either architecture; the file's metadata says which).
    public let generator: SIDGeneratorModel
    /// The codebook's level sizes `[b1, b2, g3]`.
    public let codeSizes: [Int]
    /// Free level-3 codes the fullest (c1, c2) group still has for new items (`g3` minus the
    /// largest group). Bundles written before GAOQ left slack have 0: every new item in a full
    /// group then takes an overflow code the generator never trained on.
    public let level3Room: Int
    /// Level-3 codes some bundle item holds: tokens the generator trained on.
    public let trainedLevel3Codes: Set<Int>
    /// The bundle's own items and the level-3 codes they hold per (c1, c2) group: Redis knows
    /// only codes claimed online, so the level-3 claimer keeps these out of what it offers.
    public let frozenSIDs: HeldSIDs
    /// True when the bundle was trained on generated data.
    public let isSynthetic: Bool

    /// Opens and checks the bundle at `directory`.
    ///
    /// - Parameter verify: check every file's SHA-256 against the manifest (slow for big bundles,
    ///   on by default).
    /// - Throws: ``ServeError`` `.invalidBundle` naming the file and the problem.
    public init(directory: URL, verify: Bool = true) throws {
        let bundle: ModelBundle
        do {
            bundle = try ModelBundle(directory: directory, verify: verify)
        } catch {
            throw ServeError(
                .invalidBundle,
                "\(directory.path): \(error); point serve.variants at a directory written by `resid pipeline`")
        }
        self.directory = directory
        id = bundle.id
        guard !id.isEmpty, !id.contains(":"), !id.contains("/") else {
            throw ServeError(
                .invalidBundle, "\(directory.path): bundle id `\(id)` must be non-empty and free of `:` and `/`")
        }
        do {
            let items = try bundle.decodeJSON(BundleItems.self, from: BundleItems.fileName)
            let codebook = try GAOQCodebook(contentsOf: bundle.url(BundleFiles.codebook))
            let famae = try FAMAEModel.load(from: bundle.url(BundleFiles.famae))
            let generator = try SIDGeneratorModel(contents: bundle.tensors(BundleFiles.generator))
            let table = try Self.itemTable(manifest: bundle.manifest, items: items)
            tokenizer = try ColdStartTokenizer(
                table: table, encoder: FAMAEColdStartEncoder(model: famae), codebook: codebook)
            // The field values are needed only to rebuild the item table; not kept (at 150k items
            // they are the largest part of items.json in memory).
            keys = items.keys
            sids = items.sids
            isSynthetic = items.synthetic
            self.generator = generator
            codeSizes = [codebook.b1, codebook.b2, codebook.g3]
            level3Room = codebook.g3 - codebook.largestGroup
            trainedLevel3Codes = codebook.heldLevel3Codes
        } catch let error as ServeError {
            throw error
        } catch {
            throw ServeError(.invalidBundle, "\(directory.path): \(error)")
        }
        guard sids.allSatisfy({ $0.count == 3 }), keys.count == sids.count else {
            throw ServeError(.invalidBundle, "\(directory.path): items.json must hold one 3-level SID per item key")
        }
        do {
            frozenSIDs = try HeldSIDs(
                existing: zip(keys, sids).map { (item: $0, sid: SemanticID($1[0], $1[1], $1[2])) })
        } catch {
            throw ServeError(.invalidBundle, "\(directory.path): items.json: \(error)")
        }
    }

    /// Rebuilds the prepared item table the models were trained with: the manifest's field list
    /// (names, kinds, roles and frozen vocabularies) and each item's values from `items.json`.
    static func itemTable(manifest: BundleManifest, items: BundleItems) throws -> ItemTable {
        guard let fieldsValue = manifest.schema["fields"] else {
            throw ServeError(
                .invalidBundle, "manifest.json: schema.fields is missing (the field vocabularies cold start needs)")
        }
        let fields = try JSONDecoder().decode([ItemField].self, from: JSONEncoder().encode(fieldsValue))
        let named = fields.filter { $0.name != ItemTable.itemIDField }
        var columns = named.map { FieldColumn(kind: $0.kind) }
        for values in items.values {
            for (position, field) in named.enumerated() {
                let codes = (values[field.name] ?? []).map { field.vocabulary.code(of: $0) }.filter {
                    $0 != Vocabulary.unknown
                }
                columns[position].append(codes)
            }
        }
        return try ItemTable(keys: items.keys, fields: named, columns: columns)
    }
}
